// The per-uplink cgroup (v2) the program runs in: <cgroup2>/via/<uplink>.
// Sockets remember the cgroup of the process that created them, and
// nftables matches on it (`socket cgroupv2`), so everything the program and
// its children open is marked.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "via/report.hpp"

namespace via::cgroup {

struct Mount {
    std::string root;   // the hierarchy path mounted there, "/" normally
    std::string point;  // where it is mounted, e.g. /sys/fs/cgroup or /sys/fs/cgroup/unified
};

// The first cgroup2 mount in a /proc/self/mountinfo text.
std::optional<Mount> find_cgroup2(std::string_view mountinfo);

// Undoes mountinfo's octal escapes ("\040" for a space).
std::string unescape(std::string_view field);

struct Cgroup {
    std::string path;        // absolute path in the file system
    std::uint64_t id = 0;    // what `socket cgroupv2` compares with
    std::uint32_t level = 0; // its depth below the hierarchy's root
};

// Depth of <root>/via/<uplink> below the hierarchy's root.
std::uint32_t level_of(std::string_view mount_root);

// Reads /proc/self/mountinfo. Throws when there is no cgroup2 hierarchy.
Mount find_mount();

// Creates <mount>/via/<uplink> if missing (mode 0755, owned by root: call
// with privilege::RootFiles held) and returns its id. Idempotent.
Cgroup ensure(const Mount& mount, const std::string& uplink, const Report& report);

// Moves the calling process into the cgroup.
void join(const Cgroup& cgroup);

}  // namespace via::cgroup
