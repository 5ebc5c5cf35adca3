// via's commands, each a short top-to-bottom story in src/admin/commands/
// (the launch's in src/launch/launch.cpp, launch/launch.hpp):
//   launch  via [OPTIONS] UPLINK -- PROGRAM [ARGS...]
//   repair  via repair [UPLINK...]
//   adduser via adduser UPLINK
//   status  via status [--json] [UPLINK...]
//   check   via check [UPLINK]
//   down    via gc, via down UPLINK
//   desktop via desktop UPLINK APP
// Each returns the process's exit status; none throws.
#pragma once

#include <exception>
#include <string>

#include "admin/cli.hpp"
#include "launch/launch.hpp"

namespace via::commands {

int repair(const cli::Repair& options);
int adduser(const cli::AddUser& options);
int status(const cli::Status& options);
int check(const cli::Check& options);
int down(const cli::Down& options);  // gc, or down UPLINK
int desktop(const cli::Desktop& options);

// A caller outside via's group (who has no capability at all): says how
// to join it.
int refuse_outsider();

}  // namespace via::commands
