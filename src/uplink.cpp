#include "via/uplink.hpp"

#include <algorithm>

#include <arpa/inet.h>

#include <linux/if.h>
#include <linux/rtnetlink.h>

#include "via/error.hpp"

namespace via::uplink {
namespace {

// Calls f on every object of a libnl cache, typed.
template <class T, class F>
void for_each(nl_cache* cache, F&& f) {
    for (nl_object* o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o))
        f(reinterpret_cast<T*>(o));
}

std::string interface_names(nl_cache* links) {
    std::string names;
    for_each<rtnl_link>(links, [&](rtnl_link* l) {
        if (!names.empty()) names += ", ";
        names += rtnl_link_get_name(l);
    });
    return names;
}

std::vector<std::string> ipv4_addresses(nl_cache* addrs, int ifindex) {
    std::vector<std::string> out;
    for_each<rtnl_addr>(addrs, [&](rtnl_addr* a) {
        if (rtnl_addr_get_ifindex(a) == ifindex && rtnl_addr_get_family(a) == AF_INET)
            out.push_back(netlink::to_string(rtnl_addr_get_local(a)));
    });
    return out;
}

std::vector<DefaultRoute> main_defaults(nl_cache* routes, int ifindex) {
    std::vector<DefaultRoute> out;
    for_each<rtnl_route>(routes, [&](rtnl_route* r) {
        if (rtnl_route_get_table(r) != RT_TABLE_MAIN || rtnl_route_get_type(r) != RTN_UNICAST ||
            nl_addr_get_prefixlen(rtnl_route_get_dst(r)) != 0)
            return;
        for (int i = 0; i < rtnl_route_get_nnexthops(r); ++i) {
            rtnl_nexthop* nh = rtnl_route_nexthop_n(r, i);
            if (rtnl_route_nh_get_ifindex(nh) != ifindex) continue;
            DefaultRoute d{std::nullopt, rtnl_route_get_priority(r)};
            if (nl_addr* gw = rtnl_route_nh_get_gateway(nh)) d.gateway = netlink::to_string(gw);
            out.push_back(d);
        }
    });
    return out;
}

// The subnets of main that the uplink reaches without a gateway.
std::vector<std::string> connected_subnets(nl_cache* routes, int ifindex) {
    std::vector<std::string> out;
    for_each<rtnl_route>(routes, [&](rtnl_route* r) {
        nl_addr* dst = rtnl_route_get_dst(r);
        if (rtnl_route_get_table(r) != RT_TABLE_MAIN || nl_addr_get_prefixlen(dst) == 0) return;
        for (int i = 0; i < rtnl_route_get_nnexthops(r); ++i) {
            rtnl_nexthop* nh = rtnl_route_nexthop_n(r, i);
            if (rtnl_route_nh_get_ifindex(nh) == ifindex && !rtnl_route_nh_get_gateway(nh))
                out.push_back(netlink::to_string(dst) + "/" + std::to_string(nl_addr_get_prefixlen(dst)));
        }
    });
    return out;
}

}  // namespace

bool on_link(const std::string& gateway, const std::vector<std::string>& subnets) {
    in_addr gw{};
    if (inet_pton(AF_INET, gateway.c_str(), &gw) != 1) return false;
    for (const auto& subnet : subnets) {
        const auto slash = subnet.find('/');
        in_addr net{};
        if (slash == std::string::npos || inet_pton(AF_INET, subnet.substr(0, slash).c_str(), &net) != 1)
            continue;
        const int len = std::stoi(subnet.substr(slash + 1));
        if (len < 0 || len > 32) continue;
        const std::uint32_t mask = len == 0 ? 0 : htonl(~std::uint32_t{0} << (32 - len));
        if ((gw.s_addr & mask) == (net.s_addr & mask)) return true;
    }
    return false;
}

std::variant<NextHop, std::string> choose_next_hop(const std::optional<std::string>& requested,
                                                   const std::vector<DefaultRoute>& defaults,
                                                   unsigned link_flags, const std::string& name) {
    if (requested) return NextHop{requested};
    if (!defaults.empty()) {
        auto best = std::min_element(defaults.begin(), defaults.end(),
                                     [](const auto& a, const auto& b) { return a.metric < b.metric; });
        return NextHop{best->gateway};
    }
    if (link_flags & (IFF_POINTOPOINT | IFF_NOARP)) return NextHop{std::nullopt};
    return "interface '" + name + "' has no default route in the main table";
}

Uplink discover(nl_sock* sock, const std::string& name, const std::optional<std::string>& gateway) {
    auto links = netlink::links(sock);
    netlink::Link link(rtnl_link_get_by_name(links.get(), name.c_str()));
    if (!link)
        throw Error("no network interface named '" + name + "'",
                    "interfaces here: " + interface_names(links.get()));

    Uplink up;
    up.name = name;
    up.ifindex = rtnl_link_get_ifindex(link.get());
    const unsigned flags = rtnl_link_get_flags(link.get());
    if (!(flags & IFF_UP))
        throw Error("interface '" + name + "' is down", "bring it up first (ip link set " + name + " up, or your network manager)");

    auto addrs = netlink::addresses(sock);
    up.ipv4 = ipv4_addresses(addrs.get(), up.ifindex);
    if (up.ipv4.empty())
        throw Error("interface '" + name + "' has no IPv4 address",
                    "connect it first; via sends the program's traffic from the uplink's own address");

    auto routes = netlink::routes(sock, AF_INET);
    if (gateway && !on_link(*gateway, connected_subnets(routes.get(), up.ifindex)))
        throw Error("gateway " + *gateway + " is not on a network of interface '" + name + "'",
                    "give a gateway on the uplink's own subnet (ip route show dev " + name + ")");
    auto hop = choose_next_hop(gateway, main_defaults(routes.get(), up.ifindex), flags, name);
    if (auto* why = std::get_if<std::string>(&hop))
        throw Error(*why, "pass its gateway: via --gateway ADDR " + name + " -- PROGRAM");
    up.next_hop = std::get<NextHop>(hop);
    return up;
}

}  // namespace via::uplink
