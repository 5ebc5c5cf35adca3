// /etc/via: named uplinks, and who may do what with them (via.conf(5)).
//
//   [defaults]
//   interfaces = any            which interfaces members may name directly
//   admins = alice @netadmins   members who may set per-uplink options
//
//   [uplink vpn]
//   interface = wg0
//   gateway = 10.8.0.1
//   dns = 10.8.0.53
//   kill-switch = always
//   users = alice
//   groups = family
//
// The machine's configuration is root's: every file and directory must be
// owned by root and writable by nobody else, or via refuses to run. What
// applies to every program on an uplink (its gateways, what is stored for
// `via repair`) comes from here or from root's own command line; members
// may set it only where `admins` names them.
//
// parse() and decide() are pure; load() reads the files.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <variant>
#include <vector>

#include "launch/rule.hpp"

namespace via::config {

inline constexpr const char* dir = "/etc/via";
inline constexpr const char* main_file = "/etc/via/via.conf";
inline constexpr const char* dropin_dir = "/etc/via/conf.d";

enum class KillSwitch {
    on,      // the default; a launch may turn it off for its own programs
    off,     // every launch is without it (as with --no-kill-switch)
    always,  // only root and the uplink's admins may launch without it
};

enum class Mode {
    tag,   // the program keeps its caller's identity (the default)
    user,  // the program runs as the uplink's dedicated user (--as-user)
};

struct Uplink {
    std::string name;
    std::string interface;  // the name itself when not given
    std::optional<std::string> gateway;
    std::optional<std::string> gateway6;
    std::vector<std::string> dns;
    KillSwitch kill_switch = KillSwitch::on;
    Mode mode = Mode::tag;
    // Who may use it: these users and members of these groups; both empty:
    // every member of group via.
    std::vector<std::string> users;
    std::vector<std::string> groups;
    // Who may set what is stored per uplink (--gateway, --gateway6) and
    // launch without an `always` kill switch: user names, @group names.
    std::vector<std::string> admins;
    // Who may run programs as its dedicated user: user names, @group names.
    std::vector<std::string> as_user;
    std::string file;  // where its section starts
    unsigned line = 0;
    std::string where() const { return file + ":" + std::to_string(line); }
};

struct Defaults {
    // Interfaces members may name directly, without a section; empty with
    // any_interface false: none.
    bool any_interface = true;
    std::vector<std::string> interfaces;
    std::vector<std::string> admins;  // for interfaces named directly
};

// [rule NAME]: traffic of the whole machine that leaves by an uplink
// without a launch (the seeds' iptables recipes). Any of its selectors
// catches a packet; a launch's own uplink wins over every rule. With
// `from`, the rule is the LAN's: its forwarded traffic from there, all of
// it or what its ports, to and dns choose.
struct Rule {
    std::string name;
    std::string uplink;  // an [uplink NAME] or an interface
    std::vector<rule::Ports> ports;   // destination ports, both families
    std::vector<rule::Prefix> to;     // destination networks
    std::vector<std::string> domains; // destinations by name (their addresses at via repair)
    std::vector<std::string> users;   // user names, @group names: their sockets
    bool dns_all = false;             // every program's DNS (port 53, tcp and udp)
    // Forwarded traffic of LAN clients: coming in by these interfaces
    // (none: any) from these networks (none: any); one of them at least.
    std::vector<std::string> from_interfaces;
    std::vector<rule::Prefix> from;
    std::string file;
    unsigned line = 0;
    std::string where() const { return file + ":" + std::to_string(line); }
    bool selects_local() const {
        return !ports.empty() || !to.empty() || !domains.empty() || !users.empty() || dns_all;
    }
    bool lan() const { return !from.empty() || !from_interfaces.empty(); }
};

struct Config {
    Defaults defaults;
    std::vector<Uplink> uplinks;
    std::vector<Rule> rules;
};

struct ParseError {
    std::string file;
    unsigned line = 0;  // 0: the file as a whole
    std::string message;
    std::string text() const;  // "FILE:LINE: MESSAGE"
};

// Adds one file's sections to `config`; on error, `config` is unchanged.
std::optional<ParseError> parse(std::string_view text, const std::string& file, Config& config);

// The section an uplink name or interface name refers to, if any.
const Uplink* find(const Config& config, const std::string& name);

// The interface a name on the command line means: a configured uplink's,
// or the name itself.
std::string interface_of(const Config& config, const std::string& name);


// Valid names for [uplink NAME]: they also name a system user.
bool valid_uplink_name(const std::string& name);

struct Caller {
    uid_t uid = 0;
    std::string user;
    std::vector<std::string> groups;  // names of all of its groups
};

// Which of the caller's names the configuration's lists (users, groups,
// admins, as-user) can match: only those are looked up (NSS, one of the
// slowest parts of a launch when they are not needed).
struct Names {
    bool user = false;
    bool groups = false;
    bool operator==(const Names&) const = default;
};
Names names_needed(const Config& config);

// What a launch asks for (from the command line).
struct Ask {
    std::string name;  // an uplink or an interface
    std::optional<std::string> gateway;
    std::optional<std::string> gateway6;
    std::vector<std::string> dns;
    bool no_kill_switch = false;
    bool as_user = false;
};

// What the launch gets.
struct Grant {
    std::string uplink;  // the section's name, or the interface
    std::string interface;
    std::optional<std::string> gateway;  // the command line's or the configuration's
    std::optional<std::string> gateway6;
    std::vector<std::string> dns;  // the command line's, else the configuration's
    bool dns_from_caller = false;  // --dns: exec with no_new_privs
    bool kill_switch = true;
    bool as_user = false;
    bool operator==(const Grant&) const = default;
};

struct Refusal {
    std::string message;
    std::string hint;
};

std::variant<Grant, Refusal> decide(const Config& config, const Caller& caller, const Ask& ask);

// The names decide() reads for this request: the uplink's users and
// groups, its admins only for what only admins may ask, its as-user list
// only for a dedicated user.
Names names_needed(const Config& config, const Ask& ask);

// Whether the caller may remove via's state: `via down NAME` (NAME's
// admins) or, with no name, `via gc` ([defaults] admins). Root always.
std::optional<Refusal> may_take_down(const Config& config, const Caller& caller, const std::optional<std::string>& name);

// Reads /etc/via/via.conf then /etc/via/conf.d/*.conf in name order,
// after checking that each (and each directory) is root's and written by
// no one else. No /etc/via: the defaults. Throws via::Error.
Config load();

}  // namespace via::config
