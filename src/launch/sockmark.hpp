// The first layer of marking: every socket a program launched via U
// creates carries U's mark from birth, wherever the program has moved.
//
// How, and why this way (tried against the alternatives, see README):
//   - via tags its own task with U in a BPF task-storage map, through a
//     pidfd, just before exec. The tag belongs to the task, not to a
//     cgroup: a program that asks systemd for a scope of its own
//     (StartTransientUnit, `systemd-run --user --scope`, Chromium, flatpak)
//     or that PID 1 moves elsewhere keeps it. So via no longer moves the
//     program at all; it stays in the caller's session and scope.
//   - a `tp_btf/sched_process_fork` program copies the tag to every new
//     process and thread before it first runs.
//   - an `lsm_cgroup/socket_post_create` program, attached once at the root
//     of the cgroup2 hierarchy (multi-attach, beside anybody else's
//     programs), gives each socket the mark of its creator's uplink with
//     bpf_setsockopt(SO_MARK) (why an LSM program, and which kernels:
//     src/bpf/socket.bpf.c), so the first
//     route lookup already uses U's table and kill switch. The mark is
//     looked up by U's name in a second map, which every launch updates:
//     programs running on an interface that was made again (a re-plugged
//     tether, a new ifindex, a new mark) follow it.
// Programs and maps are pinned under /sys/fs/bpf/via and live on without a
// daemon. The links' pin names carry a stamp of the BPF object, so a newer
// via replaces the programs while the maps, and the tags of running
// programs, stay.
//
// The rejected alternatives: a resident helper re-attaching programs to
// whatever cgroup a process lands in (a daemon, and a race at every move);
// the real gid as the tag (every exec of the program would be secure-mode);
// a per-uplink cgroup (what via did before: lost at the first scope move,
// and it took the program out of the user's session).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <utility>
#include <vector>

#include "kernel/cgroup.hpp"
#include "launch/report.hpp"
#include "launch/uplink.hpp"

struct via_lan;
struct via_tag;

namespace via::sockmark {

// The pin name of a link: "<what>-<stamp>" (bpffs refuses dots in names).
std::string pin_name(const std::string& what, const std::string& stamp);

// The stamp of the BPF object built into this via.
const std::string& stamp();

// Whether via's maps and programs are loaded, attached (the cgroup
// programs at the root of `mount`) and pinned with this via's stamp, as
// programs::ensure (admin/programs.hpp) makes them, changing nothing: the
// launcher's fast path, which hands anything else to the full via. How it
// looks: one listing of the pins, and a query of the cgroup root per hook
// for the program ids that via's state map recorded. Call with the lock
// held, with CAP_SYS_ADMIN effective and privilege::RootFiles (the pins
// are root's); so the calls below, after it ("same privileges").
bool intact(const cgroup::Mount& mount, const Report& report);

// How many writes to a src_valid_mark sysctl (any interface, any network
// namespace) the `cgroup/sysctl` program has counted since it was first
// attached; nullopt while it is not. Same privileges.
std::optional<std::uint64_t> sysctl_writes();

// Records the uplink's current mark in via's network namespace
// (ids::own_netns), for the programs running on it. Same
// privileges, after it.
void set_uplink(const std::string& uplink, std::uint32_t mark, const Report& report);

// The key of a connected network of a network namespace in the networks
// map (see src/bpf/tag.h) (pure).
via_lan network_key(const uplink::Network& network, std::uint64_t netns);

// Makes the networks map hold exactly these networks for via's network
// namespace: a program's packets may reach them by their interface. Same
// privileges, after it.
void set_networks(const std::vector<uplink::Network>& networks, const Report& report);

// What a launch tags its program with.
struct Launch {
    std::string uplink;  // the interface
    std::uint32_t mark = 0;
    bool kill_switch = true;  // without it, the sockets get the uplink's open mark
    std::vector<std::string> dns;  // its port-53 traffic goes to these (up to 3 of each family)
    std::uint32_t rule = 0;  // a user rule's id (admin/rules.hpp): its sockets count for the rule
};

// The tag as the BPF programs read it (pure).
via_tag make_tag(const Launch& launch);

// The mark the sockets of such a launch get (pure).
std::uint32_t socket_mark(const Launch& launch);

// Tags the calling process: it, what it execs and all of its descendants;
// then makes a socket and fails unless the kernel gave it the launch's
// mark. Same privileges.
void tag_self(const Launch& launch);

// The sockets of a dedicated user's tasks get this launch's tag, with no
// launch (services). Same privileges.
void set_user(uid_t uid, const Launch& launch, const Report& report);

struct Tag {
    std::string uplink;
    std::uint32_t mark = 0;  // the mark when it was tagged
    bool open = false;       // --no-kill-switch
    std::vector<std::string> dns;
    std::uint32_t rule = 0;  // a user rule's id, or 0
};

// The tag of a running process, if any. Same privileges.
std::optional<Tag> tag_of(pid_t pid);

// The launch a tagged process belongs to: the pid of the via that launched
// it (its first process, unless that exec'd elsewhere or exited).
std::optional<pid_t> launch_of(pid_t pid);

// What the sockets of a launch (or of a dedicated user's process) sent, by
// its id (none: nothing yet).
struct Traffic {
    std::uint64_t packets = 0;
    std::uint64_t bytes = 0;
};
std::optional<Traffic> traffic_of(pid_t pid);
// What a rule's traffic counted (admin/rules.hpp), by its id.
std::optional<Traffic> traffic_of_rule(std::uint32_t rule);

// The uplinks map: name -> the mark running programs follow.
std::vector<std::pair<std::string, std::uint32_t>> uplinks();

// The dedicated users whose sockets are marked, and their tags.
std::vector<std::pair<uid_t, Tag>> users();

// Takes a uid out of the dedicated users' map: its sockets are no longer
// marked. Same privileges.
void forget_user(uid_t uid, const Report& report);

// Takes an uplink out of the uplinks map (via down): its programs' sockets
// fall back to their tag's mark. Same privileges.
void forget_uplink(const std::string& uplink, const Report& report);

}  // namespace via::sockmark
