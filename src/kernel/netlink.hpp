// libnl-3 handles and the one rtnetlink socket via uses.
#pragma once

#include <cstdint>
#include <vector>

#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/msg.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <netlink/route/rule.h>
#include <netlink/socket.h>

#include "launch/handle.hpp"

namespace via::netlink {

using Socket = Handle<nl_sock, nl_socket_free>;
using Cache = Handle<nl_cache, nl_cache_free>;
using Addr = Handle<nl_addr, nl_addr_put>;
using Msg = Handle<nl_msg, nlmsg_free>;
using Link = Handle<rtnl_link, rtnl_link_put>;
using Route = Handle<rtnl_route, rtnl_route_put>;
using Rule = Handle<rtnl_rule, rtnl_rule_put>;

// A connected NETLINK_ROUTE socket (libnl opens it close-on-exec).
Socket connect_route();

// Dumps, each one netlink round trip.
Cache links(nl_sock* sock);
Cache addresses(nl_sock* sock);

// Which routes a dump asks for; 0 is any. The kernel walks only `table`,
// and sends only the routes of `protocol` through interface `oif`.
struct RouteFilter {
    std::uint32_t table = 0;
    std::uint8_t protocol = 0;
    int oif = 0;
};

// The routes of `family` (AF_UNSPEC: both) that any of the filters asks
// for, in one cache, by one dump each. Never the whole of every table: with
// 200 000 routes in main, a libnl cache of them all took seconds and tens
// of MB; these hold what they were asked for.
Cache routes(nl_sock* sock, int family, const std::vector<RouteFilter>& filters);

// Calls f on every object of a libnl cache, as its type T.
template <class T, class F>
void for_each(nl_cache* cache, F&& f) {
    for (nl_object* o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) f(reinterpret_cast<T*>(o));
}

// "10.0.0.1" (or "default") as an nl_addr; throws on bad input.
Addr parse_address(const std::string& text, int family);
// An nl_addr rendered without prefix length.
std::string to_string(const nl_addr* addr);

}  // namespace via::netlink

namespace via::netlink {

// Sends a request that libnl built and waits for the kernel's answer. Errors
// carry the kernel's own errno (libnl's codes lose it). An errno listed in
// `tolerated` is returned instead of thrown; 0 means success.
int request(nl_sock* sock, nl_msg* msg, const std::string& context,
            std::initializer_list<int> tolerated = {});

}  // namespace via::netlink
