// The uplink read from the kernel over rtnetlink (kernel/rtnl.hpp): via's
// alone, for the full ensure and `via check`. Read-only.
#pragma once

#include <optional>
#include <string>

#include "kernel/rtnl.hpp"
#include "launch/uplink.hpp"

namespace via::uplink {

// Validates the interface (exists, is up, has IPv4) and finds its next hops.
// Throws via::Error with a hint on every kind of bad input.
Uplink discover(nlmsg::Socket& sock, const std::string& name, const std::optional<std::string>& gateway,
                const std::optional<std::string>& gateway6);

}  // namespace via::uplink
