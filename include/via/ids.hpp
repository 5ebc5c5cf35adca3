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

}  // namespace via::ids
