// Policy routing for one uplink: its routing table and the ip rules that send
// marked packets there. plan() is pure; apply() converges the kernel to the
// plan and touches nothing that is not in via's table numbers, priority
// range and protocol id.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kernel/nlmsg.hpp"
#include "kernel/rtnl.hpp"
#include "launch/ids.hpp"
#include "launch/report.hpp"
#include "launch/uplink.hpp"


namespace via::routing {

// A route in one of via's tables. The table is via's: routes in it that the
// plan does not have are deleted.
struct RouteSpec {
    int family = 0;  // AF_INET or AF_INET6
    std::uint32_t table = 0;
    bool unreachable = false;  // the kill switch: unreachable default
    std::string dst = "default";  // or "10.0.1.0/24"
    int ifindex = 0;
    std::string dev;
    std::optional<std::string> gateway;  // none: straight to the device
    std::uint32_t metric = 0;
    bool operator==(const RouteSpec&) const = default;
};

// PREF: fwmark MARK lookup TABLE.
struct RuleSpec {
    int family = 0;
    std::uint32_t pref = 0;
    std::uint32_t mark = 0;
    std::uint32_t table = 0;
};

struct Plan {
    std::vector<RouteSpec> routes;  // of every table the rules name
    std::vector<RuleSpec> rules;
};

// Everybody else's route lookups jump over via's rules. For each family and
// each priority P that via's mark rules use, a pair:
//   P-1: not fwmark 0x56480000/0xfffe0000 goto P+1
//   P+1: nop
// so a lookup without one of via's marks reads 2 rules, not one per uplink
// (and per open mark). Only where no rule of another tool is at P-1 or P:
// the goto would jump over it too. A goto whose target is gone is ignored by
// the kernel, so a half-deleted pair costs speed, never a route.
struct SkipSpec {
    int family = 0;
    std::uint32_t pref = 0;  // P, that of via's mark rules
    bool operator==(const SkipSpec&) const = default;
};

// One of via's `fwmark M lookup M` rules (or an older via's, of a mark).
bool is_mark_rule(const rtnl::Rule& rule);
// One of the pair's two rules.
bool is_skip_rule(const rtnl::Rule& rule);

// The pairs the rules as they are call for.
std::vector<SkipSpec> skips(const std::vector<rtnl::Rule>& rules);

// The uplink's table M holds, per family: the uplink's default route (IPv6
// only when the uplink has it), a copy of every directly connected network
// of the machine (so LAN hosts stay reachable the way the kernel reaches
// them, and no other route of main is consulted: not a VPN's 0.0.0.0/1 nor
// a gateway on another interface), and the kill switch. Without
// `kill_switch`, the launch's open mark gets a table O of its own, the same
// but for the kill switch, so its lookups fall through to the main table
// when the uplink is gone (IPv6 is still refused when the uplink has none).
// `pref`: see choose_pref.
Plan plan(const uplink::Uplink& up, const ids::UplinkIds& ids, bool kill_switch, std::uint32_t pref);

// via's priority for these marks: owned::pref, or, when rules of other
// tools at or ahead of it would take packets with one of the marks, one
// ahead of the first of those, if that is not below owned::pref_floor.
std::uint32_t choose_pref(const std::vector<rtnl::Rule>& rules, std::initializer_list<std::uint32_t> marks);

// The `ip` equivalents, for messages and --verbose.
std::string describe(const RouteSpec& route);
std::string describe(const RuleSpec& rule);
std::string describe(const rtnl::Rule& rule);

// Converges the kernel to the plan, given the ip rules as they are
// (rtnl::ip_rules), removes the rules an older via made for the plan's
// marks, then converges the skip pairs to the rules now there.
void apply(nlmsg::Socket& sock, const Plan& plan, const std::vector<rtnl::Rule>& rules, const Report& report);

// Replies to the program arrive on the uplink while main routes their source
// by the default uplink, so strict reverse-path filtering would drop them.
// Instead of loosening rp_filter for the whole interface (the seeds' way),
// via restores the mark from conntrack on input (see firewall) and sets
// src_valid_mark on the uplink, so the reverse-path check looks the source
// up with the mark and finds the uplink's own table: strict filtering keeps
// working, for via's traffic and everybody else's. As Mullvad and Tailscale do.
// Also on the interfaces whose directly connected networks via's programs
// reach (replies from the LAN come in there); wg-quick and Tailscale set it
// on all of them at once.
// https://docs.kernel.org/networking/ip-sysctl.html (src_valid_mark)
// True when it wrote the setting (one write).
bool ensure_src_valid_mark(const std::string& uplink, const Report& report);

// The routes of via's tables (in its mark range, protocol 86), both families.
std::vector<RouteSpec> via_routes(nlmsg::Socket& sock);

// Deletes these ip rules of via's and these routes (via gc, via down), and
// the skip pairs no mark rule calls for any more.
void remove(nlmsg::Socket& sock, const std::vector<rtnl::Rule>& rules, const std::vector<RouteSpec>& routes,
            const Report& report);

}  // namespace via::routing
