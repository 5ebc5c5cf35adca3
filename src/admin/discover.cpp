#include "admin/discover.hpp"

#include <algorithm>
#include <cstring>

#include <linux/if.h>
#include <linux/rtnetlink.h>

#include "launch/error.hpp"

namespace via::uplink {
namespace {

std::string interface_names(const std::vector<rtnl::Link>& links) {
    std::string names;
    for (const auto& l : links) names += (names.empty() ? "" : ", ") + l.name;
    return names;
}

// Addresses of one family; for IPv6 the global ones only (link-local and
// ULA-less hosts cannot reach the Internet by them).
std::vector<std::string> addresses(const std::vector<rtnl::Address>& addrs, int ifindex, int family) {
    std::vector<std::string> out;
    for (const auto& a : addrs) {
        if (a.ifindex != ifindex || a.family != family) continue;
        if (family == AF_INET6 && a.scope != RT_SCOPE_UNIVERSE) continue;
        out.push_back(a.local);
    }
    return out;
}

bool main_route(const rtnl::Route& r, int family) {
    return r.table == RT_TABLE_MAIN && r.family == family && r.type == RTN_UNICAST;
}

std::vector<DefaultRoute> main_defaults(const std::vector<rtnl::Route>& routes, int ifindex, int family) {
    std::vector<DefaultRoute> out;
    for (const auto& r : routes) {
        if (!main_route(r, family) || r.prefixlen != 0) continue;
        for (const auto& nh : r.nexthops)
            if (nh.ifindex == ifindex) out.push_back({nh.gateway, r.priority});
    }
    return out;
}

// The subnets of main that the uplink reaches without a gateway.
std::vector<std::string> connected_subnets(const std::vector<rtnl::Route>& routes, int ifindex, int family) {
    std::vector<std::string> out;
    for (const auto& r : routes) {
        if (!main_route(r, family) || r.prefixlen == 0) continue;
        for (const auto& nh : r.nexthops)
            if (nh.ifindex == ifindex && !nh.gateway) out.push_back(r.destination());
    }
    return out;
}

// Every interface's connected networks: main's prefix routes that the
// kernel made for addresses, reaching the interface without a gateway.
std::vector<Network> connected_networks(const std::vector<rtnl::Route>& routes, const std::vector<rtnl::Link>& links) {
    std::vector<Network> out;
    for (const auto& r : routes) {
        const int family = r.family;
        if ((family != AF_INET && family != AF_INET6) || !main_route(r, family) || r.protocol != RTPROT_KERNEL ||
            (family == AF_INET && r.scope != RT_SCOPE_LINK))
            continue;
        if (r.prefixlen == 0 || r.nexthops.size() != 1 || r.nexthops[0].gateway) continue;
        Network n;
        n.ifindex = r.nexthops[0].ifindex;
        const auto link = std::find_if(links.begin(), links.end(), [&](const rtnl::Link& l) { return l.ifindex == n.ifindex; });
        if (link != links.end()) n.dev = link->name;
        n.family = family;
        n.prefixlen = r.prefixlen;
        n.addr = r.dst;
        out.push_back(n);
    }
    return out;
}

void require_on_link(const std::string& gateway, const std::vector<rtnl::Route>& routes, const Uplink& up, int family) {
    if (!on_link(gateway, connected_subnets(routes, up.ifindex, family)))
        throw Error("gateway " + gateway + " is not on a network of interface '" + up.name + "'",
                    "give a gateway on the uplink's own subnet (ip " + std::string(family == AF_INET6 ? "-6 " : "") +
                        "route show dev " + up.name + ")");
}

// IPv6 is optional: without a global address or a next hop the program's
// IPv6 is refused (see routing). An explicit --gateway6 must work, though.
void discover_ipv6(Uplink& up, const std::vector<rtnl::Address>& addrs, const std::vector<rtnl::Route>& routes,
                   unsigned flags, const std::optional<std::string>& gateway6) {
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

Uplink discover(nlmsg::Socket& sock, const std::string& name, const std::optional<std::string>& gateway,
                const std::optional<std::string>& gateway6) {
    const auto links = rtnl::links(sock);
    const auto link = std::find_if(links.begin(), links.end(), [&](const rtnl::Link& l) { return l.name == name; });
    if (link == links.end())
        throw Error("no network interface named '" + name + "'", "interfaces here: " + interface_names(links));

    Uplink up;
    up.name = name;
    up.ifindex = link->ifindex;
    const unsigned flags = link->flags;
    if (!(flags & IFF_UP))
        throw Error("interface '" + name + "' is down", "bring it up first (ip link set " + name + " up, or your network manager)");

    const auto addrs = rtnl::addresses(sock);
    up.ipv4 = addresses(addrs, up.ifindex, AF_INET);
    if (up.ipv4.empty())
        throw Error("interface '" + name + "' has no IPv4 address",
                    "connect it first; via sends the program's traffic from the uplink's own address");

    // Of main: the routes through the uplink (its default routes, the
    // subnets it reaches directly), and the prefix routes the kernel made
    // for every interface's addresses (the connected networks). Not the
    // routes to a gateway through the uplink, of which a full table has
    // hundreds of thousands: read, and dropped as they come.
    const auto routes = rtnl::routes(sock, AF_UNSPEC, {{RT_TABLE_MAIN, 0, up.ifindex}, {RT_TABLE_MAIN, RTPROT_KERNEL, 0}},
                                     [](const rtnl::Route& r) {
                                         return r.prefixlen == 0 ||
                                                std::any_of(r.nexthops.begin(), r.nexthops.end(),
                                                            [](const rtnl::NextHop& nh) { return !nh.gateway; });
                                     });
    if (gateway) require_on_link(*gateway, routes, up, AF_INET);
    auto hop = choose_next_hop(gateway, main_defaults(routes, up.ifindex, AF_INET), flags, name);
    if (auto* why = std::get_if<std::string>(&hop))
        throw Error(*why, "pass its gateway: via --gateway ADDR " + name + " -- PROGRAM");
    up.next_hop = std::get<NextHop>(hop);

    discover_ipv6(up, addrs, routes, flags, gateway6);
    up.connected = connected_networks(routes, links);
    return up;
}

}  // namespace via::uplink
