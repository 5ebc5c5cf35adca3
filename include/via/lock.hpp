// Serialises launches: the check-then-create of routes, rules, nft rules and
// bpf pins is done by one via at a time, machine-wide. The lock file belongs
// to root (mode 0600 in /run/via), so no user can hold it to block others.
// Beside it, /run/via/uplinks/ has an empty file per uplink via serves: the
// network managers' hooks re-ensure those uplinks, and only those.
#pragma once

#include <string>

#include "via/handle.hpp"

namespace via::lock {

// Blocks until the lock is held; released when the returned fd is closed.
// Needs privilege::RootFiles.
UniqueFd acquire();

// Records that via serves the uplink (idempotent). Needs privilege::RootFiles.
void note_served(const std::string& uplink);

}  // namespace via::lock
