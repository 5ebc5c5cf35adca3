// via's commands, each a short top-to-bottom story in src/commands/:
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

#include "via/cli.hpp"

namespace via::commands {

int launch(const cli::Options& options);
int repair(const cli::Repair& options);
int adduser(const cli::AddUser& options);
int status(const cli::Status& options);
int check(const cli::Check& options);
int down(const cli::Down& options);  // gc, or down UPLINK
int desktop(const cli::Desktop& options);

// A caller outside via's group (who has no capability at all): says how
// to join it.
int refuse_outsider();

// Prints an exception as via's error and drops every capability: the end of
// every failing command. Returns constants::exit_failure; `shown`, if
// given, gets the text printed.
int failed(const std::exception& e, std::string* shown = nullptr);

}  // namespace via::commands
