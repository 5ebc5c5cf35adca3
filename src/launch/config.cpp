#include "launch/config.hpp"

#include <algorithm>
#include <netinet/in.h>
#include <cctype>
#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launch/cli_launch.hpp"
#include "launch/error.hpp"
#include "launch/handle.hpp"
#include "launch/text.hpp"
#include "owned.hpp"

namespace via::config {
namespace {

std::vector<std::string> words(std::string_view value) {
    const auto w = text::words(value);
    return {w.begin(), w.end()};
}

// POSIX portable user and group names, as useradd takes them by default.
bool valid_account_name(const std::string& name) {
    if (name.empty() || name.size() > 32 || name[0] == '-') return false;
    return std::all_of(name.begin(), name.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '-' || c == '.';
    });
}

// A line less its trailing comment: '#' after a space or a tab, to the end
// of the line (no valid value holds " #": names, addresses and lists do
// not).
std::string_view without_comment(std::string_view line) {
    for (std::size_t i = 1; i < line.size(); ++i)
        if (line[i] == '#' && (line[i - 1] == ' ' || line[i - 1] == '\t')) return line.substr(0, i);
    return line;
}

struct Parser {
    const std::string& file;
    Config& config;
    unsigned line = 0;
    enum class In { nothing, defaults, uplink, rule } in = In::nothing;
    Uplink* uplink = nullptr;
    Rule* rule = nullptr;

    std::optional<ParseError> error(const std::string& message) const { return ParseError{file, line, message}; }

    std::optional<ParseError> section(const std::string& header) {
        const auto w = words(header);
        if (w.size() == 1 && w[0] == "defaults") {
            in = In::defaults;
            return std::nullopt;
        }
        if (!w.empty() && w[0] == "rule") return rule_section(w);
        if (w.empty() || w[0] != "uplink")
            return error("unknown section [" + header + "]; sections are [defaults], [uplink NAME] and [rule NAME]");
        if (w.size() != 2) return error("[uplink NAME] takes one name, without spaces");
        if (!valid_uplink_name(w[1]))
            return error("'" + w[1] +
                         "' is not a valid uplink name: 1 to 15 letters, digits, '-' or '_', starting with a letter");
        if (const Uplink* before = find_by_name(w[1]))
            return error("uplink '" + w[1] + "' is already defined at " + before->where());
        config.uplinks.push_back(Uplink{.name = w[1], .interface = w[1], .file = file, .line = line});
        uplink = &config.uplinks.back();
        in = In::uplink;
        return std::nullopt;
    }

    std::optional<ParseError> rule_section(const std::vector<std::string>& w) {
        if (w.size() != 2) return error("[rule NAME] takes one name, without spaces");
        if (!valid_uplink_name(w[1]))
            return error("'" + w[1] +
                         "' is not a valid rule name: 1 to 15 letters, digits, '-' or '_', starting with a letter");
        for (const auto& r : config.rules)
            if (r.name == w[1]) return error("rule '" + w[1] + "' is already defined at " + r.where());
        config.rules.push_back(Rule{.name = w[1], .file = file, .line = line});
        rule = &config.rules.back();
        in = In::rule;
        return std::nullopt;
    }

    std::optional<ParseError> rule_key(const std::string& key, const std::string& value) {
        auto& r = *rule;
        const auto w = words(value);
        std::string message;
        if (key == "uplink") {
            if (w.size() != 1) return error("uplink takes one name");
            if (!cli::valid_interface_name(w[0])) return error("'" + w[0] + "' is not an uplink or interface name");
            r.uplink = w[0];
        } else if (key == "ports") {
            for (const auto& p : w) {
                auto parsed = rule::parse_ports(p);
                if (!parsed.error.empty()) return error(parsed.error);
                r.ports.insert(r.ports.end(), parsed.ports.begin(), parsed.ports.end());
            }
        } else if (key == "to") {
            for (const auto& p : w) {
                auto prefix = rule::parse_prefix(p, message);
                if (!prefix) return error(message + " (in to)");
                r.to.push_back(*prefix);
            }
        } else if (key == "users") {
            return accounts(key, w, true, r.users);
        } else if (key == "dns") {
            if (value != "all") return error("dns in a rule is 'all' (every program's DNS), not '" + value + "'");
            r.dns_all = true;
        } else if (key == "from") {
            for (const auto& p : w) {
                if (std::isdigit(static_cast<unsigned char>(p[0])) || p.find(':') != std::string::npos) {
                    auto prefix = rule::parse_prefix(p, message);
                    if (!prefix) return error(message + " (in from)");
                    r.from.push_back(*prefix);
                } else if (cli::valid_interface_name(p)) {
                    r.from_interfaces.push_back(p);
                } else {
                    return error("'" + p + "' in from is neither an interface name nor a network");
                }
            }
        } else if (key == "domains") {
            for (const auto& d : w)
                if (!rule::valid_domain(d)) return error("'" + d + "' in domains is not a domain name");
            r.domains.insert(r.domains.end(), w.begin(), w.end());
        } else {
            return error("unknown key '" + key + "' in [rule " + r.name +
                         "]; keys there are uplink, ports, to, domains, users, dns and from");
        }
        return std::nullopt;
    }

