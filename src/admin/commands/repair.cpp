// via repair [UPLINK...]: ensure again, for the programs already running,
// what via set up for the uplinks it serves (all of them, or those named):
// routes a network manager deleted with an address, ip rules networkd
// removed, an nft table a firewall reload flushed, unpinned programs. The
// network managers' hooks call it. The uplinks with a dedicated user in
// /etc/via are served from the start: a unit that runs `via repair` (see
// README, services) before its daemon has it marked from boot on. An
// uplink that is gone or down is left alone: its kill switch holds until
// it comes back. With no uplink named, /etc/via's rules are ensured too
// (admin/rules.hpp), with their uplinks.
#include <algorithm>
#include <cstdio>
#include <map>

#include <sys/stat.h>

#include "admin/commands.hpp"
#include "admin/converge.hpp"
#include "admin/rules.hpp"
#include "launch/config.hpp"
#include "launch/error.hpp"
#include "launch/grant.hpp"
#include "launch/privilege.hpp"
#include "launch/served.hpp"
#include "owned.hpp"

namespace via::commands {
namespace {

// An uplink to repair, and the note it was read from.
struct Repair {
    ensure::Request request;
    std::optional<served::Uplink> note;
};

// Every uplink to repair, by interface: the served ones with what their
// launches recorded, and the configured ones with a dedicated user.
std::map<std::string, Repair> repairs(const config::Config& conf) {
    std::vector<served::Uplink> uplinks;
    {
        privilege::RootFiles as_root;
        uplinks = served::all();
    }
    std::map<std::string, Repair> out;
    for (const auto& u : uplinks) out[u.name] = {ensure::Request{u.name, u.gateway, u.gateway6, !u.open, std::nullopt}, u};
    for (const auto& section : conf.uplinks) {
        const ensure::Request configured = ensure::request_for(section);
        const auto it = out.find(section.interface);
        if (it == out.end()) {
            if (configured.user) out.emplace(section.interface, Repair{configured, std::nullopt});
            continue;
        }
        auto& r = it->second.request;
        if (!r.gateway) r.gateway = configured.gateway;
        if (!r.gateway6) r.gateway6 = configured.gateway6;
        r.user = configured.user;
    }
    return out;
}

// Another via wrote the uplink's note since this one read it: that via
// ensured the uplink, with what is recorded now.
struct Superseded {};

}  // namespace

int repair(const cli::Repair& options) {
    ::umask(owned::umask);
    const Report report(options.verbose);
    try {
        privilege::check();
        const config::Config conf = root_config();
        // The rules are checked before anything changes: a bad one is
        // refused with its file and line.
        auto compiled = rules::compile(conf, rules::system_accounts());
        if (const auto* e = std::get_if<config::ParseError>(&compiled))
            throw Error(e->text(), "fix the rule (see via.conf(5)); via changed nothing");
        // Named by uplink or by interface.
        std::vector<std::string> wanted;
        for (const auto& n : options.uplinks) wanted.push_back(config::interface_of(conf, n));
        for (const auto& [name, repair] : repairs(conf)) {
            if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), name) == wanted.end()) continue;
            std::optional<ensure::Target> target;
            try {
                target = ensure::validate(repair.request, report);
            } catch (const Error& e) {
                report.note("not repairing " + name + ": " + e.context());
                continue;
            }
            // (Init-captures: clang 14 captures no structured binding.)
            const auto unchanged = [name = name, &note = repair.note](bool) {
                privilege::RootFiles as_root;
                if (served::read(name) != note) throw Superseded{};
            };
            try {
                // (its priority: what the rules need now)
                ensure::apply(*target, repair.request, report, {}, unchanged);
            } catch (const Superseded&) {
                report.note("not repairing " + name + ": another via ensured it meanwhile");
            }
        }
        // The rules, with their uplinks, when every uplink is repaired.
        if (wanted.empty()) rules::apply(conf, std::move(std::get<rules::Plan>(compiled)), report);
        privilege::drop_all();
    } catch (const std::exception& e) {
        return failed(e);
    }
    return 0;
}

}  // namespace via::commands
