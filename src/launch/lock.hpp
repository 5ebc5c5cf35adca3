// Serialises launches: the check-then-create of routes, rules, nft rules and
// bpf pins is done by one via at a time, machine-wide. The lock file belongs
// to root (mode 0600 in /run/via), so no user can hold it to block others.
// (Beside it, /run/via/uplinks: see served.)
//
// A via that holds the lock only talks to the kernel: it writes nothing to
// its caller and reads nothing from it (see Report). Its caller can still
// stop it (SIGSTOP, a frozen cgroup), so nobody waits for a holder that is
// stopped or frozen longer than `patience`: after that, via goes on
// without the lock. A holder that is merely slow (a loaded machine, fifty
// launches at once on an emulated one) is waited for, up to `limit`: two
// full ensures at once are not safe (the nft batch is atomic, but each
// reads the table before the other's batch: rules end up twice).
#pragma once

#include <chrono>
#include <optional>
#include <string_view>
#include <sys/types.h>

#include "launch/handle.hpp"

namespace via::lock {

inline constexpr std::chrono::milliseconds patience{1000};
inline constexpr std::chrono::milliseconds limit{15000};

// Waits for the lock: up to `patience` when its holder is stopped or
// frozen, up to `limit` otherwise. Returns the held lock (released when
// the fd is closed), or an empty fd when the holder did not let go in
// time. Needs privilege::RootFiles.
UniqueFd acquire();

// The pid holding an flock on file (dev, ino), from /proc/locks (pure).
std::optional<pid_t> holder_in(std::string_view proc_locks, dev_t dev, ino_t ino);

// Whether a process is stopped or traced (its /proc/PID/stat), or its
// cgroup frozen (that cgroup's cgroup.events) (pure).
bool stopped(std::string_view proc_stat, std::string_view cgroup_events);

}  // namespace via::lock
