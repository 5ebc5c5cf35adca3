// Serialises launches: the check-then-create of routes, rules, nft rules and
// bpf pins is done by one via at a time, machine-wide. The lock file belongs
// to root (mode 0600 in /run/via), so no user can hold it to block others.
// (Beside it, /run/via/uplinks: see served.)
//
// A via that holds the lock only talks to the kernel: it writes nothing to
// its caller and reads nothing from it (see Report). Its caller can still
// stop it (SIGSTOP, a frozen cgroup), so nobody waits longer than
// `patience`: after that, via goes on without the lock. That is safe
// because every step converges to a state read from the kernel right
// before it, and the nft batch is atomic; a stuck holder that resumes
// converges to the same state again.
#pragma once

#include <chrono>

#include "via/handle.hpp"

namespace via::lock {

inline constexpr std::chrono::milliseconds patience{1000};

// Waits for the lock, up to `patience`. Returns the held lock (released
// when the fd is closed), or an empty fd when the holder did not let go
// in time. Needs privilege::RootFiles.
UniqueFd acquire();

}  // namespace via::lock
