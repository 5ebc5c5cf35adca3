#include "admin/cli.hpp"

#include <algorithm>
#include <cctype>

#include <arpa/inet.h>
#include <net/if.h>

#include "owned.hpp"
#include "version.hpp"

namespace via::cli {
namespace {

constexpr const char* usage_hint = "usage: via [OPTIONS] UPLINK -- PROGRAM [ARGS...]; see 'via --help'";

Exit usage_error(const std::string& what, const std::string& hint = usage_hint) {
    return Exit{owned::exit_failure, {}, "via: " + what + "\n" + "hint: " + hint + "\n"};
}

// What parse() answers before a launch's options are read: help, version.
constexpr const char* early_options[] = {"-h", "--help", "--version"};

std::string unknown_option(const std::string& word, const std::vector<std::string>& known) {
    std::string text = "unknown option '" + word + "'";
    if (const auto near = closest(word.substr(0, word.find('=')), known)) text += "; did you mean '" + *near + "'?";
    return text;
}

// What read_launch() cannot say as well alone: an option via does not have
// (with the one it may mean), one --dns given two addresses. The launch's
// words before "--" are read here first.
std::optional<Exit> prescan_launch(const std::vector<std::string>& ours, bool separated) {
    std::vector<std::string> names;
    for (const auto& o : launch_options) names.emplace_back(o.name);
    names.insert(names.end(), std::begin(early_options), std::end(early_options));
    std::vector<std::string> positionals;
    std::string after;        // the option whose value the previous word was
    std::string first_after;  // `after`, at the first positional
    for (std::size_t i = 0; i < ours.size(); ++i) {
        const std::string& w = ours[i];
        if (w.size() > 1 && w[0] == '-') {
            const std::string name = w.substr(0, w.find('='));
            const auto* spec = std::find_if(std::begin(launch_options), std::end(launch_options),
                                            [&](const OptionSpec& o) { return name == o.name; });
            if (spec == std::end(launch_options)) return usage_error(unknown_option(w, names));
            after.clear();
            if (spec->takes_value && w.find('=') == std::string::npos) {
                if (i + 1 == ours.size()) return usage_error(std::string(spec->name) + " needs an address");
                ++i;
                after = spec->name;
            }
            continue;
        }
        positionals.push_back(w);
        if (positionals.size() == 1) first_after = after;
        if (positionals.size() == 2) {
            if (!separated) return usage_error("missing '--' between UPLINK and PROGRAM");
            if (first_after == "--dns")
                return usage_error("'" + positionals[0] + "' and '" + positionals[1] + "': one UPLINK expected",
                                   "--dns takes one address: repeat it for more (--dns A --dns B UPLINK -- PROGRAM)");
            return usage_error("one UPLINK expected, got '" + positionals[0] + "' and '" + positionals[1] + "'");
        }
        after.clear();
    }
    return std::nullopt;
}

// A command's own words: its flags (each of `allowed`, "--json" also as
// "--json=VALUE"), then its operands.
struct Words {
    std::vector<std::string> flags;
    std::vector<std::string> operands;
};

std::variant<Words, Exit> split(const std::string& command, const std::vector<std::string>& words,
                                const std::vector<std::string>& allowed, const std::string& usage) {
    Words out;
    for (const auto& w : words) {
        if (w.size() > 1 && w[0] == '-') {
            const std::string name = w.substr(0, w.find('='));
            if (name == "-h" || name == "--help") return Exit{0, help(), {}};
            if (std::find(allowed.begin(), allowed.end(), name) == allowed.end())
                return usage_error(unknown_option(w, allowed) + " for " + command, usage);
            out.flags.push_back(w);
        } else {
            out.operands.push_back(w);
        }
    }
    return out;
}

bool has(const Words& w, std::initializer_list<const char*> names) {
    return std::any_of(w.flags.begin(), w.flags.end(), [&](const std::string& f) {
        return std::any_of(names.begin(), names.end(), [&](const char* n) { return f == n; });
    });
}

std::optional<Exit> check_names(const std::vector<std::string>& names, const std::string& what) {
    for (const auto& n : names)
        if (!valid_interface_name(n)) return usage_error("'" + n + "' is not a valid " + what + " name");
    return std::nullopt;
}

Result parse_command(const std::string& command, const std::vector<std::string>& words) {
    const auto usage = [&](const std::string& rest) { return "usage: via " + command + rest; };
    if (command == "repair") {
        const std::string u = usage(" [-v] [UPLINK...]");
        auto s = split(command, words, {"-v", "--verbose"}, u);
        if (auto* e = std::get_if<Exit>(&s)) return *e;
        const auto& w = std::get<Words>(s);
        if (auto e = check_names(w.operands, "interface")) return *e;
        return Repair{w.operands, has(w, {"-v", "--verbose"})};
    }
    if (command == "adduser") {
        const std::string u = usage(" UPLINK");
        auto s = split(command, words, {}, u);
        if (auto* e = std::get_if<Exit>(&s)) return *e;
        const auto& w = std::get<Words>(s);
        if (w.operands.size() != 1) return usage_error("adduser takes one uplink name", u);
        if (auto e = check_names(w.operands, "uplink")) return *e;
        return AddUser{w.operands[0]};
    }
    if (command == "status" || command == "list") {
        const std::string u = usage(" [--json[=short|pretty]] [UPLINK...]");
        auto s = split(command, words, {"--json"}, u);
        if (auto* e = std::get_if<Exit>(&s)) return *e;
        const auto& w = std::get<Words>(s);
        if (auto e = check_names(w.operands, "uplink")) return *e;
        Status status{w.operands, Json::none};
        for (const auto& f : w.flags) {
            if (f == "--json" || f == "--json=short")
                status.json = Json::shortform;
            else if (f == "--json=pretty")
                status.json = Json::pretty;
            else
                return usage_error("'" + f + "': --json takes short or pretty", u);
        }
        return status;
    }
    if (command == "check") {
        const std::string u = usage(" [UPLINK]");
        auto s = split(command, words, {}, u);
        if (auto* e = std::get_if<Exit>(&s)) return *e;
        const auto& w = std::get<Words>(s);
        if (w.operands.size() > 1) return usage_error("check takes at most one uplink", u);
        if (auto e = check_names(w.operands, "uplink")) return *e;
        return Check{w.operands.empty() ? std::nullopt : std::optional(w.operands[0])};
    }
    if (command == "gc") {
        const std::string u = usage(" [-v]");
        auto s = split(command, words, {"-v", "--verbose"}, u);
        if (auto* e = std::get_if<Exit>(&s)) return *e;
        const auto& w = std::get<Words>(s);
        if (!w.operands.empty())
            return usage_error("gc takes no uplink", "to remove one uplink's state: via down UPLINK");
        return Down{std::nullopt, false, has(w, {"-v", "--verbose"})};
    }
    if (command == "down") {
        const std::string u = usage(" [--force] [-v] UPLINK");
        auto s = split(command, words, {"--force", "-v", "--verbose"}, u);
        if (auto* e = std::get_if<Exit>(&s)) return *e;
        const auto& w = std::get<Words>(s);
        if (w.operands.size() != 1) return usage_error("down takes one uplink name", u);
        if (auto e = check_names(w.operands, "uplink")) return *e;
        return Down{w.operands[0], has(w, {"--force"}), has(w, {"-v", "--verbose"})};
    }
    // desktop
    const std::string u = usage(" UPLINK APP   (APP: an application id, or a .desktop file)");
    auto s = split(command, words, {}, u);
    if (auto* e = std::get_if<Exit>(&s)) return *e;
    const auto& w = std::get<Words>(s);
    if (w.operands.size() != 2) return usage_error("desktop takes an uplink and an application", u);
    if (auto e = check_names({w.operands[0]}, "uplink")) return *e;
    return Desktop{w.operands[0], w.operands[1]};
}

constexpr const char* commands[] = {"status", "list", "check", "gc", "down", "desktop", "repair", "adduser"};

}  // namespace

const std::string& help() {
    static const std::string text = std::string(R"(Usage: via [OPTIONS] UPLINK -- PROGRAM [ARGS...]
       via COMMAND [ARGS...]

Run PROGRAM so that all of its traffic, and its children's, leaves by
UPLINK, or not at all. UPLINK is an uplink of /etc/via/via.conf or a
network interface (wlan1, usb0, tun0...).

Options:
  --gateway ADDR      IPv4 next hop on UPLINK, when it has no default route
                      of its own; for every program on it (root, admins)
  --gateway6 ADDR     the same for IPv6
  --dns ADDR          a name server for PROGRAM, through UPLINK; repeat for
                      up to 3 (default: UPLINK's own servers)
  --no-kill-switch    when UPLINK is down, let PROGRAM take the normal routes
  --as-user           run PROGRAM as UPLINK's dedicated user, via-UPLINK
  --notify            also show a failure as a desktop notification
  -v, --verbose       say what was created and what was already there
  -h, --help          show this help
  --version           show via's version

Commands:
  status [--json[=short|pretty]] [UPLINK...]
                      the uplinks, and the programs running through them
  check [UPLINK]      what works, and what to fix before launching
  gc [-v]             remove what via set up for uplinks nothing uses
  down [--force] [-v] UPLINK
                      remove UPLINK's state (refused while programs run)
  desktop UPLINK APP  add a menu entry that starts APP via UPLINK
  repair [-v] [UPLINK...]
                      set up again what via serves (the hooks run this)
  adduser UPLINK      (root) make UPLINK's dedicated user, via-UPLINK

Exit status: PROGRAM's; 125 if via fails, 126 if PROGRAM cannot run,
127 if it is not found.
Examples: via wlan1 -- firefox
          via --dns 9.9.9.9 usb0 -- curl https://example.org
See via(1) and via.conf(5).
)");
    return text;
}

std::optional<std::string> closest(const std::string& word, const std::vector<std::string>& known) {
    // Levenshtein distance, two rows.
    const auto distance = [](const std::string& a, const std::string& b) {
        std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
        for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
        for (std::size_t i = 1; i <= a.size(); ++i) {
            cur[0] = i;
            for (std::size_t j = 1; j <= b.size(); ++j)
                cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
            std::swap(prev, cur);
        }
        return prev[b.size()];
    };
    std::optional<std::string> best;
    std::size_t best_distance = 0;
    for (const auto& k : known) {
        const std::size_t d = distance(word, k);
        if (!best || d < best_distance) {
            best = k;
            best_distance = d;
        }
    }
    // A third of the word, at least 1, may differ: "--gatway", not "--x".
    if (!best || best_distance > std::max<std::size_t>(1, word.size() / 3)) return std::nullopt;
    return best;
}

Result parse(const std::vector<std::string>& args) {
    const auto separator = std::find(args.begin(), args.end(), "--");
    const bool separated = separator != args.end();
    if (args.size() > 1 && !separated) {
        const std::string& first = args[1];
        if (first == "help") return Exit{0, help(), {}};
        if (std::find(std::begin(commands), std::end(commands), first) != std::end(commands))
            return parse_command(first, std::vector<std::string>(args.begin() + 2, args.end()));
    }
    // Only what stands before "--" is via's; everything after is PROGRAM's.
    std::vector<std::string> ours(args.begin() + (args.empty() ? 0 : 1), separator);
    if (std::any_of(ours.begin(), ours.end(), [](const std::string& w) { return w == "-h" || w == "--help"; }))
        return Exit{0, help(), {}};
    if (std::find(ours.begin(), ours.end(), "--version") != ours.end())
        return Exit{0, std::string("via ") + version + "\n", {}};
    if (auto e = prescan_launch(ours, separated)) return *e;
    if (!separated && ours.size() == 1 && std::none_of(ours.begin(), ours.end(), [](const std::string& w) {
            return w.starts_with('-');
        })) {
        // `via stauts`: a command misspelt, or an uplink without a program.
        std::vector<std::string> names(std::begin(commands), std::end(commands));
        if (const auto near = closest(ours[0], names))
            return usage_error("missing '--' between UPLINK and PROGRAM",
                               "or did you mean 'via " + *near + "'? see 'via --help'");
    }

    auto read = read_launch(args);
    if (auto* why = std::get_if<std::string>(&read)) return usage_error(*why);
    return std::get<Options>(std::move(read));
}

}  // namespace via::cli
