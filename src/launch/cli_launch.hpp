// A launch's command line, `via [OPTION...] UPLINK -- PROGRAM [ARGS...]`:
// its options and their one reader, which the launcher and via's full
// parser (admin/cli.hpp) both use. Pure.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace via::cli {

struct Options {
    std::string uplink;
    std::optional<std::string> gateway;   // IPv4, already validated
    std::optional<std::string> gateway6;  // IPv6, already validated
    std::vector<std::string> dns;         // IPv4 or IPv6 name servers
    bool kill_switch = true;
    bool as_user = false;                 // run as the uplink's dedicated user
    bool notify = false;                  // also show a failure as a desktop notification
    bool verbose = false;
    std::vector<std::string> command;    // PROGRAM and its arguments, never empty
};

// The launch's options, the one table of them: read_launch() reads these,
// parse() (admin/cli.hpp) names them in its errors, and the tests hold
// --help, the completions and via(1) to it.
struct OptionSpec {
    const char* name;
    bool takes_value;  // "--name VALUE" or "--name=VALUE"
};
inline constexpr OptionSpec launch_options[] = {
    {"--gateway", true}, {"--gateway6", true}, {"--dns", true}, {"--no-kill-switch", false},
    {"--as-user", false}, {"--notify", false}, {"-v", false},   {"--verbose", false},
};

// A launch, `via [OPTION...] UPLINK -- PROGRAM [ARGS...]`: its Options, or
// what is wrong with it, the first such thing, as its usage error says it.
// The one reader of a launch: the launcher's and via's.
std::variant<Options, std::string> read_launch(const std::vector<std::string>& args);

// read_launch's Options, or nullopt (the launcher, which hands the rest to
// via, which says what is wrong, or reads a command line of another kind).
std::optional<Options> parse_launch(const std::vector<std::string>& args);

// What is not valid in a launch's options, as its usage error says it
// (the first such thing).
std::optional<std::string> invalid_launch(const Options& options);

// Whether `text` is an address of `family` (AF_INET, AF_INET6).
bool valid_address(int family, const std::string& text);

// Linux's rules for interface names (dev_valid_name in net/core/dev.c).
bool valid_interface_name(const std::string& name);

}  // namespace via::cli
