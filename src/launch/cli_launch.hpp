// A launch's command line, `via [OPTION...] UPLINK -- PROGRAM [ARGS...]`:
// its options, and the reader the launcher uses (no CLI11). via's full
// parser (admin/cli.hpp) gives the same Options for the same line. Pure.
#pragma once

#include <optional>
#include <string>
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

// A launch, `via [OPTION...] UPLINK -- PROGRAM [ARGS...]`, read without
// CLI11: nullopt for any other command line (help, version, the other
// commands) and for any the launch options do not make valid. Where it
// answers, parse() answers the same Options (the launcher hands the rest
// to via, which says what is wrong).
std::optional<Options> parse_launch(const std::vector<std::string>& args);

// What is not valid in a launch's options, as its usage error says it
// (the first such thing), checked by parse() and parse_launch() alike.
std::optional<std::string> invalid_launch(const Options& options);

// Whether `text` is an address of `family` (AF_INET, AF_INET6).
bool valid_address(int family, const std::string& text);

// Linux's rules for interface names (dev_valid_name in net/core/dev.c).
bool valid_interface_name(const std::string& name);

}  // namespace via::cli
