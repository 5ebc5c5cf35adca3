#include "via/cli.hpp"

#include <algorithm>
#include <cctype>

#include <arpa/inet.h>
#include <net/if.h>

#include <CLI/CLI.hpp>

#include "via/constants.hpp"
#include "via/version.hpp"

namespace via::cli {
namespace {

constexpr const char* usage_hint = "usage: via [OPTIONS] UPLINK -- PROGRAM [ARGS...]; see 'via --help'";

Exit usage_error(const std::string& what) {
    return Exit{constants::exit_failure, {}, "via: " + what + "\n" + "hint: " + usage_hint + "\n"};
}

}  // namespace

bool valid_address(int family, const std::string& text) {
    in6_addr addr{};
    return inet_pton(family, text.c_str(), &addr) == 1;
}

bool valid_interface_name(const std::string& name) {
    if (name.empty() || name.size() >= IFNAMSIZ || name == "." || name == "..") return false;
    return std::none_of(name.begin(), name.end(), [](unsigned char c) {
        return c == '/' || c == ':' || std::isspace(c) || c == '\0';
    });
}

Result parse_repair(const std::vector<std::string>& words) {
    Repair repair;
    for (const auto& w : words) {
        if (w == "-v" || w == "--verbose")
            repair.verbose = true;
        else if (!w.empty() && w[0] == '-')
            return Exit{constants::exit_failure, {},
                        "via: unknown option '" + w + "' for repair\nhint: usage: via repair [-v] [UPLINK...]\n"};
        else if (!valid_interface_name(w))
            return usage_error("'" + w + "' is not a valid interface name");
        else
            repair.uplinks.push_back(w);
    }
    return repair;
}

Result parse_adduser(const std::vector<std::string>& words) {
    if (words.size() != 1 || (!words.empty() && words[0].starts_with('-')))
        return Exit{constants::exit_failure, {}, "via: adduser takes one uplink name\nhint: usage: via adduser UPLINK\n"};
    if (!valid_interface_name(words[0])) return usage_error("'" + words[0] + "' is not a valid uplink name");
    return AddUser{words[0]};
}

Result parse(const std::vector<std::string>& args) {
    const auto separator = std::find(args.begin(), args.end(), "--");
    if (args.size() > 1 && args[1] == "repair" && separator == args.end())
        return parse_repair(std::vector<std::string>(args.begin() + 2, args.end()));
    if (args.size() > 1 && args[1] == "adduser" && separator == args.end())
        return parse_adduser(std::vector<std::string>(args.begin() + 2, args.end()));
    // CLI11 sees only what stands before "--"; everything after is PROGRAM's.
    std::vector<std::string> ours(args.begin() + (args.empty() ? 0 : 1), separator);

    Options options;
    CLI::App app{"Run PROGRAM so that all of its traffic, and its children's, leaves by UPLINK.",
                 "via"};
    app.footer(
        "Exit status: PROGRAM's own; 125 if via fails, 126 if PROGRAM cannot run, 127 if it is not "
        "found.\nExample: via wlan1 -- firefox\n\n"
        "via repair [-v] [UPLINK...]: ensure again what via set up for the uplinks it serves, for the "
        "programs already running (the network managers' hooks run it).\n"
        "via adduser UPLINK: (root) make the uplink's dedicated user, via-UPLINK, for --as-user and "
        "services.\nUplinks, and who may use them: /etc/via/via.conf, see via.conf(5).");
    app.set_version_flag("--version", std::string("via ") + version);
    app.add_option("UPLINK", options.uplink,
                   "uplink of /etc/via/via.conf, or network interface, the program must use (wlan1, usb0, tun0...)")
        ->required();
    app.add_option("--gateway", options.gateway,
                   "IPv4 next hop on UPLINK, when UPLINK has no default route of its own; for every program on "
                   "UPLINK, so root's and UPLINK's admins' only")
        ->type_name("ADDR");
    app.add_option("--gateway6", options.gateway6,
                   "IPv6 next hop on UPLINK, when UPLINK has no IPv6 default route of its own (root, admins)")
        ->type_name("ADDR");
    app.add_option("--dns", options.dns,
                   "name server for PROGRAM, reached through UPLINK (up to 3; default: UPLINK's own); PROGRAM sees "
                   "only these in /etc/resolv.conf, its port-53 traffic goes to the first, and it runs with "
                   "no_new_privs")
        ->type_name("ADDR");
    bool no_kill_switch = false;
    app.add_flag("--no-kill-switch", no_kill_switch,
                 "when UPLINK is down, let PROGRAM's traffic take the normal routes (leaks by design)");
    app.add_flag("--as-user", options.as_user,
                 "run PROGRAM as UPLINK's dedicated user (via-UPLINK, see 'via adduser'), for services");
    app.add_flag("-v,--verbose", options.verbose, "say what was created and what was already there");

    // CLI11 wants the arguments in reverse order.
    std::vector<std::string> reversed(ours.rbegin(), ours.rend());
    try {
        app.parse(reversed);
    } catch (const CLI::CallForHelp&) {
        return Exit{0, app.help(), {}};
    } catch (const CLI::CallForVersion&) {
        return Exit{0, std::string("via ") + version + "\n", {}};
    } catch (const CLI::ParseError& e) {
        if (separator == args.end() && !ours.empty())
            return usage_error("missing '--' between UPLINK and PROGRAM");
        return usage_error(e.what());
    }

    if (separator == args.end()) return usage_error("missing '--' between UPLINK and PROGRAM");
    options.command.assign(separator + 1, args.end());
    if (options.command.empty()) return usage_error("no PROGRAM given after '--'");
    if (!valid_interface_name(options.uplink))
        return usage_error("'" + options.uplink + "' is not a valid interface name");
    if (options.gateway && !valid_address(AF_INET, *options.gateway))
        return usage_error("--gateway '" + *options.gateway + "' is not an IPv4 address");
    if (options.gateway6 && !valid_address(AF_INET6, *options.gateway6))
        return usage_error("--gateway6 '" + *options.gateway6 + "' is not an IPv6 address");
    if (options.dns.size() > constants::max_dns_servers)
        return usage_error("--dns given " + std::to_string(options.dns.size()) + " times; the resolver reads at most " +
                           std::to_string(constants::max_dns_servers) + " name servers");
    for (const auto& server : options.dns)
        if (!valid_address(AF_INET, server) && !valid_address(AF_INET6, server))
            return usage_error("--dns '" + server + "' is not an IP address");
    options.kill_switch = !no_kill_switch;
    return options;
}

}  // namespace via::cli
