// The identifiers via gives an uplink, derived from its ifindex alone: two
// uplinks never share them (ifindexes are unique in a network namespace), a
// relaunch finds the same ones, and an interface that is deleted and
// recreated gets a new ifindex and so new identifiers, never its old ones.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace via::ids {

struct UplinkIds {
    std::uint32_t mark = 0;       // fwmark set on the program's packets
    std::uint32_t open_mark = 0;  // the same, for launches with --no-kill-switch
    std::uint32_t table = 0;      // routing table holding the uplink's default route
};

// nullopt when the ifindex does not fit via's mark range.
std::optional<UplinkIds> for_ifindex(int ifindex);

// Whether a mark (of either kind) or a table number is in via's range.
bool is_via_mark(std::uint32_t mark);

// A mark as ip-rule(8) and nft(8) print it: "0x56490003".
std::string hex(std::uint32_t mark);

// The cookie of via's network namespace (SO_NETNS_COOKIE), never reused
// while the machine is up. Marks, tables and interface names are of one
// namespace: what via records of them (its BPF maps, its notes and
// stamps in /run/via) is held apart by this, and via reads and writes
// only its own namespace's.
std::uint64_t own_netns();

}  // namespace via::ids
