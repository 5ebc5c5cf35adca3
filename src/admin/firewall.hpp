// via's nftables table, `table inet via`. Packets are marked in two layers:
// sockmark sets the mark when a socket is created; here, the second layer,
// one rule gives every packet of such a socket its socket's mark again (a
// rule of another tool that rewrote it is undone before the route lookup)
// and saves it in conntrack for the replies. Beside it: the restore of the
// mark on replies and masquerade. (DNS is redirected per launch, in BPF:
// see sockmark.)
//
// plan() and diff() are pure; build() makes the libnftnl rule without a
// socket; apply() commits the difference in one atomic batch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "kernel/nft.hpp"
#include "launch/ids.hpp"
#include "launch/report.hpp"
#include "launch/rule.hpp"

namespace via::firewall {

// chain output, one rule for all uplinks:
//   socket mark & 0xfffe0000 == 0x56480000 meta mark set socket mark ct mark set meta mark counter
struct KeepMark {};

// chain output, before KeepMark: replies of connections that came in to one
// of via's sockets go back by the interface they came by (see InboundMark):
//   ct direction reply ct mark & 0xfffe0000 == 0x56480000 meta mark set ct mark counter accept
struct ReplyMark {};

// chain input: a new connection to one of via's sockets remembers the
// interface it came by, as that interface's mark (nft(8) itself refuses to
// write an ifindex into a mark; the bytecode is that of
// "ct mark set meta mark | 0x56490000" with iif for mark):
//   ct state new socket mark & 0xfffe0000 == 0x56480000 ct mark set meta iif | 0x56490000 counter
// Its replies then route by that interface's table when via serves it, by
// main otherwise, and the egress program lets them out there.
struct InboundMark {};

// chain prerouting: ct mark and 0xfffe0000 == 0x56480000 meta mark set ct mark
// Gives replies their connection's mark back, for src_valid_mark (see routing).
struct RestoreMark {};

// chain postrouting, one rule for all uplinks: only packets with one of
// via's marks go on to the uplinks' masquerade rules, so the first packet of
// everybody else's connections reads one rule, not one per uplink:
//   meta mark & 0xfffe0000 == 0x56480000 jump uplinks
struct ToMasquerade {};

// chain uplinks: meta mark & 0xfffeffff == O oifname "DEV" counter masquerade
// (O = M & 0xfffeffff: the mark M, or the open mark O of --no-kill-switch launches)
// The program's sockets chose their source address by the main table, before
// the mark rerouted them; masquerade gives them the uplink's current address.
struct Masquerade {
    std::uint32_t mark = 0;
    std::string oifname;
};

// /etc/via's rules (admin/rules.hpp), chain output: a packet without a
// mark, of a connection this side opened, takes the mark its destination
// has in one of via's maps (no entry: the rule does not match, and nothing
// changes):
//   meta mark 0 ct direction original meta mark set meta l4proto . th dport map @rule_ports ct mark set meta mark
//   meta nfproto ipv4 meta mark 0 ct direction original meta mark set ip daddr . meta l4proto map @rule_to4 ct mark set meta mark
//   (and ip6 daddr, @rule_to6; the protocol is there for the kernel to
//   choose its fast set of ranges, which takes two fields or more: every
//   network's element covers all of them)
struct MarkByMap {
    enum class Key { port, daddr4, daddr6 } key = Key::port;
    std::string map;
};

// What a LAN rule chooses of forwarded traffic:
//   [iifname "LAN"] [ip saddr NET] [meta l4proto P th dport A-B] [ip daddr NET]
struct LanMatch {
    std::string iifname;  // empty: any
    std::optional<rule::Prefix> from;
    std::optional<rule::Ports> ports;
    std::optional<rule::Prefix> to;
};

// chain prerouting, a LAN rule's forwarded traffic (from = ...):
//   MATCH ct direction original meta mark set M ct mark set M counter
// The packet then routes by the uplink's table and is masqueraded there.
struct MarkLan {
    LanMatch match;
    std::uint32_t mark = 0;
};

// chain forward, the LAN rule's kill switch: what it chose leaves by its
// uplink (or back to its own LAN), or not at all, whatever the routes:
//   MATCH oifname != "UPLINK" [oifname != "LAN"] counter drop
struct GuardLan {
    LanMatch match;
    std::string oifname;
};

// A named map of table inet via: key -> mark. With `concat`, the key's
// fields' lengths, and each element a range from key to key_end (the
// kernel's pipapo sets: one lookup, however many ranges).
struct SetSpec {
    std::string name;
    std::uint32_t key_type = 0;  // nft(8)'s data type ids, for its listings
    std::uint32_t key_len = 0;
    std::vector<std::uint8_t> concat;
    struct Element {
        std::vector<std::uint8_t> key;
        std::vector<std::uint8_t> key_end;  // with concat
        std::uint32_t mark = 0;
    };
    std::vector<Element> elements;
};

struct RuleSpec {
    std::string chain;
    // Rules are recognised by their comment, "via OWNER: what it does". The
    // rules of one owner in one chain are a group: if the group in the
    // kernel differs in any way from the plan's, it is replaced whole.
    std::string owner;
    std::string comment;
    std::variant<KeepMark, ReplyMark, InboundMark, RestoreMark, ToMasquerade, Masquerade, MarkByMap, MarkLan, GuardLan>
        action;
};

struct Plan {
    std::vector<RuleSpec> rules;
    // Filled anew, in the same batch, whenever a rule that reads them is
    // added (their contents are in its comment's digest).
    std::vector<SetSpec> sets;
};

Plan plan(const std::string& uplink, const ids::UplinkIds& ids);

// The owner encoded in a comment ("uplink wlan1"), or "" if it is not via's.
std::string owner_of(const std::string& comment);

struct Diff {
    std::vector<RuleSpec> add;
    std::vector<nft::ExistingRule> remove;  // groups that differ from the plan, and what the plan no longer has
    std::vector<RuleSpec> present;
    std::vector<std::string> drop_chains;  // chains of owners no via plans any more (emptied first)
};

Diff diff(const Plan& plan, const std::vector<nft::ExistingRule>& existing);

// The libnftnl rule for a spec (table and chain set, no handle).
nft::Rule build(const RuleSpec& spec);

void apply(const Plan& plan, const Report& report);

// via's rules in its table, as they are now (via status, via gc).
std::vector<nft::ExistingRule> existing();

// Deletes these maps of via's, if they are there.
void remove_sets(const std::vector<std::string>& names, const Report& report);

// Deletes the rules of these owners ("uplink wlan1"); with `table`, the
// whole of table inet via instead (nothing of via's is left to serve).
void remove(const std::vector<std::string>& owners, bool table, const Report& report);

}  // namespace via::firewall
