// /etc/via's rules ([rule NAME], via.conf(5)): the seeds' other ways to
// send traffic by an uplink, for the whole machine, with no launch.
//
// What each selector becomes:
//   ports, dns = all  an entry per port in nft map rule_ports (the mark, for
//                     the route) and in BPF map rule_ports (the uplink's
//                     ifindex, for the egress program's kill switch);
//   to                an entry per network in nft maps rule_to4/rule_to6 and
//                     in BPF map rule_to (an LPM trie);
//   users             each user's uid in the dedicated users' map: every
//                     socket of theirs is marked at birth, as a launch's;
//   from              a prerouting rule per interface and network (the mark)
//                     and a forward rule that drops what would leave by
//                     another interface.
// One lookup per packet however many rules: the maps are hashes and
// tries. The marks route by the uplink's table and ip rule (ensured as a
// launch ensures them); the BPF maps hold when nftables, ip rules or
// routes are wiped.
//
// compile() and plan_firewall() are pure; apply() changes the kernel.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <sys/types.h>
#include <variant>
#include <vector>

#include "admin/firewall.hpp"
#include "launch/config.hpp"
#include "launch/report.hpp"
#include "launch/rule.hpp"

namespace via::rules {

// A rule as the kernel gets it.
struct Rule {
    std::string name;
    std::string uplink;     // as /etc/via names it
    std::string interface;  // the uplink's
    std::uint32_t id = 0;   // id_of(name)
    std::vector<std::string> dns;  // the uplink's name servers (users' sockets get them)
    bool lan = false;       // a from rule: forwarded traffic
    std::vector<std::string> domains;  // resolved by apply(), through the uplink
};

struct PortEntry {
    std::uint8_t protocol = 0;
    std::uint16_t port = 0;
    std::size_t rule = 0;  // index in Plan::rules
    bool operator==(const PortEntry&) const = default;
};

struct NetEntry {
    rule::Prefix to;
    std::size_t rule = 0;
};

struct UserEntry {
    uid_t uid = 0;
    std::size_t rule = 0;
};

// Forwarded traffic from the LAN: by an interface (empty: any), from a
// network (none: any), to a port range or a network (neither: anywhere).
struct LanEntry {
    std::string interface;
    std::optional<rule::Prefix> from;
    std::optional<rule::Ports> ports;
    std::optional<rule::Prefix> to;
    std::size_t rule = 0;
};

struct Plan {
    std::vector<Rule> rules;
    std::vector<PortEntry> ports;  // sorted by protocol, then port
    std::vector<NetEntry> to;
    std::vector<UserEntry> users;
    std::vector<LanEntry> lan;
    bool empty() const { return rules.empty(); }
    bool any_local() const { return !ports.empty() || !to.empty() || !users.empty(); }
};

// The rule's id: its counters' key and its users' tag (24 bits of a hash
// of its name, never 0).
std::uint32_t id_of(const std::string& name);

// How users and groups are looked up (NSS, or a test's table).
struct Accounts {
    std::function<std::optional<uid_t>(const std::string& user)> uid;
    std::function<std::optional<std::vector<uid_t>>(const std::string& group)> members;
};
Accounts system_accounts();

// Every rule of the configuration, checked: its uplink is an [uplink] or
// an interface name, its users exist, and no port, network or user is
// chosen by two rules. The error names the file and line of the rule at
// fault.
std::variant<Plan, config::ParseError> compile(const config::Config& config, const Accounts& accounts);

// Adds a domain's addresses to the rule's networks; those another network
// of the plan holds already stay with it (a CDN's address two rules'
// domains share: the first rule's). Returns those.
std::vector<rule::Prefix> add_addresses(Plan& plan, std::size_t rule, const std::vector<rule::Prefix>& addresses);

// The rules in table inet via, with the uplinks' marks (ifindex by
// interface; 0 or absent: the uplink is missing, and its traffic gets no
// mark, which the egress program and the forward rules then drop). The
// comments carry a digest of the maps' contents: a plan that changes
// them replaces the rules and refills the maps in one batch.
firewall::Plan plan_firewall(const Plan& plan, const std::map<std::string, int>& ifindex);

// A LAN rule's route when via's nftables table is wiped (its marks with
// it): PREF: [iif LAN] [from NET] [to NET] [ipproto P dport A-B] lookup M
// proto 86, the uplink's table,
// kill switch included; two ahead of via's mark rules (PREF = their
// priority - 2), so ahead of their skip pair too.
struct LanRoute {
    int family = 0;
    std::uint32_t pref = 0;
    std::string iif;
    std::string from;  // "ADDR/LEN", or empty
    std::string to;    // the same
    std::uint8_t protocol = 0;  // with a port range, or 0
    std::uint16_t first = 0, last = 0;
    std::uint32_t table = 0;
    bool operator==(const LanRoute&) const = default;
};
std::vector<LanRoute> plan_lan_routes(const Plan& plan, const std::map<std::string, int>& ifindex,
                                      const std::map<std::string, std::uint32_t>& pref);

// Ensures the rules' uplinks (as `via repair` does a served one), asks
// their name servers, through them, for the rules' domains (their
// addresses as of this repair), then ensures the BPF maps, then the
// nftables rules and maps; with no rule, removes
// what rules left. Needs via's capabilities.
void apply(const config::Config& config, Plan plan, const Report& report);

// What a rule chooses, as /etc/via says it: "ports tcp/1935 udp/1935, to
// 203.0.113.0/24".
std::string describe(const config::Rule& rule);

// What `via status` says of a rule: its packets and bytes (local traffic
// as the egress program counted it, forwarded as nftables did).
struct Counted {
    std::uint64_t packets = 0;
    std::uint64_t bytes = 0;
};
Counted counted(const Rule& rule, const std::vector<nft::ExistingRule>& existing);

}  // namespace via::rules
