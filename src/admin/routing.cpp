#include "admin/routing.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <unistd.h>

#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "kernel/rtnl.hpp"
#include "launch/checks.hpp"
#include "launch/error.hpp"
#include "launch/handle.hpp"
#include "owned.hpp"

namespace via::routing {
namespace {

const char* family_flag(int family) { return family == AF_INET6 ? "-6 " : ""; }

// --- routes ---------------------------------------------------------------

// A route of the kernel, read back as a RouteSpec (for comparison).
RouteSpec spec_of(const rtnl::Route& r) {
    RouteSpec s;
    s.family = r.family;
    s.table = r.table;
    s.unreachable = r.type == RTN_UNREACHABLE;
    s.dst = r.destination();
    s.metric = r.priority;
    if (!s.unreachable && r.nexthops.size() == 1) {
        s.ifindex = r.nexthops[0].ifindex;
        s.gateway = r.nexthops[0].gateway;
    }
    return s;
}

// Equal as the kernel keeps them (the device's name is for messages only).
bool same_route(const RouteSpec& a, const RouteSpec& b) {
    return a.family == b.family && a.table == b.table && a.unreachable == b.unreachable && a.dst == b.dst &&
           a.metric == b.metric && (a.unreachable || (a.ifindex == b.ifindex && a.gateway == b.gateway));
}

// ip route add DST [via GW] dev DEV table T metric N proto 86
// ip route add unreachable default table T metric N proto 86
// (and the same to delete it: the kernel deletes the route that matches
// what is given, any scope).
nlmsg::Message route_message(const RouteSpec& spec, bool add) {
    rtmsg rtm{};
    rtm.rtm_family = static_cast<unsigned char>(spec.family);
    rtm.rtm_table = RT_TABLE_UNSPEC;  // via's numbers need RTA_TABLE
    rtm.rtm_protocol = owned::rt_protocol;
    rtm.rtm_type = spec.unreachable ? RTN_UNREACHABLE : RTN_UNICAST;
    rtm.rtm_scope = !add ? RT_SCOPE_NOWHERE : spec.unreachable || spec.gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
    std::array<std::uint8_t, 16> dst{};
    unsigned len = 0;
    if (!rtnl::parse_prefix(spec.dst, spec.family, dst, len)) throw Error("not a destination: '" + spec.dst + "'");
    rtm.rtm_dst_len = static_cast<unsigned char>(len);
    auto msg = nlmsg::request(add ? RTM_NEWROUTE : RTM_DELROUTE, add ? NLM_F_CREATE : 0, rtm);
    const std::size_t size = spec.family == AF_INET6 ? 16 : 4;
    msg.put_u32(RTA_TABLE, spec.table);
    if (len) msg.put(RTA_DST, dst.data(), size);
    msg.put_u32(RTA_PRIORITY, spec.metric);
    if (spec.unreachable) return msg;
    msg.put_u32(RTA_OIF, static_cast<std::uint32_t>(spec.ifindex));
    if (spec.gateway) {
        std::array<std::uint8_t, 16> gw{};
        unsigned gw_len = 0;
        if (!rtnl::parse_prefix(*spec.gateway, spec.family, gw, gw_len) || gw_len != size * 8)
            throw Error("not a gateway: '" + *spec.gateway + "'");
        msg.put(RTA_GATEWAY, gw.data(), size);
    }
    return msg;
}

void send_route(nlmsg::Socket& sock, const RouteSpec& spec, bool add) {
    auto msg = route_message(spec, add);
    // EEXIST: there already; ESRCH: gone already (the kernel flushes routes
    // with their device).
    rtnl::change(sock, msg, (add ? "adding route '" : "deleting route '") + describe(spec) + "'",
                 {add ? EEXIST : ESRCH});
}

// The tables of the plan hold exactly the plan's routes: the missing ones
// are added first, then what is stale (an old gateway, a network no longer
// connected) is deleted.
void converge_routes(nlmsg::Socket& sock, const std::vector<rtnl::Route>& routes, const std::vector<RouteSpec>& wanted,
                     const Report& report) {
    std::vector<RouteSpec> existing;
    for (const auto& r : routes)
        if (std::any_of(wanted.begin(), wanted.end(), [&](const RouteSpec& w) { return w.table == r.table; }))
            existing.push_back(spec_of(r));
    for (const auto& w : wanted) {
        const bool present =
            std::any_of(existing.begin(), existing.end(), [&](const RouteSpec& e) { return same_route(e, w); });
        if (!present) send_route(sock, w, true);
        report.ensured("route " + describe(w), present ? Outcome::present : Outcome::created);
    }
    for (const auto& e : existing)
        if (std::none_of(wanted.begin(), wanted.end(), [&](const RouteSpec& w) { return same_route(e, w); })) {
            send_route(sock, e, false);
            report.ensured("deleted stale route " + describe(e), Outcome::replaced);
        }
}

// --- rules ----------------------------------------------------------------

bool rule_matches(const rtnl::Rule& r, const RuleSpec& want) {
    return r.via && r.family == want.family && r.pref == want.pref && r.fwmark == want.mark &&
           r.fwmask == 0xffffffff && r.lookup && !r.invert && r.table == want.table;
}

// An ip rule as sent: to add (all of it) or to delete (the kernel deletes
// the first rule that matches what is given: priority, mark, action).
struct Wire {
    int family = 0;
    std::uint32_t pref = 0;
    std::uint32_t mark = 0, mask = 0;
    std::uint8_t action = FR_ACT_UNSPEC;
    std::uint32_t table = 0, target = 0;
    bool invert = false;
};

Wire wire_of(const RuleSpec& spec) {
    return {spec.family, spec.pref, spec.mark, 0xffffffff, FR_ACT_TO_TBL, spec.table};
}

Wire wire_of(const rtnl::Rule& r) {
    return {r.family, r.pref, r.fwmark, r.fwmark ? r.fwmask : 0, r.action, 0, r.target, r.invert};
}

// The pair of a SkipSpec: the target first, so that the goto is resolved
// from the moment it is there.
std::array<Wire, 2> wires_of(const SkipSpec& s) {
    return {Wire{s.family, s.pref + 1, 0, 0, FR_ACT_NOP},
            Wire{s.family, s.pref - 1, owned::open_mark_base, owned::any_mark_mask, FR_ACT_GOTO, 0, s.pref + 1, true}};
}

// A rule of the kernel's is that rule of a pair.
bool is_wire(const rtnl::Rule& r, const Wire& w) {
    return is_skip_rule(r) && r.family == w.family && r.pref == w.pref && r.action == w.action && r.target == w.target;
}

// The rule as the kernel shows it, for messages.
std::string shown(const Wire& w) {
    rtnl::Rule r{w.pref, false, w.mark, w.mask, w.invert, w.action == FR_ACT_TO_TBL, w.table, false, true, w.family};
    r.action = w.action;
    r.target = w.target;
    return routing::describe(r);
}

// ip rule add|del [not] [fwmark M/MASK] PREF: lookup T | goto P | nop,
// proto 86.
void send_rule(nlmsg::Socket& sock, const Wire& w, bool add, const std::string& what) {
    fib_rule_hdr hdr{};
    hdr.family = static_cast<std::uint8_t>(w.family);
    hdr.action = w.action;
    if (w.invert) hdr.flags |= FIB_RULE_INVERT;
    auto msg = nlmsg::request(add ? RTM_NEWRULE : RTM_DELRULE, add ? NLM_F_CREATE | NLM_F_EXCL : 0, hdr);
    msg.put_u32(FRA_PRIORITY, w.pref);
    if (w.mark) {
        msg.put_u32(FRA_FWMARK, w.mark);
        msg.put_u32(FRA_FWMASK, w.mask);
    }
    msg.put_u8(FRA_PROTOCOL, owned::rt_protocol);
    if (add && w.action == FR_ACT_TO_TBL) msg.put_u32(FRA_TABLE, w.table);
    if (w.action == FR_ACT_GOTO) msg.put_u32(FRA_GOTO, w.target);  // the kernel wants it to delete too
    rtnl::change(sock, msg, (add ? "adding ip rule '" : "deleting ip rule '") + what + "'", {add ? EEXIST : ENOENT});
}

// via's rules for the plan's marks that are not the plan's: at another
// priority (moved ahead of a VPN's rule that is gone now, or back), or an
// older via's (three per mark, 31900-31902, with "lookup main
// suppress_prefixlength 0" and "unreachable"). The open mark's rule stays
// when the plan has none.
void remove_other_rules(nlmsg::Socket& sock, const std::vector<rtnl::Rule>& rules, const Plan& p, const Report& report) {
    for (const auto& r : rules) {
        const bool planned_mark = std::any_of(p.rules.begin(), p.rules.end(), [&](const RuleSpec& w) { return w.mark == r.fwmark; });
        const bool planned_rule = std::any_of(p.rules.begin(), p.rules.end(), [&](const RuleSpec& w) { return rule_matches(r, w); });
        if (!r.via || !is_mark_rule(r) || !planned_mark || planned_rule) continue;
        send_rule(sock, wire_of(r), false, describe(r));
        report.ensured("deleted an older via's ip rule " + describe(r), Outcome::replaced);
    }
}

// The skip pairs, as the rules now in the kernel call for them.
void converge_skips(nlmsg::Socket& sock, const Report& report) {
    const auto rules = rtnl::ip_rules();
    std::vector<Wire> wanted;
    for (const auto& s : skips(rules))
        for (const auto& w : wires_of(s)) wanted.push_back(w);
    for (const auto& w : wanted) {
        const bool present = std::any_of(rules.begin(), rules.end(), [&](const rtnl::Rule& r) { return is_wire(r, w); });
        if (!present) send_rule(sock, w, true, shown(w));
        report.ensured("ip rule " + shown(w), present ? Outcome::present : Outcome::created);
    }
    for (const auto& r : rules) {
        if (!is_skip_rule(r) || std::any_of(wanted.begin(), wanted.end(), [&](const Wire& w) { return is_wire(r, w); }))
            continue;
        send_rule(sock, wire_of(r), false, describe(r));
        report.ensured("deleted ip rule " + describe(r), Outcome::replaced);
    }
}

// --- the plan ---------------------------------------------------------------

void plan_table(Plan& p, const uplink::Uplink& up, int family, std::uint32_t table, bool kill_switch) {
    const uplink::NextHop* hop = family == AF_INET ? &up.next_hop : (up.next_hop6 ? &*up.next_hop6 : nullptr);
    if (hop) p.routes.push_back({family, table, false, "default", up.ifindex, up.name, hop->gateway, owned::route_metric});
    for (const auto& n : up.connected)
        if (n.family == family)
            p.routes.push_back({family, table, false, uplink::prefix_of(n), n.ifindex, n.dev, std::nullopt, owned::route_metric});
    // IPv6 is refused when the uplink has none, kill switch or not.
    if (kill_switch || !hop) p.routes.push_back({family, table, true, "default", 0, {}, std::nullopt, owned::kill_switch_metric});
}

}  // namespace

Plan plan(const uplink::Uplink& up, const ids::UplinkIds& ids, bool kill_switch, std::uint32_t pref) {
    Plan p;
    for (int family : {AF_INET, AF_INET6}) {
        plan_table(p, up, family, ids.table, true);
        p.rules.push_back({family, pref, ids.mark, ids.table});
        if (!kill_switch) {
            plan_table(p, up, family, ids.open_mark, false);
            p.rules.push_back({family, pref, ids.open_mark, ids.open_mark});
        }
    }
    return p;
}

std::uint32_t choose_pref(const std::vector<rtnl::Rule>& rules, std::initializer_list<std::uint32_t> marks) {
    std::uint32_t first = owned::pref + 1;
    for (const auto& r : rules)
        for (const std::uint32_t mark : marks)
            if (checks::takes_marked(r, mark, owned::pref + 1)) first = std::min(first, r.pref);
    if (first > owned::pref) return owned::pref;
    return first - 1 >= owned::pref_floor ? first - 1 : owned::pref;
}

std::string describe(const RouteSpec& r) {
    std::string s = std::string(family_flag(r.family)) + (r.unreachable ? "unreachable " : "") + r.dst;
    if (r.gateway) s += " via " + *r.gateway;
    if (!r.unreachable) s += " dev " + (r.dev.empty() ? "#" + std::to_string(r.ifindex) : r.dev);
    return s + " table " + std::to_string(r.table) + " metric " + std::to_string(r.metric);
}

bool is_mark_rule(const rtnl::Rule& r) { return r.via && r.fwmask == 0xffffffff && ids::is_via_mark(r.fwmark); }

bool is_skip_rule(const rtnl::Rule& r) {
    const bool jump = r.action == FR_ACT_GOTO && r.invert && r.fwmark == owned::open_mark_base &&
                      r.fwmask == owned::any_mark_mask;
    const bool target = r.action == FR_ACT_NOP && r.fwmark == 0;
    return r.via && (jump || target);
}

std::vector<SkipSpec> skips(const std::vector<rtnl::Rule>& rules) {
    std::vector<SkipSpec> out;
    for (const auto& r : rules) {
        const SkipSpec s{r.family, r.pref};
        if (!is_mark_rule(r) || !r.lookup || std::find(out.begin(), out.end(), s) != out.end()) continue;
        const bool crowded = std::any_of(rules.begin(), rules.end(), [&](const rtnl::Rule& o) {
            return !o.via && o.family == s.family && (o.pref == s.pref || o.pref == s.pref - 1);
        });
        if (!crowded) out.push_back(s);
    }
    return out;
}

std::string describe(const RuleSpec& r) {
    return family_flag(r.family) + std::to_string(r.pref) + ": fwmark " + ids::hex(r.mark) + " lookup " +
           std::to_string(r.table);
}

std::string describe(const rtnl::Rule& r) {
    std::string s = family_flag(r.family) + std::to_string(r.pref) + ": " + (r.invert ? "not " : "");
    if (r.fwmark) s += "fwmark " + ids::hex(r.fwmark) + (r.fwmask != 0xffffffff ? "/" + ids::hex(r.fwmask) : "") + " ";
    switch (r.action) {
        case FR_ACT_TO_TBL: return s + "lookup " + std::to_string(r.table);
        case FR_ACT_GOTO: return s + "goto " + std::to_string(r.target);
        case FR_ACT_NOP: return s + "nop";
        default: return s + "action " + std::to_string(r.action);
    }
}

void apply(nlmsg::Socket& sock, const Plan& p, const std::vector<rtnl::Rule>& rules, const Report& report) {
    // Routes first: a rule pointing at an empty table would let marked
    // traffic fall through to main until the routes are there.
    std::vector<rtnl::RouteFilter> tables;
    for (const auto& r : p.routes)
        if (std::none_of(tables.begin(), tables.end(), [&](const auto& t) { return t.table == r.table; }))
            tables.push_back({r.table, 0, 0});
    const auto routes = rtnl::routes(sock, AF_UNSPEC, tables);
    converge_routes(sock, routes, p.routes, report);
    for (const auto& spec : p.rules) {
        const bool present = std::any_of(rules.begin(), rules.end(), [&](const rtnl::Rule& r) { return rule_matches(r, spec); });
        if (!present) send_rule(sock, wire_of(spec), true, describe(spec));
        report.ensured("ip rule " + describe(spec), present ? Outcome::present : Outcome::created);
    }
    remove_other_rules(sock, rules, p, report);
    converge_skips(sock, report);
}

bool ensure_src_valid_mark(const std::string& uplink, const Report& report) {
    const std::string path = "/proc/sys/net/ipv4/conf/" + uplink + "/src_valid_mark";
    const std::string what = "sysctl net.ipv4.conf." + uplink + ".src_valid_mark=1";
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
    if (!fd) throw errno_error("opening " + path);
    char current = '0';
    if (::read(fd.get(), &current, 1) == 1 && current == '1') {
        report.ensured(what, Outcome::present);
        return false;
    }
    if (::pwrite(fd.get(), "1\n", 2, 0) != 2) throw errno_error("setting " + what);
    report.ensured(what, Outcome::created);
    return true;
}

std::vector<RouteSpec> via_routes(nlmsg::Socket& sock) {
    std::vector<RouteSpec> out;
    // Both families in one dump (IPv4's first).
    for (const auto& r : rtnl::routes(sock, AF_UNSPEC, {{0, owned::rt_protocol, 0}}))
        if (ids::is_via_mark(r.table) && r.protocol == owned::rt_protocol) out.push_back(spec_of(r));
    return out;
}

void remove(nlmsg::Socket& sock, const std::vector<rtnl::Rule>& rules, const std::vector<RouteSpec>& routes,
            const Report& report) {
    for (const auto& r : rules) {
        if (!r.via) continue;
        send_rule(sock, wire_of(r), false, describe(r));
        report.ensured("deleted ip rule " + describe(r), Outcome::replaced);
    }
    for (const auto& route : routes) {
        send_route(sock, route, false);
        report.ensured("deleted route " + describe(route), Outcome::replaced);
    }
    converge_skips(sock, report);
}

}  // namespace via::routing
