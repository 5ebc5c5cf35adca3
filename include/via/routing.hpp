// Policy routing for one uplink: its routing table and the ip rules that send
// marked packets there. plan() is pure; apply() converges the kernel to the
// plan and touches nothing that is not in via's table numbers, priority
// range and protocol id.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "via/ids.hpp"
#include "via/report.hpp"
#include "via/uplink.hpp"

struct nl_sock;

namespace via::routing {

struct RouteSpec {
    int family = 0;  // AF_INET or AF_INET6
    std::uint32_t table = 0;
    int ifindex = 0;
    std::string dev;
    std::optional<std::string> gateway;  // none: straight to the device
};

enum class RuleAction {
    lookup,       // lookup <table>
    keep_local,   // lookup main suppress_prefixlength 0
    unreachable,  // unreachable
};

struct RuleSpec {
    int family = 0;
    std::uint32_t pref = 0;
    std::uint32_t mark = 0;
    RuleAction action = RuleAction::lookup;
    std::uint32_t table = 0;  // for lookup and keep_local
};

struct Plan {
    std::vector<RouteSpec> routes;
    std::vector<RuleSpec> rules;  // in the order they are added
};

// IPv4 always; IPv6 the same way when the uplink has it, else only the
// unreachable rule, so the program's IPv6 fails at once and never takes
// another interface. The uplink's mark always ends in the kill switch;
// without `kill_switch`, the launch's programs get the open mark, whose
// rules let them fall through to the main table when the uplink's table is
// empty (for a family the uplink carries).
Plan plan(const uplink::Uplink& up, const ids::UplinkIds& ids, bool kill_switch);

// The `ip` equivalents, for messages and --verbose.
std::string describe(const RouteSpec& route);
std::string describe(const RuleSpec& rule);

void apply(nl_sock* sock, const Plan& plan, const Report& report);

// Replies to the program arrive on the uplink while main routes their source
// by the default uplink, so strict reverse-path filtering would drop them.
// Instead of loosening rp_filter for the whole interface (the seeds' way),
// via restores the mark from conntrack on input (see firewall) and sets
// src_valid_mark on the uplink, so the reverse-path check looks the source
// up with the mark and finds the uplink's own table: strict filtering keeps
// working, for via's traffic and everybody else's. As Mullvad and Tailscale do.
// https://docs.kernel.org/networking/ip-sysctl.html (src_valid_mark)
void ensure_src_valid_mark(const std::string& uplink, const Report& report);

}  // namespace via::routing
