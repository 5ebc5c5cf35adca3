// Command line: via [OPTIONS] UPLINK -- PROGRAM [ARGS...]
//               via repair [-v] [UPLINK...]
//               via adduser UPLINK
// Pure: turns an argv into Options or into "print this and exit with that".
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
    bool verbose = false;
    std::vector<std::string> command;    // PROGRAM and its arguments, never empty
};

// via repair: without "--" on the line (an interface named "repair" is
// still launched with `via repair -- PROGRAM`).
struct Repair {
    std::vector<std::string> uplinks;  // none: every uplink via serves
    bool verbose = false;
};

// via adduser UPLINK: root makes the uplink's dedicated system user.
struct AddUser {
    std::string uplink;
};

// --help, --version, or a usage error: what to print, where, and the exit code.
struct Exit {
    int code = 0;
    std::string out;
    std::string err;
};

using Result = std::variant<Options, Repair, AddUser, Exit>;

// args[0] is the program name, as in main's argv.
Result parse(const std::vector<std::string>& args);

// Whether `text` is an address of `family` (AF_INET, AF_INET6).
bool valid_address(int family, const std::string& text);

// Linux's rules for interface names (dev_valid_name in net/core/dev.c).
bool valid_interface_name(const std::string& name);

}  // namespace via::cli
