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

namespace via::nlmsg {
class Socket;
}

namespace via::checks {

// networkd's ManageForeignRoutingPolicyRules= from networkd.conf and its
// drop-ins, in the order systemd reads them (the last setting wins; yes by
// default).
bool networkd_manages_foreign_rules(const std::vector<std::string>& confs);

// Whether an nftables configuration flushes the whole ruleset.
bool flushes_ruleset(std::string_view nftables_conf);

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
};

// A rule that comes before via's and sends packets with `mark` elsewhere.
bool takes_marked(const Rule& rule, std::uint32_t mark, std::uint32_t via_pref);

// The ip rules of this network namespace, both families: one rtnetlink
// dump, which a launch reads once (routing and the warnings share it).
// Throws when it cannot be read whole: what adds and deletes rules must
// not act on part of the list.
std::vector<Rule> ip_rules();

// The same, from the answers on `sock` (a test's socket pair).
std::vector<Rule> rules_from(nlmsg::Socket& sock);

// The warnings that apply here, each "key\tmessage", given this network
// namespace's ip rules (ip_rules()). Reads /etc and /run; needs no
// privilege.
std::vector<std::string> gather(std::uint32_t mark, std::uint32_t via_pref, const std::vector<Rule>& rules);

// Those not said yet since boot, which it records as said in
// /run/via/warned. Needs privilege::RootFiles.
std::vector<std::string> unsaid(const std::vector<std::string>& warnings);

}  // namespace via::checks
