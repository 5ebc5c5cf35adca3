// What will break via on this machine, said once per boot at launch (and,
// later, in full by `via check`): a network manager that deletes via's ip
// rules with no hook to repair them, a firewall configuration that flushes
// the whole ruleset with no drop-in to repair it, a rule of another tool
// ahead of via's that takes its programs' packets (they fail closed).
// The decisions are pure; gather() reads the machine.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/rtnl.hpp"

namespace via::checks {

// networkd's ManageForeignRoutingPolicyRules= from networkd.conf and its
// drop-ins, in the order systemd reads them (the last setting wins; yes by
// default).
bool networkd_manages_foreign_rules(const std::vector<std::string>& confs);

// Whether an nftables configuration flushes the whole ruleset.
bool flushes_ruleset(std::string_view nftables_conf);

using rtnl::Rule;  // (kernel/rtnl.hpp)

// A rule that comes before via's and sends packets with `mark` elsewhere.
bool takes_marked(const Rule& rule, std::uint32_t mark, std::uint32_t via_pref);

// The warnings that apply here, each "key\tmessage", given this network
// namespace's ip rules (rtnl::ip_rules()). Reads /etc and /run; needs no
// privilege.
std::vector<std::string> gather(std::uint32_t mark, std::uint32_t via_pref, const std::vector<Rule>& rules);

// Those not said yet since boot, which it records as said in
// /run/via/warned. Needs privilege::RootFiles.
std::vector<std::string> unsaid(const std::vector<std::string>& warnings);

}  // namespace via::checks
