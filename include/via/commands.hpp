// via's commands, each a short top-to-bottom story in src/commands/:
//   launch  via [OPTIONS] UPLINK -- PROGRAM [ARGS...]
//   repair  via repair [UPLINK...]
//   adduser via adduser UPLINK
// Each returns the process's exit status; none throws.
#pragma once

#include "via/cli.hpp"

namespace via::commands {

int launch(const cli::Options& options);
int repair(const cli::Repair& options);
int adduser(const cli::AddUser& options);

// Prints an exception as via's error and drops every capability: the end of
// every failing command. Returns constants::exit_failure.
int failed(const std::exception& e);

}  // namespace via::commands
