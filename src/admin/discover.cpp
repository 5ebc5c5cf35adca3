#include "admin/discover.hpp"

#include <algorithm>
#include <cstring>

#include <linux/if.h>
#include <linux/rtnetlink.h>

#include "launch/error.hpp"

namespace via::uplink {
namespace {

using netlink::for_each;

std::string interface_names(nl_cache* links) {
    std::string names;
    for_each<rtnl_link>(links, [&](rtnl_link* l) {
        if (!names.empty()) names += ", ";
        names += rtnl_link_get_name(l);
    });
    return names;
}

// Addresses of one family; for IPv6 the global ones only (link-local and
// ULA-less hosts cannot reach the Internet by them).
std::vector<std::string> addresses(nl_cache* addrs, int ifindex, int family) {
    std::vector<std::string> out;
    for_each<rtnl_addr>(addrs, [&](rtnl_addr* a) {
        if (rtnl_addr_get_ifindex(a) != ifindex || rtnl_addr_get_family(a) != family) return;
        if (family == AF_INET6 && rtnl_addr_get_scope(a) != RT_SCOPE_UNIVERSE) return;
        out.push_back(netlink::to_string(rtnl_addr_get_local(a)));
    });
    return out;
}

bool main_route(rtnl_route* r, int family) {
    return rtnl_route_get_table(r) == RT_TABLE_MAIN && rtnl_route_get_family(r) == family &&
           rtnl_route_get_type(r) == RTN_UNICAST;
}

std::vector<DefaultRoute> main_defaults(nl_cache* routes, int ifindex, int family) {
    std::vector<DefaultRoute> out;
    for_each<rtnl_route>(routes, [&](rtnl_route* r) {
        if (!main_route(r, family) || nl_addr_get_prefixlen(rtnl_route_get_dst(r)) != 0) return;
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
std::vector<std::string> connected_subnets(nl_cache* routes, int ifindex, int family) {
    std::vector<std::string> out;
    for_each<rtnl_route>(routes, [&](rtnl_route* r) {
        nl_addr* dst = rtnl_route_get_dst(r);
        if (!main_route(r, family) || nl_addr_get_prefixlen(dst) == 0) return;
        for (int i = 0; i < rtnl_route_get_nnexthops(r); ++i) {
            rtnl_nexthop* nh = rtnl_route_nexthop_n(r, i);
            if (rtnl_route_nh_get_ifindex(nh) == ifindex && !rtnl_route_nh_get_gateway(nh))
                out.push_back(netlink::to_string(dst) + "/" + std::to_string(nl_addr_get_prefixlen(dst)));
        }
    });
    return out;
}

// Every interface's connected networks: main's prefix routes that the
// kernel made for addresses, reaching the interface without a gateway.
std::vector<Network> connected_networks(nl_cache* routes, nl_cache* links) {
    std::vector<Network> out;
    for_each<rtnl_route>(routes, [&](rtnl_route* r) {
        const int family = rtnl_route_get_family(r);
        if ((family != AF_INET && family != AF_INET6) || !main_route(r, family) ||
            rtnl_route_get_protocol(r) != RTPROT_KERNEL || (family == AF_INET && rtnl_route_get_scope(r) != RT_SCOPE_LINK))
            return;
        nl_addr* dst = rtnl_route_get_dst(r);
        if (!dst || nl_addr_get_prefixlen(dst) == 0 || rtnl_route_get_nnexthops(r) != 1) return;
        rtnl_nexthop* nh = rtnl_route_nexthop_n(r, 0);
        if (rtnl_route_nh_get_gateway(nh)) return;
        Network n;
        n.ifindex = rtnl_route_nh_get_ifindex(nh);
        char name[IFNAMSIZ] = {};
        if (rtnl_link_i2name(links, n.ifindex, name, sizeof name)) n.dev = name;
        n.family = family;
        n.prefixlen = nl_addr_get_prefixlen(dst);
        std::memcpy(n.addr.data(), nl_addr_get_binary_addr(dst), std::min<std::size_t>(nl_addr_get_len(dst), 16));
        out.push_back(n);
    });
    return out;
}

void require_on_link(const std::string& gateway, nl_cache* routes, const Uplink& up, int family) {
    if (!on_link(gateway, connected_subnets(routes, up.ifindex, family)))
        throw Error("gateway " + gateway + " is not on a network of interface '" + up.name + "'",
                    "give a gateway on the uplink's own subnet (ip " + std::string(family == AF_INET6 ? "-6 " : "") +
                        "route show dev " + up.name + ")");
}

// IPv6 is optional: without a global address or a next hop the program's
// IPv6 is refused (see routing). An explicit --gateway6 must work, though.
void discover_ipv6(Uplink& up, nl_cache* addrs, nl_cache* routes, unsigned flags,
                   const std::optional<std::string>& gateway6) {
    up.ipv6 = addresses(addrs, up.ifindex, AF_INET6);
    if (up.ipv6.empty()) {
        if (gateway6)
            throw Error("interface '" + up.name + "' has no global IPv6 address, so --gateway6 cannot be used");
        up.no_ipv6 = "interface '" + up.name + "' has no global IPv6 address";
        return;
    }
    if (gateway6) require_on_link(*gateway6, routes, up, AF_INET6);
    auto hop = choose_next_hop(gateway6, main_defaults(routes, up.ifindex, AF_INET6), flags, up.name);
    if (auto* why = std::get_if<std::string>(&hop))
        up.no_ipv6 = *why + " for IPv6 (--gateway6 gives one)";
    else
        up.next_hop6 = std::get<NextHop>(hop);
}

}  // namespace

Uplink discover(nl_sock* sock, const std::string& name, const std::optional<std::string>& gateway,
                const std::optional<std::string>& gateway6) {
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
    up.ipv4 = addresses(addrs.get(), up.ifindex, AF_INET);
    if (up.ipv4.empty())
        throw Error("interface '" + name + "' has no IPv4 address",
                    "connect it first; via sends the program's traffic from the uplink's own address");

    // Of main: the routes through the uplink (its default routes, the
    // subnets it reaches directly), and the prefix routes the kernel made
    // for every interface's addresses (the connected networks).
    auto routes = netlink::routes(sock, AF_UNSPEC, {{RT_TABLE_MAIN, 0, up.ifindex}, {RT_TABLE_MAIN, RTPROT_KERNEL, 0}});
    if (gateway) require_on_link(*gateway, routes.get(), up, AF_INET);
    auto hop = choose_next_hop(gateway, main_defaults(routes.get(), up.ifindex, AF_INET), flags, name);
    if (auto* why = std::get_if<std::string>(&hop))
        throw Error(*why, "pass its gateway: via --gateway ADDR " + name + " -- PROGRAM");
    up.next_hop = std::get<NextHop>(hop);

    discover_ipv6(up, addrs.get(), routes.get(), flags, gateway6);
    up.connected = connected_networks(routes.get(), links.get());
    return up;
}

}  // namespace via::uplink
