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
#include "via/ensure.hpp"
#include "via/report.hpp"

namespace via::commands {

// How a launch has its uplink ensured: ensure::converge in via. The
// launcher (src/launcher/) passes its fast path alone, and a hand-over,
// which it calls instead of failing (never returning) for anything that
// goes wrong before the uplink is ensured: via then does the launch again,
// and says what went wrong. Passed in, so that the launcher links none of
// the full ensure.
using Ensure = ensure::Converged (*)(const ensure::Request&, const Report&,
                                     const std::function<void(const ensure::Target&)>&, const ensure::Recheck&);
using HandOver = void (*)();
int launch(const cli::Options& options, Ensure how, HandOver hand_over = nullptr);
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
