// What the configuration grants a launch (shared by launch and check).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "launch/cli_launch.hpp"
#include "launch/config.hpp"
#include "launch/ensure.hpp"

namespace via::commands {

struct Decision {
    config::Grant grant;
    std::optional<ensure::DedicatedUser> dedicated;  // the uplink's, if it has one
};

// /etc/via, read with root's file identity: it may be closed to members.
config::Config root_config();

// What the configuration lets this caller do with this command line.
// Throws via::Error with the refusal. Needs privilege::RootFiles when
// /etc/via is closed to members.
Decision decide(const cli::Options& options);

// The request for the uplink: the granted gateways, else those root (or
// an admin) gave an earlier launch, which hold for everybody's.
ensure::Request request_for(const config::Grant& grant, const std::optional<ensure::DedicatedUser>& dedicated);

// The launch's name servers: its own (--dns, or the uplink's dns =), else
// those systemd-resolved has for the interface; none if neither.
std::vector<std::string> name_servers(const config::Grant& grant);

}  // namespace via::commands
