// via status [--json[=short|pretty]] [UPLINK...]: every uplink via manages,
// what it set up for it, and the programs running through it with what
// they sent. Members see their own programs; root sees everybody's.
// Changes nothing.
#include <algorithm>
#include <cstdio>
#include <string>
#include <unistd.h>

#include "admin/commands.hpp"
#include "admin/inventory.hpp"
#include "admin/json.hpp"
#include "admin/rules.hpp"
#include "launch/config.hpp"
#include "launch/error.hpp"
#include "launch/grant.hpp"
#include "launch/ids.hpp"
#include "launch/privilege.hpp"
#include "launch/text.hpp"
#include "owned.hpp"

namespace via::commands {
namespace {

std::string state_of(const inventory::Uplink& u) {
    if (!u.present) return "gone";
    if (!u.link->up) return "down";
    return u.link->carrier ? "up" : "no-carrier";
}

std::string join(const std::vector<std::string>& list, const char* separator = ", ") {
    std::string out;
    for (const auto& s : list) out += (out.empty() ? "" : separator) + s;
    return out;
}

json::Value to_json(const inventory::Uplink& u, std::size_t hidden) {
    json::Array programs;
    for (const auto& p : u.processes)
        programs.push_back(json::Object{{"pid", p.pid},
                                        {"processes", static_cast<unsigned long>(p.processes)},
                                        {"uid", p.uid},
                                        {"user", p.user},
                                        {"command", p.command},
                                        {"kill_switch", !p.open},
                                        {"dedicated_user", p.dedicated},
                                        {"dns", json::strings(p.dns)},
                                        {"packets", p.sent.packets},
                                        {"bytes", p.sent.bytes}});
    return json::Object{{"name", u.name.empty() ? json::Value() : json::Value(u.name)},
                        {"ifindex", u.ifindex},
                        {"state", state_of(u)},
                        {"addresses", json::strings(u.link ? u.link->addresses : std::vector<std::string>{})},
                        {"next_hops", json::strings(u.next_hops)},
                        {"mark", ids::hex(u.mark)},
                        {"table", u.table},
                        {"rules", static_cast<unsigned long>(u.rules.size())},
                        {"routes", static_cast<unsigned long>(u.routes.size())},
                        {"kill_switch", u.kill_switch},
                        {"masquerade", u.masquerade},
                        {"served", u.served},
                        {"dedicated_user", u.dedicated_user ? json::Value(*u.dedicated_user) : json::Value()},
                        {"programs", programs},
                        {"other_users_programs", static_cast<unsigned long>(hidden)}};
}

void print_text(const inventory::Uplink& u, std::size_t hidden) {
    const std::string name = u.name.empty() ? "(unnamed)" : u.name;
    std::printf("%s: %s (ifindex %d)\n", name.c_str(), state_of(u).c_str(), u.ifindex);
    if (!u.present) {
        std::printf("  %-12s %s\n", "stale", u.in_use() ? "the interface is gone; its programs cannot send"
                                                          : "ids of an interface that is gone: 'via gc' removes them");
    }
    if (u.link && !u.link->addresses.empty()) std::printf("  %-12s %s\n", "addresses", join(u.link->addresses).c_str());
    std::printf("  %-12s %s\n", "next hop", u.next_hops.empty() ? "none" : join(u.next_hops).c_str());
    std::vector<std::string> prefs;  // one per family and mark, mostly the same
    for (const auto& r : u.rules)
        if (std::find(prefs.begin(), prefs.end(), std::to_string(r.pref)) == prefs.end())
            prefs.push_back(std::to_string(r.pref));
    std::printf("  %-12s %s, table %u, ip rule %s\n", "mark", ids::hex(u.mark).c_str(), u.table,
                prefs.empty() ? "missing" : join(prefs).c_str());
    std::printf("  %-12s %s\n", "kill switch", u.kill_switch ? "on" : "missing");
    std::printf("  %-12s %s\n", "masquerade", u.masquerade ? "on" : "missing");
    if (u.dedicated_user) std::printf("  %-12s uid %u\n", "dedicated", static_cast<unsigned>(*u.dedicated_user));
    if (u.processes.empty()) {
        std::printf("  %-12s %s\n", "programs", hidden ? (std::to_string(hidden) + " of other users").c_str() : "none");
        return;
    }
    std::printf("  %-7s %-10s %9s %10s  %s\n", "PID", "USER", "PACKETS", "SENT", "COMMAND");
    for (const auto& p : u.processes) {
        std::string command = p.command;
        if (p.open) command = "(no kill switch) " + command;
        if (p.processes > 1) command = "(+" + std::to_string(p.processes - 1) + ") " + command;
        if (command.size() > 40) command = command.substr(0, 37) + "...";
        // Any bytes a member's program put in its command line: never
        // escape sequences on root's terminal.
        command = text::printable(command);
        std::printf("  %-7d %-10s %9llu %10s  %s\n", static_cast<int>(p.pid), p.user.substr(0, 10).c_str(),
                    static_cast<unsigned long long>(p.sent.packets), inventory::bytes(p.sent.bytes).c_str(),
                    command.c_str());
        if (!p.dns.empty()) std::printf("  %-7s %-10s %9s %10s  dns %s\n", "", "", "", "", join(p.dns).c_str());
    }
    if (hidden) std::printf("  and %zu program%s of other users\n", hidden, hidden == 1 ? "" : "s");
}

// /etc/via's rules, with what each sent.
struct RuleLine {
    std::string name, uplink, interface, chooses;
    rules::Counted sent;
};

std::vector<RuleLine> rule_lines(const config::Config& conf) {
    std::vector<RuleLine> out;
    const auto compiled = rules::compile(conf, rules::system_accounts());
    std::vector<nft::ExistingRule> existing;
    {
        privilege::Effective net_admin({CAP_NET_ADMIN});
        existing = firewall::existing();
    }
    for (const auto& r : conf.rules) {
        RuleLine line{r.name, r.uplink, config::interface_of(conf, r.uplink), rules::describe(r), {}};
        if (const auto* plan = std::get_if<rules::Plan>(&compiled))
            for (const auto& c : plan->rules)
                if (c.name == r.name) line.sent = rules::counted(c, existing);
        out.push_back(std::move(line));
    }
    return out;
}

json::Value to_json(const RuleLine& r) {
    return json::Object{{"name", r.name},       {"uplink", r.uplink},        {"interface", r.interface},
                        {"chooses", r.chooses}, {"packets", r.sent.packets}, {"bytes", r.sent.bytes}};
}

void print_rules(const std::vector<RuleLine>& lines) {
    std::printf("rules of /etc/via:\n");
    std::printf("  %-15s %-15s %9s %10s  %s\n", "RULE", "UPLINK", "PACKETS", "SENT", "CHOOSES");
    for (const auto& r : lines)
        std::printf("  %-15s %-15s %9llu %10s  %s\n", r.name.c_str(), r.interface.c_str(),
                    static_cast<unsigned long long>(r.sent.packets), inventory::bytes(r.sent.bytes).c_str(),
                    r.chooses.c_str());
}

}  // namespace

int status(const cli::Status& options) {
    std::vector<inventory::Uplink> uplinks;
    std::vector<RuleLine> rule_list;
    try {
        privilege::check();
        inventory::State state;
        {
            privilege::RootFiles as_root;
            privilege::Effective caps({CAP_NET_ADMIN, CAP_SYS_ADMIN});
            state = inventory::read();
        }
        // The rules, when /etc/via can be read: a bad file does not hide
        // the uplinks (via check and via repair say what is wrong).
        try {
            const config::Config conf = root_config();
            privilege::RootFiles as_root;
            privilege::Effective caps({CAP_SYS_ADMIN});
            rule_list = rule_lines(conf);
        } catch (const Error& e) {
            std::fprintf(stderr, "via: not listing the rules: %s\n", e.context().c_str());
        }
        privilege::drop_all();
        uplinks = inventory::view(state);
    } catch (const std::exception& e) {
        return failed(e);
    }
    for (const auto& name : options.uplinks)
        if (std::none_of(uplinks.begin(), uplinks.end(), [&](const auto& u) { return u.name == name; })) {
            std::fprintf(stderr, "via: via serves no uplink %s\nhint: 'via status' lists those it serves\n",
                         name.c_str());
            return owned::exit_failure;
        }
    if (!options.uplinks.empty())
        std::erase_if(uplinks, [&](const inventory::Uplink& u) {
            return std::find(options.uplinks.begin(), options.uplinks.end(), u.name) == options.uplinks.end();
        });

    // A member sees the programs of their own uid only.
    const uid_t me = ::getuid();
    std::vector<std::size_t> hidden;
    for (auto& u : uplinks) {
        const auto before = u.processes.size();
        if (me != 0) std::erase_if(u.processes, [&](const inventory::Process& p) { return p.uid != me; });
        hidden.push_back(before - u.processes.size());
    }

    if (options.json != cli::Json::none) {
        json::Array list;
        for (std::size_t i = 0; i < uplinks.size(); ++i) list.push_back(to_json(uplinks[i], hidden[i]));
        json::Array rules;
        for (const auto& r : rule_list) rules.push_back(to_json(r));
        std::fputs(json::dump(json::Object{{"uplinks", list}, {"rules", rules}}, options.json == cli::Json::pretty).c_str(),
                   stdout);
        return 0;
    }
    if (uplinks.empty()) std::puts("via serves no uplink now.");
    for (std::size_t i = 0; i < uplinks.size(); ++i) {
        if (i) std::putchar('\n');
        print_text(uplinks[i], hidden[i]);
    }
    if (!rule_list.empty() && options.uplinks.empty()) {
        std::putchar('\n');
        print_rules(rule_list);
    }
    return 0;
}

}  // namespace via::commands
