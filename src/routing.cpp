#include "via/routing.hpp"

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <unistd.h>

#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>

#include "via/constants.hpp"
#include "via/error.hpp"
#include "via/handle.hpp"
#include "via/netlink.hpp"

namespace via::routing {
namespace {

// --- route ----------------------------------------------------------------

bool route_matches(rtnl_route* r, const RouteSpec& want) {
    if (rtnl_route_get_nnexthops(r) != 1) return false;
    rtnl_nexthop* nh = rtnl_route_nexthop_n(r, 0);
    if (rtnl_route_nh_get_ifindex(nh) != want.ifindex) return false;
    nl_addr* gw = rtnl_route_nh_get_gateway(nh);
    if (!want.gateway) return gw == nullptr;
    return gw && netlink::to_string(gw) == *want.gateway;
}

// The default route of table `table`, if any (the table is via's own).
rtnl_route* find_default(nl_cache* routes, int family, std::uint32_t table) {
    rtnl_route* found = nullptr;
    netlink::for_each<rtnl_route>(routes, [&](rtnl_route* r) {
        if (!found && rtnl_route_get_family(r) == family && rtnl_route_get_table(r) == table &&
            nl_addr_get_prefixlen(rtnl_route_get_dst(r)) == 0)
            found = r;
    });
    return found;
}

const char* family_flag(int family) { return family == AF_INET6 ? "-6 " : ""; }

// ip route replace default [via GW] dev DEV table T proto 86
netlink::Route build_route(const RouteSpec& spec) {
    netlink::Route route(rtnl_route_alloc());
    rtnl_nexthop* nh = rtnl_route_nh_alloc();
    if (!route || !nh) throw Error("building route: out of memory");
    rtnl_route_set_family(route.get(), spec.family);
    rtnl_route_set_table(route.get(), spec.table);
    rtnl_route_set_protocol(route.get(), constants::rt_protocol);
    rtnl_route_set_type(route.get(), RTN_UNICAST);
    rtnl_route_set_scope(route.get(), spec.gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
    auto dst = netlink::parse_address("default", spec.family);
    rtnl_route_set_dst(route.get(), dst.get());
    rtnl_route_nh_set_ifindex(nh, spec.ifindex);
    if (spec.gateway) {
        auto gw = netlink::parse_address(*spec.gateway, spec.family);
        rtnl_route_nh_set_gateway(nh, gw.get());
    }
    rtnl_route_add_nexthop(route.get(), nh);  // the route owns nh from here
    return route;
}

void ensure_route(nl_sock* sock, nl_cache* routes, const RouteSpec& spec, const Report& report) {
    rtnl_route* existing = find_default(routes, spec.family, spec.table);
    if (existing && route_matches(existing, spec)) {
        report.ensured("route " + describe(spec), Outcome::present);
        return;
    }
    auto route = build_route(spec);
    nl_msg* raw = nullptr;
    if (int err = rtnl_route_build_add_request(route.get(), NLM_F_CREATE | NLM_F_REPLACE, &raw); err < 0)
        throw netlink_error(err, "building route '" + describe(spec) + "'");
    netlink::Msg msg(raw);
    netlink::request(sock, msg.get(), "adding route '" + describe(spec) + "'");
    report.ensured("route " + describe(spec), existing ? Outcome::replaced : Outcome::created);
}

// --- rules ----------------------------------------------------------------

std::uint8_t fib_action(RuleAction action) {
    return action == RuleAction::unreachable ? FR_ACT_UNREACHABLE : FR_ACT_TO_TBL;
}

bool rule_matches(rtnl_rule* r, const RuleSpec& want) {
    std::uint8_t proto = 0;
    return rtnl_rule_get_family(r) == want.family && rtnl_rule_get_prio(r) == want.pref &&
           rtnl_rule_get_mark(r) == want.mark && rtnl_rule_get_action(r) == fib_action(want.action) &&
           (want.action == RuleAction::unreachable || rtnl_rule_get_table(r) == want.table) &&
           rtnl_rule_get_protocol(r, &proto) == 0 && proto == constants::rt_protocol;
}

void add_rule(nl_sock* sock, const RuleSpec& spec, const Report& report) {
    netlink::Rule rule(rtnl_rule_alloc());
    if (!rule) throw Error("building ip rule: out of memory");
    rtnl_rule_set_family(rule.get(), spec.family);
    rtnl_rule_set_prio(rule.get(), spec.pref);
    rtnl_rule_set_mark(rule.get(), spec.mark);
    rtnl_rule_set_mask(rule.get(), 0xffffffff);
    rtnl_rule_set_action(rule.get(), fib_action(spec.action));
    if (spec.action != RuleAction::unreachable) rtnl_rule_set_table(rule.get(), spec.table);
    rtnl_rule_set_protocol(rule.get(), constants::rt_protocol);

    nl_msg* raw = nullptr;
    if (int err = rtnl_rule_build_add_request(rule.get(), NLM_F_CREATE | NLM_F_EXCL, &raw); err < 0)
        throw netlink_error(err, "building ip rule '" + describe(spec) + "'");
    netlink::Msg msg(raw);
    // libnl 3.7 has no setter for this attribute: append it to its message.
    if (spec.action == RuleAction::keep_local && nla_put_u32(msg.get(), FRA_SUPPRESS_PREFIXLEN, 0) < 0)
        throw Error("building ip rule '" + describe(spec) + "': message too long");
    // EEXIST: the kernel found the same rule (NLM_F_EXCL); it is present.
    int err = netlink::request(sock, msg.get(), "adding ip rule '" + describe(spec) + "'", {EEXIST});
    report.ensured("ip rule " + describe(spec), err ? Outcome::present : Outcome::created);
}

// The rules of one mark. Added in this order, so that marked traffic never
// finds a rule that lets it fall through to main: the kill switch, then the
// table.
void plan_rules(Plan& p, int family, bool have_route, std::uint32_t mark, std::uint32_t table, bool kill_switch) {
    if (kill_switch || !have_route) p.rules.push_back({family, constants::pref_kill_switch, mark, RuleAction::unreachable, 0});
    if (!have_route) return;
    p.rules.push_back({family, constants::pref_uplink, mark, RuleAction::lookup, table});
    p.rules.push_back({family, constants::pref_keep_local, mark, RuleAction::keep_local, RT_TABLE_MAIN});
}

void plan_family(Plan& p, int family, const RouteSpec* route, const ids::UplinkIds& ids, bool kill_switch) {
    if (route) p.routes.push_back(*route);
    plan_rules(p, family, route, ids.mark, ids.table, true);
    if (!kill_switch) plan_rules(p, family, route, ids.open_mark, ids.table, false);
}

}  // namespace

Plan plan(const uplink::Uplink& up, const ids::UplinkIds& ids, bool kill_switch) {
    Plan p;
    const RouteSpec v4{AF_INET, ids.table, up.ifindex, up.name, up.next_hop.gateway};
    plan_family(p, AF_INET, &v4, ids, kill_switch);
    std::optional<RouteSpec> v6;
    if (up.next_hop6) v6 = RouteSpec{AF_INET6, ids.table, up.ifindex, up.name, up.next_hop6->gateway};
    plan_family(p, AF_INET6, v6 ? &*v6 : nullptr, ids, kill_switch);
    return p;
}

std::string describe(const RouteSpec& r) {
    std::string s = std::string(family_flag(r.family)) + "default";
    if (r.gateway) s += " via " + *r.gateway;
    return s + " dev " + r.dev + " table " + std::to_string(r.table);
}

std::string describe(const RuleSpec& r) {
    std::string s = family_flag(r.family) + std::to_string(r.pref) + ": fwmark " + ids::hex(r.mark);
    switch (r.action) {
        case RuleAction::lookup: return s + " lookup " + std::to_string(r.table);
        case RuleAction::keep_local: return s + " lookup main suppress_prefixlength 0";
        case RuleAction::unreachable: return s + " unreachable";
    }
    return s;
}

void apply(nl_sock* sock, const Plan& p, const Report& report) {
    // Routes first: a rule pointing at an empty table would send marked
    // traffic to the kill switch until the route is there.
    auto routes = netlink::routes(sock, AF_UNSPEC);
    for (const auto& route : p.routes) ensure_route(sock, routes.get(), route, report);
    auto rules = netlink::rules(sock, AF_UNSPEC);
    for (const auto& spec : p.rules) {
        bool present = false;
        netlink::for_each<rtnl_rule>(rules.get(), [&](rtnl_rule* r) { present = present || rule_matches(r, spec); });
        if (present)
            report.ensured("ip rule " + describe(spec), Outcome::present);
        else
            add_rule(sock, spec, report);
    }
}

void ensure_src_valid_mark(const std::string& uplink, const Report& report) {
    const std::string path = "/proc/sys/net/ipv4/conf/" + uplink + "/src_valid_mark";
    const std::string what = "sysctl net.ipv4.conf." + uplink + ".src_valid_mark=1";
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
    if (!fd) throw errno_error("opening " + path);
    char current = '0';
    if (::read(fd.get(), &current, 1) == 1 && current == '1') {
        report.ensured(what, Outcome::present);
        return;
    }
    if (::pwrite(fd.get(), "1\n", 2, 0) != 2) throw errno_error("setting " + what);
    report.ensured(what, Outcome::created);
}

}  // namespace via::routing