    const Uplink* find_by_name(const std::string& name) const {
        for (const auto& u : config.uplinks)
            if (u.name == name) return &u;
        return nullptr;
    }

    std::optional<ParseError> accounts(const std::string& key, const std::vector<std::string>& names,
                                       bool groups_marked, std::vector<std::string>& into) {
        for (const auto& n : names) {
            const std::string bare = groups_marked && n.starts_with('@') ? n.substr(1) : n;
            if (!valid_account_name(bare)) return error("'" + n + "' in " + key + " is not a user or group name");
        }
        into = names;
        return std::nullopt;
    }

    std::optional<ParseError> defaults_key(const std::string& key, const std::string& value) {
        auto& d = config.defaults;
        if (key == "interfaces") {
            const auto w = words(value);
            if (w.size() == 1 && (w[0] == "any" || w[0] == "none")) {
                d.any_interface = w[0] == "any";
                d.interfaces.clear();
                return std::nullopt;
            }
            for (const auto& i : w)
                if (!cli::valid_interface_name(i) || i == "any" || i == "none")
                    return error("'" + i + "' in interfaces is not an interface name (or say 'any' or 'none' alone)");
            d.any_interface = false;
            d.interfaces = w;
            return std::nullopt;
        }
        if (key == "admins") return accounts(key, words(value), true, d.admins);
        return error("unknown key '" + key + "' in [defaults]; keys there are interfaces and admins");
    }

    std::optional<ParseError> uplink_key(const std::string& key, const std::string& value) {
        auto& u = *uplink;
        const auto w = words(value);
        auto single = [&]() -> std::optional<ParseError> {
            if (w.size() != 1) return error(key + " takes one value");
            return std::nullopt;
        };
        if (key == "interface") {
            if (auto e = single()) return e;
            if (!cli::valid_interface_name(w[0])) return error("'" + w[0] + "' is not a valid interface name");
            u.interface = w[0];
        } else if (key == "gateway" || key == "gateway6") {
            if (auto e = single()) return e;
            const bool v6 = key == "gateway6";
            if (!cli::valid_address(v6 ? AF_INET6 : AF_INET, w[0]))
                return error("'" + w[0] + "' is not an IPv" + (v6 ? "6" : "4") + " address");
            (v6 ? u.gateway6 : u.gateway) = w[0];
        } else if (key == "dns") {
            if (w.empty() || w.size() > owned::max_dns_servers)
                return error("dns takes 1 to " + std::to_string(owned::max_dns_servers) + " addresses");
            for (const auto& s : w)
                if (!cli::valid_address(AF_INET, s) && !cli::valid_address(AF_INET6, s))
                    return error("'" + s + "' in dns is not an IP address");
            u.dns = w;
        } else if (key == "kill-switch") {
            if (value == "on") u.kill_switch = KillSwitch::on;
            else if (value == "off") u.kill_switch = KillSwitch::off;
            else if (value == "always") u.kill_switch = KillSwitch::always;
            else return error("kill-switch is on, off or always, not '" + value + "'");
        } else if (key == "mode") {
            if (value == "tag") u.mode = Mode::tag;
            else if (value == "user") u.mode = Mode::user;
            else return error("mode is tag or user, not '" + value + "'");
        } else if (key == "users") {
            return accounts(key, w, false, u.users);
        } else if (key == "groups") {
            return accounts(key, w, false, u.groups);
        } else if (key == "admins") {
            return accounts(key, w, true, u.admins);
        } else if (key == "as-user") {
            return accounts(key, w, true, u.as_user);
        } else {
            return error("unknown key '" + key + "' in [uplink " + u.name +
                         "]; keys there are interface, gateway, gateway6, dns, kill-switch, mode, users, groups, "
                         "admins and as-user");
        }
        return std::nullopt;
    }

