// The cgroup2 hierarchy: where sockmark attaches its socket program (the
// root of the hierarchy as this mount namespace sees it). via does not move
// programs between cgroups: they stay in the caller's session and scope.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace via::cgroup {

struct Mount {
    std::string root;   // the hierarchy path mounted there, "/" normally
    std::string point;  // where it is mounted, e.g. /sys/fs/cgroup or /sys/fs/cgroup/unified
};

// The cgroup2 mount of a /proc/self/mountinfo text: the last one that shows
// the whole hierarchy (root "/"), else the first.
std::optional<Mount> find_cgroup2(std::string_view mountinfo);

// Undoes mountinfo's octal escapes ("\040" for a space).
std::string unescape(std::string_view field);

// Reads /proc/self/mountinfo. Throws when there is no cgroup2 hierarchy.
Mount find_mount();

// The id of the cgroup at a path: its kernfs node id, as bpf link
// information and `socket cgroupv2` report it.
std::uint64_t id_of(const std::string& path);

// The mount a full ensure found (the stamp's), if it is still a cgroup2
// mount whose root has that id; else the mount as find_mount() finds it.
Mount mount_or_find(const Mount& last, std::uint64_t last_id);

}  // namespace via::cgroup
