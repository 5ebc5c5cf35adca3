#include "launch/ensure.hpp"

#include <algorithm>
#include <functional>

#include "launch/accounts.hpp"
#include "launch/ensure_steps.hpp"
#include "launch/error.hpp"
#include "launch/fastpath.hpp"
#include "launch/lock.hpp"
#include "launch/privilege.hpp"
#include "launch/served.hpp"
#include "launch/sockmark.hpp"
#include "launch/stages.hpp"
#include "owned.hpp"

namespace via::ensure {

using namespace steps;

std::optional<DedicatedUser> dedicated_user(const config::Uplink& section) {
    const auto account = accounts::find_user(owned::user_of(section.name));
    if (!account) return std::nullopt;
    return DedicatedUser{account->uid, section.kill_switch != config::KillSwitch::off, section.dns};
}

Request request_for(const config::Uplink& section) {
    return Request{section.interface, section.gateway, section.gateway6, true, dedicated_user(section)};
}

using privilege::Effective;
using privilege::RootFiles;

namespace {

// The fast path (see fastpath.hpp): the uplink as the last full ensure of
// the same request (or of one covering it) found it, if the kernel still
// shows exactly what that ensure left.
std::optional<Target> verified(const Request& request, const served::Note& note) {
    std::optional<fastpath::Stamp> stamp;
    bool open = false;
    {
        RootFiles as_root;
        stamp = fastpath::read(request.uplink);
        const auto covering = stamp ? covered_by(stamp->request, request) : std::nullopt;
        if (!covering) return std::nullopt;
        open = *covering;
        VIA_STAGE("stamp read");
        const auto& recorded = note.uplink;
        if (!recorded || served::merge(recorded, served_of(request)) != *recorded) return std::nullopt;
    }
    const auto ids = ids::for_ifindex(stamp->up.ifindex);
    if (!ids || observe_now(fastpath::watch_of(*stamp, tables_of(*ids, open))) != stamp->digest) return std::nullopt;
    if (sysctl_writes() != stamp->sysctl_writes) return std::nullopt;
    VIA_STAGE("sysctl count");
    return Target{cgroup::mount_or_find(stamp->cgroup, stamp->cgroup_id), stamp->up, *ids};
}

}  // namespace

namespace steps {

bool is_open(const Request& request) { return !request.kill_switch || (request.user && !request.user->kill_switch); }

served::Uplink served_of(const Request& request) {
    return {request.uplink, request.gateway, request.gateway6, is_open(request)};
}

std::vector<std::uint32_t> tables_of(const ids::UplinkIds& ids, bool open) {
    if (open) return {ids.table, ids.open_mark};
    return {ids.table};
}

std::optional<std::uint64_t> observe_now(const fastpath::Watch& watch) {
    Effective net_admin({CAP_NET_ADMIN});  // nfnetlink asks for it, even to read
    return fastpath::observe(watch);
}

void set_maps(const Target& t, const Request& request, const Report& report) {
    sockmark::set_uplink(t.up.name, t.ids.mark, report);
    sockmark::set_networks(t.up.connected, report);
    if (request.user)
        sockmark::set_user(request.user->uid, {t.up.name, t.ids.mark, request.user->kill_switch, request.user->dns},
                           report);
}

std::optional<std::uint64_t> sysctl_writes() {
    RootFiles as_root;
    Effective sys_admin({CAP_SYS_ADMIN});
    return sockmark::sysctl_writes();
}

served::Note locked(const Request& request, const Recheck& recheck) {
    served::Note seen;
    {
        RootFiles as_root;
        seen = served::look(request.uplink);
    }
    VIA_STAGE("served note read");
    if (recheck) recheck(false);
    return seen;
}

std::optional<Target> fast_locked(const Request& request, const Report& report, Programs programs,
                                  const served::Note& note) {
    auto target = verified(request, note);
    if (!target) return std::nullopt;
    VIA_STAGE("cgroup mount");
    {
        RootFiles as_root;
        Effective caps(program_caps);
        if (!programs(target->mount, report)) return std::nullopt;
        set_maps(*target, request, report);
    }
    VIA_STAGE("maps");
    report.ensured("routing, ip rules, nftables and sysctls of " + request.uplink + ", as the last launch left them (" +
                       fastpath::path_of(request.uplink) + ")",
                   Outcome::present);
    return target;
}

UniqueFd lock_or_note(const Report& report) {
    RootFiles as_root;
    UniqueFd lock = lock::acquire();
    if (!lock) report.note("the via holding the lock is stopped or stuck; going on without it");
    return lock;
}

}  // namespace steps

std::string key(const Request& r) {
    std::string k = r.uplink + " gateway=" + r.gateway.value_or("-") + " gateway6=" + r.gateway6.value_or("-") +
                    " kill_switch=" + (r.kill_switch ? "1" : "0");
    if (r.user) {
        k += " user=" + std::to_string(r.user->uid) + (r.user->kill_switch ? ":kill" : ":open");
        for (const auto& server : r.user->dns) k += ":" + server;
    }
    return k;
}

std::optional<bool> covered_by(const std::string& stamped, const Request& request) {
    if (stamped == key(request)) return is_open(request);
    if (!request.kill_switch) return std::nullopt;
    Request without = request;
    without.kill_switch = false;
    if (stamped == key(without)) return true;
    return std::nullopt;
}

std::optional<Converged> fast(const Request& request, const Report& report,
                              const std::function<void(const Target&)>& while_locked, const Recheck& recheck) {
    Converged out;
    {
        RootFiles as_root;
        // Both capabilities for all of it, one raise (the steps' own scopes
        // nest in this one): the fast path only reads netlink and bpf, and
        // the launch tags itself.
        Effective caps({CAP_NET_ADMIN, CAP_SYS_ADMIN});
        const UniqueFd lock = lock_or_note(report);
        VIA_STAGE("locked");
        const auto seen = locked(request, recheck);
        auto target = fast_locked(request, report, sockmark::intact, seen);
        if (!target) return std::nullopt;
        out.target = std::move(*target);
        if (while_locked) while_locked(out.target);
    }
    report.flush();
    return out;
}

}  // namespace via::ensure
