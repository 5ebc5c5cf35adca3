// rtnetlink for via's full ensure, `via status`, `via gc` and `via down`,
// on via's one netlink transport (nlmsg.hpp): the interfaces, their
// addresses and the routes it asks for, read as plain values, and the
// requests that add and delete routes and ip rules, each acknowledged.
// The kernel's errno is kept, and its own message where it sends one
// (extended acknowledgements).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "kernel/nlmsg.hpp"

namespace via::rtnl {

// A NETLINK_ROUTE socket that asks for the kernel's extended
// acknowledgements; throws when it cannot be had.
nlmsg::Socket open();

struct Link {
    int ifindex = 0;
    std::string name;
    unsigned flags = 0;  // IFF_*
};
std::vector<Link> links(nlmsg::Socket& sock);

struct Address {
    int ifindex = 0;
    int family = 0;
    unsigned scope = 0;  // RT_SCOPE_*
    unsigned prefixlen = 0;
    std::string local;  // the interface's own address, as text
};
std::vector<Address> addresses(nlmsg::Socket& sock);

struct NextHop {
    int ifindex = 0;
    std::optional<std::string> gateway;
};

struct Route {
    int family = 0;
    std::uint32_t table = 0;
    std::uint8_t protocol = 0, scope = 0, type = 0;
    std::array<std::uint8_t, 16> dst{};  // the first 4 bytes for IPv4
    unsigned prefixlen = 0;
    std::uint32_t priority = 0;  // the metric
    std::vector<NextHop> nexthops;  // several for a multipath route

    // "default", or "10.0.1.0/24".
    std::string destination() const;
};

// A route as the kernel sends it (RTM_NEWROUTE): RTA_TABLE over the
// header's table, a single next hop (RTA_OIF, RTA_GATEWAY) or several
// (RTA_MULTIPATH). Pure.
Route route_of(const nlmsghdr* message);

// Which routes a dump asks for; 0 is any. The kernel walks only `table`,
// and sends only the routes of `protocol` through interface `oif`.
struct RouteFilter {
    std::uint32_t table = 0;
    std::uint8_t protocol = 0;
    int oif = 0;
};

// The routes of `family` (AF_UNSPEC: both) that any of the filters asks
// for, by one dump each (strict checking on, so the kernel honours the
// filters), a route two filters ask for kept once; with `keep`, only the
// routes it keeps (the others are read and dropped, never held). Never
// the whole of every table: with 200 000 routes in main, these hold what
// they were asked for.
std::vector<Route> routes(nlmsg::Socket& sock, int family, const std::vector<RouteFilter>& filters,
                          const std::function<bool(const Route&)>& keep = {});

// An ip rule, as much of it as decides whether it takes marked packets.
struct Rule {
    std::uint32_t pref = 0;
    bool selects_more = false;  // from/to, iif/oif, ports, uids...: not every packet
    std::uint32_t fwmark = 0, fwmask = 0;
    bool invert = false;  // "not"
    bool lookup = true;   // FR_ACT_TO_TBL
    std::uint32_t table = 0;
    bool suppresses = false;  // suppress_prefixlength or suppress_ifgroup
    bool via = false;         // proto 86
    int family = 0;           // AF_INET or AF_INET6
    std::uint8_t action = 1;  // FR_ACT_TO_TBL (lookup), FR_ACT_GOTO, FR_ACT_NOP...
    std::uint32_t target = 0; // a goto's priority
    std::string iif;          // iif NAME, if it has one
    std::string src;          // from ADDR/LEN, if it has one
    std::string dst;          // to ADDR/LEN, if it has one
    std::uint8_t ip_proto = 0;                  // ipproto, if it has one
    std::uint16_t dport_first = 0, dport_last = 0;  // dport A-B, if it has one
};

// The ip rules of this network namespace, both families: one rtnetlink
// dump, which a launch reads once (routing and the warnings share it).
// Throws when it cannot be read whole: what adds and deletes rules must
// not act on part of the list.
std::vector<Rule> ip_rules();

// The same, from the answers on `sock` (a test's socket pair).
std::vector<Rule> rules_from(nlmsg::Socket& sock);

// Sends a request (NLM_F_ACK is added) and waits for its acknowledgement.
// Returns 0, or an errno listed in `tolerated`; throws via::Error with the
// kernel's errno and message otherwise.
int change(nlmsg::Socket& sock, nlmsg::Message& request, const std::string& context,
           std::initializer_list<int> tolerated = {});

// An address of `family` as text (inet_ntop), and back: "default" or
// "ADDR[/LEN]" into bytes and a prefix length (the full length without
// one); false for anything else.
std::string to_text(int family, const void* addr);
bool parse_prefix(const std::string& text, int family, std::array<std::uint8_t, 16>& addr, unsigned& prefixlen);

}  // namespace via::rtnl
