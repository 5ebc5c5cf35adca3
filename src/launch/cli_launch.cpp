// A launch's command line (the launcher's whole command line, and via's
// launches) and the checks of words, with no <iostream>, whose set-up
// before main the launcher does without.
#include "launch/cli_launch.hpp"

#include <algorithm>
#include <cctype>

#include <arpa/inet.h>
#include <net/if.h>

#include "owned.hpp"

namespace via::cli {

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

std::optional<std::string> invalid_launch(const Options& o) {
    if (!valid_interface_name(o.uplink)) return "'" + o.uplink + "' is not a valid interface name";
    if (o.gateway && !valid_address(AF_INET, *o.gateway)) return "--gateway '" + *o.gateway + "' is not an IPv4 address";
    if (o.gateway6 && !valid_address(AF_INET6, *o.gateway6))
        return "--gateway6 '" + *o.gateway6 + "' is not an IPv6 address";
    if (o.dns.size() > owned::max_dns_servers)
        return "--dns given " + std::to_string(o.dns.size()) + " times; the resolver reads at most " +
               std::to_string(owned::max_dns_servers) + " name servers";
    for (const auto& server : o.dns)
        if (!valid_address(AF_INET, server) && !valid_address(AF_INET6, server))
            return "--dns '" + server + "' is not an IP address";
    return std::nullopt;
}

std::variant<Options, std::string> read_launch(const std::vector<std::string>& args) {
    const auto separator = std::find(args.begin(), args.end(), "--");
    const bool separated = separator != args.end();
    const auto first = args.empty() ? args.end() : args.begin() + 1;
    Options options;
    bool have_uplink = false;
    std::optional<std::string> problem;  // said unless the line lacks its "--" or UPLINK
    for (auto w = first; w != separator; ++w) {
        const std::string& word = *w;
        if (word.size() > 1 && word[0] == '-') {
            const std::size_t eq = word.starts_with("--") ? word.find('=') : std::string::npos;
            const std::string name = word.substr(0, eq);
            const auto* spec = std::find_if(std::begin(launch_options), std::end(launch_options),
                                            [&](const OptionSpec& o) { return name == o.name; });
            if (spec == std::end(launch_options)) return "unknown option '" + word + "'";
            if (!spec->takes_value) {
                if (eq != std::string::npos) {
                    if (!problem) problem = "'" + name + "' takes no value";
                } else if (name == "-v" || name == "--verbose") {
                    options.verbose = true;
                } else if (name == "--no-kill-switch") {
                    options.kill_switch = false;
                } else if (name == "--as-user") {
                    options.as_user = true;
                } else {
                    options.notify = true;
                }
                continue;
            }
            std::string value;
            if (eq != std::string::npos) {
                value = word.substr(eq + 1);
            } else {
                if (w + 1 == separator) return name + " needs an address";
                value = *++w;
            }
            if (name == "--dns") {
                options.dns.push_back(std::move(value));
                continue;
            }
            auto& gateway = name == "--gateway" ? options.gateway : options.gateway6;
            if (gateway && !problem) problem = name + " given twice: a launch has one";
            gateway = std::move(value);
            continue;
        }
        if (have_uplink) {
            if (!separated) return std::string("missing '--' between UPLINK and PROGRAM");
            return "one UPLINK expected, got '" + options.uplink + "' and '" + word + "'";
        }
        options.uplink = word;
        have_uplink = true;
    }
    if (problem || !have_uplink) {
        if (!separated && first != separator) return std::string("missing '--' between UPLINK and PROGRAM");
        if (!have_uplink) return std::string("no UPLINK given");
        return *problem;
    }
    if (!separated) return std::string("missing '--' between UPLINK and PROGRAM");
    options.command.assign(separator + 1, args.end());
    if (options.command.empty()) return std::string("no PROGRAM given after '--'");
    if (auto why = invalid_launch(options)) return *why;
    return options;
}

std::optional<Options> parse_launch(const std::vector<std::string>& args) {
    auto read = read_launch(args);
    if (auto* options = std::get_if<Options>(&read)) return std::move(*options);
    return std::nullopt;
}

}  // namespace via::cli
