// The launch, `via [OPTIONS] UPLINK -- PROGRAM [ARGS...]`: a short
// top-to-bottom story in launch.cpp, run by via (admin/main.cpp) and by
// the launcher (main.cpp), which returns the process's exit status and
// never throws.
#pragma once

#include <exception>
#include <string>

#include "launch/cli_launch.hpp"
#include "launch/ensure.hpp"
#include "launch/report.hpp"

namespace via::commands {

// How a launch has its uplink ensured: ensure::converge in via. The
// launcher (src/launch/main.cpp) passes its fast path alone, and a hand-over,
// which it calls instead of failing (never returning) for anything that
// goes wrong before the uplink is ensured: via then does the launch again,
// and says what went wrong. Passed in, so that the launcher links none of
// the full ensure.
using Ensure = ensure::Converged (*)(const ensure::Request&, const Report&,
                                     const std::function<void(const ensure::Target&)>&, const ensure::Recheck&);
using HandOver = void (*)();
int launch(const cli::Options& options, Ensure how, HandOver hand_over = nullptr);

// Prints an exception as via's error and drops every capability: the end of
// every failing command. Returns owned::exit_failure; `shown`, if
// given, gets the text printed.
int failed(const std::exception& e, std::string* shown = nullptr);

}  // namespace via::commands
