// Every number and name via claims for itself, in one place.
//
// via never touches kernel state it did not create. To be able to tell its
// own objects from everybody else's, all of them carry one of these values:
// a mark in via's mark range, a routing table of the same number, an ip rule
// in via's priority range tagged with via's protocol id, and one nftables
// table. Documented for users in README.md and man/via.1.
#pragma once

#include <cstdint>
#include <string_view>

namespace via::constants {

// Marks and routing tables: 0x5649 ("VI") in the upper 16 bits, the
// uplink's ifindex in the lower 16. wg-quick, Tailscale, Mullvad and
// Kubernetes use other values; the seeds' mark 1 / table 1 are avoided.
inline constexpr std::uint32_t mark_base = 0x5649'0000;
inline constexpr std::uint32_t mark_mask = 0xffff'0000;
inline constexpr std::uint32_t max_ifindex = 0xffff;
// The marks of launches with --no-kill-switch, 0x5648 in the upper bits:
// routed like the uplink's mark, but without the kill switch, and let out
// by other interfaces. Both ranges: mark & 0xfffe0000 == 0x56480000.
inline constexpr std::uint32_t open_mark_base = 0x5648'0000;
inline constexpr std::uint32_t any_mark_mask = 0xfffe'0000;

// ip rule priorities. All of via's rules live in [31900, 31999]: after the
// kernel's "lookup local" (0) and Tailscale's 52xx, before wg-quick's
// automatic 3276x and the main table (32766).
inline constexpr std::uint32_t pref_min = 31900;
inline constexpr std::uint32_t pref_max = 31999;
// fwmark M lookup main suppress_prefixlength 0: LAN and local routes of the
// main table keep working for the program; only default routes are skipped.
inline constexpr std::uint32_t pref_keep_local = 31900;
// fwmark M lookup <table M>: the uplink's own default route.
inline constexpr std::uint32_t pref_uplink = 31901;
// fwmark M unreachable: the kill switch. When the uplink's table has no
// route (uplink down, address gone), lookups fail here instead of falling
// through to main and its default uplink. For IPv6 also the refusal of a
// program's IPv6 when the uplink has none.
inline constexpr std::uint32_t pref_kill_switch = 31902;

// Routing protocol id written on via's routes and rules (RTPROT_*, FRA_PROTOCOL).
// 86 ('V') is not assigned in the kernel's rtnetlink.h nor iproute2's rt_protos.
inline constexpr std::uint8_t rt_protocol = 86;

// nftables: one table, owned by via; deleting it removes everything via did.
inline constexpr std::string_view nft_table = "via";
inline constexpr std::string_view nft_chain_output = "output";
inline constexpr std::string_view nft_chain_prerouting = "prerouting";
inline constexpr std::string_view nft_chain_postrouting = "postrouting";
inline constexpr std::string_view nft_chain_nat_output = "nat_output";

// bpffs: the map of tags and the links of via's programs, pinned here.
inline constexpr const char* bpffs = "/sys/fs/bpf";
inline constexpr const char* bpf_dir = "/sys/fs/bpf/via";
inline constexpr const char* bpf_tags_pin = "/sys/fs/bpf/via/tags";
inline constexpr const char* bpf_uplinks_pin = "/sys/fs/bpf/via/uplinks";
inline constexpr const char* bpf_lans_pin = "/sys/fs/bpf/via/lans";

// Exit codes, as env(1) uses them.
inline constexpr int exit_failure = 125;
inline constexpr int exit_cannot_run = 126;
inline constexpr int exit_not_found = 127;

}  // namespace via::constants
