// What of the command line needs no CLI11: a launch (the launcher's whole
// command line) and the checks of words. CLI11 includes <iostream>, whose
// set-up before main the launcher does without.
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

namespace {

// A launch option's value: "--name=VALUE" in the word itself, else the
// next word before "--" (then `w` moves onto it). None when missing.
std::optional<std::string> value_of(const std::string& word, std::size_t eq, std::vector<std::string>::const_iterator& w,
                                    std::vector<std::string>::const_iterator separator) {
    if (eq != std::string::npos) return word.substr(eq + 1);
    if (w + 1 == separator) return std::nullopt;
    return *++w;
}

}  // namespace

std::optional<Options> parse_launch(const std::vector<std::string>& args) {
    const auto separator = std::find(args.begin(), args.end(), "--");
    if (args.empty() || separator == args.end() || separator + 1 == args.end()) return std::nullopt;
    Options options;
    bool have_uplink = false;
    for (auto w = args.begin() + 1; w != separator; ++w) {
        const std::string& word = *w;
        const std::size_t eq = word.starts_with("--") ? word.find('=') : std::string::npos;
        const std::string name = word.substr(0, eq);
        if (name == "--dns" || name == "--gateway" || name == "--gateway6") {
            auto value = value_of(word, eq, w, separator);
            if (!value) return std::nullopt;
            if (name == "--dns") {
                options.dns.push_back(std::move(*value));
            } else {
                auto& gateway = name == "--gateway" ? options.gateway : options.gateway6;
                if (gateway) return std::nullopt;  // CLI11 takes one
                gateway = std::move(value);
            }
        } else if (word == "-v" || word == "--verbose") {
            options.verbose = true;
        } else if (word == "--no-kill-switch") {
            options.kill_switch = false;
        } else if (word == "--as-user") {
            options.as_user = true;
        } else if (word == "--notify") {
            options.notify = true;
        } else if (!have_uplink && !word.starts_with('-')) {
            options.uplink = word;
            have_uplink = true;
        } else {
            return std::nullopt;
        }
    }
    if (!have_uplink || invalid_launch(options)) return std::nullopt;
    options.command.assign(separator + 1, args.end());
    return options;
}

}  // namespace via::cli
