// What via stores for tasks, uplinks and networks, shared by the BPF
// programs and via.
// Part of the pinned maps' format: change it only with new map names.
#pragma once

#include <linux/types.h>

#define VIA_IFNAMSIZ 16

// The key of the uplinks map: an interface name, NUL-padded.
struct via_uplink {
    char name[VIA_IFNAMSIZ];
};

#define VIA_TAG_OPEN 1  // launched with --no-kill-switch

// A task's tag: the uplink it was launched via, and that uplink's mark at
// the time (used only if the uplink is no longer in the uplinks map).
struct via_tag {
    struct via_uplink uplink;
    __u32 mark;
    __u32 flags;  // VIA_TAG_OPEN
};

// The key of the networks map (an LPM trie): a network directly connected
// to an interface. The trie's data is the ifindex (always matched whole)
// then the address, IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d), so that
// prefixlen = 32 + 96 + bits for IPv4, 32 + bits for IPv6.
struct via_lan {
    __u32 prefixlen;
    __u32 ifindex;
    __u8 addr[16];
};

// As in include/via/constants.hpp.
#define VIA_ANY_MARK_BASE 0x56480000u  // mark & VIA_ANY_MARK_MASK: one of via's
#define VIA_ANY_MARK_MASK 0xfffe0000u
#define VIA_OPEN_BIT 0x00010000u       // cleared: a --no-kill-switch mark
#define VIA_IFINDEX_MASK 0x0000ffffu
