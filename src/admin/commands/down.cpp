// via gc: remove what via set up for uplinks no program uses, and the ids of
// interfaces that are gone (a tether plugged in again gets new ones).
// via down [--force] UPLINK: remove one uplink's state; refused while a
// program runs through it, unless --force (its programs then cannot send:
// their sockets keep the uplink's mark, and the egress program drops what
// would leave by another interface).
//
// Only via's own objects go: its ip rules and routes (protocol 86, in its
// ranges), its nft rules (and table inet via when nothing is left), its
// notes in /run/via and its bpf map entries. The bpf programs stay.
#include <algorithm>
#include <sys/stat.h>
#include <cstdio>
#include <string>

#include "admin/commands.hpp"
#include "admin/firewall.hpp"
#include "admin/inventory.hpp"
#include "admin/routing.hpp"
#include "kernel/rtnl.hpp"
#include "launch/accounts.hpp"
#include "launch/config.hpp"
#include "launch/error.hpp"
#include "launch/fastpath.hpp"
#include "launch/grant.hpp"
#include "launch/lock.hpp"
#include "launch/privilege.hpp"
#include "launch/report.hpp"
#include "launch/served.hpp"
#include "launch/sockmark.hpp"
#include "owned.hpp"

namespace via::commands {
namespace {

void remove(const inventory::Removal& r, const Report& report) {
    std::vector<rtnl::Rule> rules;
    std::vector<routing::RouteSpec> routes;
    for (const auto& u : r.remove) {
        rules.insert(rules.end(), u.rules.begin(), u.rules.end());
        routes.insert(routes.end(), u.routes.begin(), u.routes.end());
    }
    {
        privilege::Effective net_admin({CAP_NET_ADMIN});
        auto sock = rtnl::open();
        routing::remove(sock, rules, routes, report);
        firewall::remove(r.owners, r.table, report);
    }
    privilege::RootFiles as_root;
    privilege::Effective sys_admin({CAP_SYS_ADMIN});
    for (const auto& name : r.names) {
        served::forget(name);
        fastpath::forget(name);
        sockmark::forget_uplink(name, report);
    }
}

// The uids whose sockets via marks that are no dedicated user of a
// configured uplink any more (the account removed, or its section): a new
// account that gets the same uid must not be forced onto an uplink.
void forget_stale_users(const config::Config& conf, const Report& report) {
    std::vector<uid_t> dedicated;
    for (const auto& section : conf.uplinks)
        if (const auto account = accounts::find_user(owned::user_of(section.name))) dedicated.push_back(account->uid);
    privilege::RootFiles as_root;
    privilege::Effective sys_admin({CAP_SYS_ADMIN});
    // (A user rule's are the rules' to keep: via repair.)
    for (const auto& [uid, tag] : sockmark::users())
        if (!tag.rule && std::find(dedicated.begin(), dedicated.end(), uid) == dedicated.end())
            sockmark::forget_user(uid, report);
}

}  // namespace

int down(const cli::Down& options) {
    // What via may create here (/run/via, the lock) gets via's modes, not
    // the caller's umask: 0777 would make /run/via unreadable to via.
    ::umask(owned::umask);
    const Report report(options.verbose);
    try {
        privilege::check();
        const config::Config conf = root_config();
        if (auto no = config::may_take_down(conf, accounts::caller(config::names_needed(conf)), options.uplink)) throw Error(no->message, no->hint);
        const std::optional<std::string> only =
            options.uplink ? std::optional(config::interface_of(conf, *options.uplink)) : std::nullopt;

        UniqueFd lock;
        inventory::Removal removal;
        {
            privilege::RootFiles as_root;
            // A holder stopped by its caller does not block gc or down.
            lock = lock::acquire();
            if (!lock) report.note("the via holding the lock is stopped or stuck; going on without it");
            inventory::State state;
            {
                privilege::Effective caps({CAP_NET_ADMIN, CAP_SYS_ADMIN});
                state = inventory::read();
            }
            const auto uplinks = inventory::view(state);
            if (only && std::none_of(uplinks.begin(), uplinks.end(), [&](const auto& u) { return u.name == *only; }))
                throw Error("via has nothing set up for " + *only, "'via status' lists the uplinks via serves");
            std::vector<std::pair<std::string, std::string>> ruled;
            for (const auto& rule : conf.rules) ruled.emplace_back(config::interface_of(conf, rule.uplink), rule.name);
            removal = inventory::plan_removal(uplinks, only, options.force, ruled);
        }
        if (only && !removal.kept.empty())
            throw Error("not taking " + *only + " down: " + removal.kept.front().substr(removal.kept.front().find(": ") + 2),
                        "quit those programs first ('via status " + *only + "' lists them), or use --force: they could "
                        "no longer send");
        remove(removal, report);
        if (!options.uplink) forget_stale_users(conf, report);
        lock = UniqueFd();
        privilege::drop_all();
        report.flush();
        for (const auto& u : removal.remove)
            std::printf("removed %s (%s)\n", u.name.empty() ? ("ifindex " + std::to_string(u.ifindex)).c_str() : u.name.c_str(),
                        u.present ? "unused" : "its interface is gone");
        for (const auto& k : removal.kept) std::printf("kept %s\n", k.c_str());
        if (removal.remove.empty() && removal.kept.empty()) std::puts("nothing to remove");
    } catch (const std::exception& e) {
        return failed(e);
    }
    return 0;
}

}  // namespace via::commands
