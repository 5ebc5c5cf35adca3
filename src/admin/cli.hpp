// Command line:
//   via [OPTIONS] UPLINK -- PROGRAM [ARGS...]
//   via status [--json[=short|pretty]] [UPLINK...]     (alias: list)
//   via check [UPLINK]
//   via gc [-v]
//   via down [--force] [-v] UPLINK
//   via desktop UPLINK APP
//   via repair [-v] [UPLINK...]
//   via adduser UPLINK
// A command word counts only without "--" on the line: `via status --
// PROGRAM` launches PROGRAM via an interface named "status".
// Pure: turns an argv into what to do, or into "print this and exit with that".
// A launch's own options and their one reader, which the launcher
// links: launch/cli_launch.hpp.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "launch/cli_launch.hpp"

namespace via::cli {

// via repair: every uplink via serves, or those named.
struct Repair {
    std::vector<std::string> uplinks;
    bool verbose = false;
};

// via adduser UPLINK: root makes the uplink's dedicated system user.
struct AddUser {
    std::string uplink;
};

enum class Json { none, shortform, pretty };

// via status: the uplinks via manages and what runs through them.
struct Status {
    std::vector<std::string> uplinks;  // none: all
    Json json = Json::none;
};

// via check: what works and what to fix, for one uplink or in general.
struct Check {
    std::optional<std::string> uplink;
};

// via gc, via down UPLINK: remove via's state nothing uses.
struct Down {
    std::optional<std::string> uplink;  // none: gc, every unused uplink
    bool force = false;                 // down only: even while programs run
    bool verbose = false;
};

// via desktop UPLINK APP: a menu entry that runs APP via UPLINK.
struct Desktop {
    std::string uplink;
    std::string app;  // an application id (firefox-esr) or a .desktop path
};

// --help, --version, or a usage error: what to print, where, and the exit code.
struct Exit {
    int code = 0;
    std::string out;
    std::string err;
};

using Result = std::variant<Options, Repair, AddUser, Status, Check, Down, Desktop, Exit>;

// args[0] is the program name, as in main's argv.
Result parse(const std::vector<std::string>& args);

// `via --help`: every line fits 80 columns.
const std::string& help();

// The closest of `known` to `word` by edit distance, if close enough to be
// a typo of it ("--gatway" -> "--gateway").
std::optional<std::string> closest(const std::string& word, const std::vector<std::string>& known);

}  // namespace via::cli
