// What of the command line needs no CLI11: the plain launch (the
// launcher's whole command line) and the checks of words. CLI11 includes
// <iostream>, whose set-up before main the launcher does without.
#include "via/cli.hpp"

#include <algorithm>
#include <cctype>

#include <arpa/inet.h>
#include <net/if.h>

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

std::optional<Options> parse_plain(const std::vector<std::string>& args) {
    const auto separator = std::find(args.begin(), args.end(), "--");
    if (args.empty() || separator == args.end() || separator + 1 == args.end()) return std::nullopt;
    Options options;
    bool have_uplink = false;
    for (auto w = args.begin() + 1; w != separator; ++w) {
        if (*w == "-v" || *w == "--verbose") {
            options.verbose = true;
        } else if (!have_uplink && !w->starts_with('-')) {
            options.uplink = *w;
            have_uplink = true;
        } else {
            return std::nullopt;
        }
    }
    if (!have_uplink || !valid_interface_name(options.uplink)) return std::nullopt;
    options.command.assign(separator + 1, args.end());
    return options;
}

}  // namespace via::cli
