// Serialises launches: the check-then-create of routes, rules, nft rules and
// bpf pins is done by one via at a time, machine-wide. The lock file belongs
// to root (mode 0600 in /run/via), so no user can hold it to block others.
// (Beside it, /run/via/uplinks: see served.)
#pragma once

#include "via/handle.hpp"

namespace via::lock {

// Blocks until the lock is held; released when the returned fd is closed.
// Needs privilege::RootFiles.
UniqueFd acquire();

}  // namespace via::lock