    std::optional<ParseError> line_of(std::string_view raw) {
        const std::string text(via::text::trim(without_comment(raw)));
        if (text.empty() || text[0] == '#' || text[0] == ';') return std::nullopt;
        if (text[0] == '[') {
            if (text.back() != ']') return error("a section header ends with ']'");
            return section(std::string(via::text::trim(std::string_view(text).substr(1, text.size() - 2))));
        }
        const auto eq = text.find('=');
        if (eq == std::string::npos) return error("expected 'key = value', a [section] or a # comment");
        const std::string key(via::text::trim(std::string_view(text).substr(0, eq)));
        const std::string value(via::text::trim(std::string_view(text).substr(eq + 1)));
        if (key.empty()) return error("a key is missing before '='");
        if (value.empty()) return error(key + " has no value");
        switch (in) {
            case In::nothing: return error("'" + key + "' is outside any section; start with [defaults], [uplink NAME] or [rule NAME]");
            case In::defaults: return defaults_key(key, value);
            case In::uplink: return uplink_key(key, value);
            case In::rule: return rule_key(key, value);
        }
        return std::nullopt;
    }
};

bool named_in(const std::vector<std::string>& list, const Caller& caller, bool groups_marked) {
    for (const auto& entry : list) {
        if (groups_marked && entry.starts_with('@')) {
            if (std::find(caller.groups.begin(), caller.groups.end(), entry.substr(1)) != caller.groups.end())
                return true;
        } else if (!caller.user.empty() && entry == caller.user) {
            return true;
        }
    }
    return false;
}

bool may_use(const Uplink& u, const Caller& caller) {
    if (u.users.empty() && u.groups.empty()) return true;
    if (!caller.user.empty() && std::find(u.users.begin(), u.users.end(), caller.user) != u.users.end()) return true;
    return std::any_of(u.groups.begin(), u.groups.end(), [&](const std::string& g) {
        return std::find(caller.groups.begin(), caller.groups.end(), g) != caller.groups.end();
    });
}

}  // namespace

std::string ParseError::text() const { return file + (line ? ":" + std::to_string(line) : "") + ": " + message; }

