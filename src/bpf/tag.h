// What via stores for tasks and uplinks, shared by the BPF programs and via.
// Part of the pinned maps' format: change it only with new map names.
#pragma once

#include <linux/types.h>

#define VIA_IFNAMSIZ 16

// The key of the uplinks map: an interface name, NUL-padded.
struct via_uplink {
    char name[VIA_IFNAMSIZ];
};

// A task's tag: the uplink it was launched via, and that uplink's mark at
// the time (used only if the uplink is no longer in the uplinks map).
struct via_tag {
    struct via_uplink uplink;
    __u32 mark;
};
