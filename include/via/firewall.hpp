// via's nftables table, `table inet via`: the one place that decides how a
// program's packets get marked. Today a rule per uplink marks packets whose
// socket belongs to the uplink's cgroup; a cgroup BPF program that sets the
// mark at socket creation can be added beside it later, with these rules
// kept as the second layer.
//
// plan() and diff() are pure; build() makes the libnftnl rule without a
// socket; apply() commits the difference in one atomic batch.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "via/cgroup.hpp"
#include "via/ids.hpp"
#include "via/nft.hpp"
#include "via/report.hpp"

namespace via::firewall {

// chain output: socket cgroupv2 level L ID meta mark set M ct mark set meta mark counter
struct MarkCgroup {
    std::uint64_t cgroup_id = 0;
    std::uint32_t level = 0;
    std::uint32_t mark = 0;
};

// chain prerouting: ct mark and 0xffff0000 == 0x56490000 meta mark set ct mark
// Gives replies their connection's mark back, for src_valid_mark (see routing).
struct RestoreMark {};

// chain postrouting: meta mark M oifname "DEV" counter masquerade
// The program's sockets chose their source address by the main table, before
// the mark rerouted them; masquerade gives them the uplink's current address.
struct Masquerade {
    std::uint32_t mark = 0;
    std::string oifname;
};

struct RuleSpec {
    std::string chain;
    // Rules are recognised by their comment, "via OWNER: what it does". A
    // rule of the same owner with another comment is stale and replaced.
    std::string owner;
    std::string comment;
    std::variant<MarkCgroup, RestoreMark, Masquerade> action;
};

struct Plan {
    std::vector<RuleSpec> rules;
};

Plan plan(const std::string& uplink, const ids::UplinkIds& ids, const cgroup::Cgroup& cg);

// The owner encoded in a comment ("uplink wlan1"), or "" if it is not via's.
std::string owner_of(const std::string& comment);

struct Diff {
    std::vector<RuleSpec> add;
    std::vector<nft::ExistingRule> remove;  // stale or duplicate rules of the plan's owners
    std::vector<RuleSpec> present;
};

Diff diff(const Plan& plan, const std::vector<nft::ExistingRule>& existing);

// The libnftnl rule for a spec (table and chain set, no handle).
nft::Rule build(const RuleSpec& spec);

void apply(const Plan& plan, const Report& report);

}  // namespace via::firewall