bool valid_uplink_name(const std::string& name) {
    if (name.empty() || name.size() > 15 || !std::isalpha(static_cast<unsigned char>(name[0]))) return false;
    return std::all_of(name.begin(), name.end(),
                       [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_'; });
}


std::optional<ParseError> parse(std::string_view text, const std::string& file, Config& config) {
    Config work = config;
    Parser p{file, work};
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t end = std::min(text.find('\n', start), text.size());
        ++p.line;
        if (text.substr(start, end - start).find('\0') != std::string_view::npos)
            return p.error("a NUL byte: this is not a text file");
        if (auto e = p.line_of(text.substr(start, end - start))) return e;
        start = end + 1;
    }
    // A rule says where and what: its uplink, and one selector at least.
    for (const auto& r : work.rules) {
        if (r.file != file) continue;
        if (r.uplink.empty())
            return ParseError{r.file, r.line, "rule '" + r.name + "' has no uplink: add uplink = NAME"};
        if (!r.selects_local() && !r.lan())
            return ParseError{r.file, r.line, "rule '" + r.name +
                                                  "' chooses no traffic: add ports, to, domains, users, dns = all or from"};
        if ((!r.users.empty() || !r.domains.empty()) && r.lan())
            return ParseError{r.file, r.line, "rule '" + r.name +
                                                  "': users and domains are this machine's, from is the LAN's: one rule each"};
    }
    // One section per interface, and no name that is another's interface:
    // a name on the command line must mean one uplink.
    for (std::size_t j = 0; j < work.uplinks.size(); ++j)
        for (std::size_t i = 0; i < j; ++i) {
            const Uplink &a = work.uplinks[i], &b = work.uplinks[j];
            if (a.interface == b.interface || a.name == b.interface || a.interface == b.name)
                return ParseError{b.file, b.line,
                                  "uplink '" + b.name + "' (interface " + b.interface + ") and uplink '" + a.name +
                                      "' (interface " + a.interface + ", " + a.where() +
                                      ") would share a name: one interface, one uplink"};
        }
    config = std::move(work);
    return std::nullopt;
}

const Uplink* find(const Config& config, const std::string& name) {
    for (const auto& u : config.uplinks)
        if (u.name == name) return &u;
    for (const auto& u : config.uplinks)
        if (u.interface == name) return &u;
    return nullptr;
}

std::string interface_of(const Config& config, const std::string& name) {
    const Uplink* u = find(config, name);
    return u ? u->interface : name;
}

namespace {

void mixed(Names& n, const std::vector<std::string>& list) {  // users, and @groups
    for (const auto& entry : list) (entry.starts_with('@') ? n.groups : n.user) = true;
}

// Only admins may set the uplink's gateways or lift a kill switch that is
// always on.
bool asks_for_admin(const Uplink* u, const Ask& ask) {
    return ask.gateway || ask.gateway6 || (ask.no_kill_switch && (u ? u->kill_switch : KillSwitch::on) == KillSwitch::always);
}

bool asks_as_user(const Uplink* u, const Ask& ask) { return ask.as_user || (u && u->mode == Mode::user); }

}  // namespace

Names names_needed(const Config& config, const Ask& ask) {
    Names n;
    const Uplink* u = find(config, ask.name);
    if (u) {
        n.user = !u->users.empty();
        n.groups = !u->groups.empty();
    }
    if (asks_for_admin(u, ask)) mixed(n, u ? u->admins : config.defaults.admins);
    if (u && asks_as_user(u, ask)) mixed(n, u->as_user);
    return n;
}

Names names_needed(const Config& config) {
    Names n;
    mixed(n, config.defaults.admins);
    for (const auto& u : config.uplinks) {
        n.user = n.user || !u.users.empty();
        n.groups = n.groups || !u.groups.empty();
        mixed(n, u.admins);
        mixed(n, u.as_user);
    }
    return n;
}

std::variant<Grant, Refusal> decide(const Config& config, const Caller& caller, const Ask& ask) {
    const bool root = caller.uid == 0;
    const Uplink* u = find(config, ask.name);
    Grant g;
    g.uplink = u ? u->name : ask.name;
    g.interface = u ? u->interface : ask.name;
    const std::string where = u ? "uplink '" + u->name + "'" : "interface '" + ask.name + "'";
    const std::string conf_hint = std::string("ask root to allow it in ") + main_file + "; see via.conf(5)";

    if (!root) {
        if (u && !may_use(*u, caller))
            return Refusal{"you may not use " + where, conf_hint + " (users, groups)"};
        if (!u && !config.defaults.any_interface &&
            std::find(config.defaults.interfaces.begin(), config.defaults.interfaces.end(), ask.name) ==
                config.defaults.interfaces.end())
            return Refusal{"interface '" + ask.name + "' is not an uplink of " + main_file + ", and members may not name interfaces directly",
                           "use one of its uplinks, or " + conf_hint + " ([defaults] interfaces)"};
    }
    // Read only when asked for (names_needed looks the names up only then).
    const bool admin = asks_for_admin(u, ask) && (root || named_in(u ? u->admins : config.defaults.admins, caller, true));

    // What applies to every program on the uplink.
    for (const auto& [given, option] : {std::pair{ask.gateway.has_value(), "--gateway"},
                                        std::pair{ask.gateway6.has_value(), "--gateway6"}})
        if (given && !admin)
            return Refusal{std::string(option) + " sets the route of every program on " + where +
                               ", which only root and its admins may change",
                           "leave it out to use the uplink's own route, or " + conf_hint + " (admins)"};
    g.gateway = ask.gateway ? ask.gateway : (u ? u->gateway : std::nullopt);
    g.gateway6 = ask.gateway6 ? ask.gateway6 : (u ? u->gateway6 : std::nullopt);

    const KillSwitch ks = u ? u->kill_switch : KillSwitch::on;
    if (ask.no_kill_switch && ks == KillSwitch::always && !admin)
        return Refusal{where + " always has its kill switch on, by its configuration",
                       "leave out --no-kill-switch, or " + conf_hint + " (kill-switch, admins)"};
    g.kill_switch = !ask.no_kill_switch && ks != KillSwitch::off;

    g.dns_from_caller = !ask.dns.empty();
    g.dns = g.dns_from_caller ? ask.dns : (u ? u->dns : std::vector<std::string>{});

    g.as_user = asks_as_user(u, ask);
    if (g.as_user && !root && !(u && named_in(u->as_user, caller, true)))
        return Refusal{"you may not run programs as the dedicated user of " + where,
                       u ? conf_hint + " (as-user)" : "dedicated users belong to uplinks of " + std::string(main_file) + "; see via.conf(5)"};
    if (g.as_user && !u)
        return Refusal{"interface '" + ask.name + "' has no dedicated user: it is not an uplink of " + main_file,
                       "add [uplink NAME] for it, then run 'via adduser NAME' as root; see via.conf(5)"};
    return g;
}

std::optional<Refusal> may_take_down(const Config& config, const Caller& caller, const std::optional<std::string>& name) {
    if (caller.uid == 0) return std::nullopt;
    const Uplink* u = name ? find(config, *name) : nullptr;
    const std::string conf_hint = std::string("ask root, or to be made an admin in ") + main_file + "; see via.conf(5)";
    if (!name) {
        if (named_in(config.defaults.admins, caller, true)) return std::nullopt;
        return Refusal{"only root and the admins of [defaults] may remove via's unused state", conf_hint};
    }
    if (named_in(u ? u->admins : config.defaults.admins, caller, true)) return std::nullopt;
    return Refusal{"only root and the admins of " + (u ? "uplink '" + u->name + "'" : "interface '" + *name + "'") +
                       " may take it down",
                   conf_hint};
}

// --- loading -------------------------------------------------------------------

namespace {

// Root's, and writable by root alone: else anybody who can write it
// decides what via does with its capabilities.
void check_owner(const std::string& path, const struct stat& st) {
    if (st.st_uid != 0)
        throw Error(path + " belongs to uid " + std::to_string(st.st_uid) + ", not root: via refuses to read it",
                    "chown root:root " + path);
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        throw Error(path + " is writable by " + ((st.st_mode & S_IWOTH) ? "everybody" : "its group") +
                        ": via refuses to read it",
                    "chmod go-w " + path);
}

std::optional<std::string> read_checked(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
    if (!fd) {
        if (errno == ENOENT) return std::nullopt;
        throw errno_error("reading " + path, errno == ELOOP ? "via's configuration may not be a symbolic link" : "");
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) < 0) throw errno_error("reading " + path);
    if (!S_ISREG(st.st_mode)) throw Error(path + " is not a regular file");
    check_owner(path, st);
    if (st.st_size > 1 << 20) throw Error(path + " is larger than 1 MiB: not via's configuration");
    std::string text(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t got = 0;
    while (got < text.size()) {
        const ssize_t n = ::read(fd.get(), text.data() + got, text.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw errno_error("reading " + path);
        if (n == 0) break;
        got += static_cast<std::size_t>(n);
    }
    text.resize(got);
    return text;
}

bool check_dir(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) < 0) {
        if (errno == ENOENT) return false;
        throw errno_error("reading " + path);
    }
    if (!S_ISDIR(st.st_mode)) throw Error(path + " is not a directory");
    check_owner(path, st);
    return true;
}

void add(Config& config, const std::string& path) {
    const auto text = read_checked(path);
    if (!text) return;
    if (const auto e = parse(*text, path, config))
        throw Error(e->text(), "fix the file (see via.conf(5)); via changed nothing");
}

}  // namespace

Config load() {
    Config config;
    if (!check_dir("/etc") || !check_dir(dir)) return config;
    add(config, main_file);
    if (!check_dir(dropin_dir)) return config;
    std::vector<std::string> names;
    {
        Handle<DIR, closedir> d(::opendir(dropin_dir));
        if (!d) throw errno_error(std::string("reading ") + dropin_dir);
        while (const dirent* e = ::readdir(d.get())) {
            const std::string name = e->d_name;
            if (name.size() > 5 && name.ends_with(".conf") && name[0] != '.') names.push_back(name);
        }
    }
    std::sort(names.begin(), names.end());
    for (const auto& n : names) add(config, std::string(dropin_dir) + "/" + n);
    return config;
}

}  // namespace via::config
