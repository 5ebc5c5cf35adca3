#include "launch/ensure.hpp"

#include <algorithm>
#include <functional>

#include "admin/firewall.hpp"
#include "admin/routing.hpp"
#include "kernel/netlink.hpp"
#include "launch/accounts.hpp"
#include "launch/checks.hpp"
#include "launch/error.hpp"
#include "launch/fastpath.hpp"
#include "launch/lock.hpp"
#include "launch/privilege.hpp"
#include "launch/served.hpp"
#include "launch/sockmark.hpp"
#include "launch/stages.hpp"
#include "owned.hpp"

namespace via::ensure {

std::optional<DedicatedUser> dedicated_user(const config::Uplink& section) {
    const auto account = accounts::find_user(config::user_of(section.name));
    if (!account) return std::nullopt;
    return DedicatedUser{account->uid, section.kill_switch != config::KillSwitch::off, section.dns};
}

Request request_for(const config::Uplink& section) {
    return Request{section.interface, section.gateway, section.gateway6, true, dedicated_user(section)};
}

Target validate(const Request& request, const Report& report) {
    Target t;
    t.mount = cgroup::find_mount();
    auto sock = netlink::connect_route();
    t.up = uplink::discover(sock.get(), request.uplink, request.gateway, request.gateway6);
    if (!t.up.next_hop6) report.note(t.up.no_ipv6 + ": the program's IPv6 is refused");
    const auto ids = ids::for_ifindex(t.up.ifindex);
    if (!ids)
        throw Error("interface '" + t.up.name + "' has ifindex " + std::to_string(t.up.ifindex) +
                    ", beyond via's range of " + std::to_string(constants::max_ifindex));
    t.ids = *ids;
    return t;
}

namespace {

using privilege::Effective;
using privilege::RootFiles;

// Without the kill switch for some programs: the uplink's open table too.
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

// The maps' entries for the request. Each write compares first.
void set_maps(const Target& t, const Request& request, const Report& report) {
    sockmark::set_uplink(t.up.name, t.ids.mark, report);
    sockmark::set_networks(t.up.connected, report);
    if (request.user)
        sockmark::set_user(request.user->uid, {t.up.name, t.ids.mark, request.user->kill_switch, request.user->dns},
                           report);
}

// What loading and attaching via's programs takes: CAP_SYS_ADMIN for
// bpf(2), and CAP_NET_ADMIN for attaching the egress guard, which Linux
// 6.1 asks for when a cgroup_skb program is attached (6.18 does not).
const std::initializer_list<cap_value_t> program_caps = {CAP_SYS_ADMIN, CAP_NET_ADMIN};

// First: a kernel that refuses via's programs (see src/bpf/sockmark.bpf.c)
// then fails the launch before anything else is set up, and they change
// nothing for anybody until a task is tagged or a user is in their maps.
void load_programs(const Target& t, const Report& report) {
    RootFiles as_root;
    Effective caps(program_caps);
    sockmark::ensure(t.mount, report);
}

// Last, and only in BPF maps: once sockets are marked at birth, the
// routing is in place.
void mark_sockets(const Target& t, const Request& request, const Report& report) {
    RootFiles as_root;
    Effective sys_admin({CAP_SYS_ADMIN});
    set_maps(t, request, report);
}

// The count of src_valid_mark writes (see sockmark.hpp).
std::optional<std::uint64_t> sysctl_writes() {
    RootFiles as_root;
    Effective sys_admin({CAP_SYS_ADMIN});
    return sockmark::sysctl_writes();
}

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

// src_valid_mark on the uplink's devices (see routing.hpp); `writes`, the
// count of writes read before, follows via's own.
void set_src_valid_marks(const uplink::Uplink& up, std::optional<std::uint64_t>& writes, const Report& report) {
    Effective net_admin({CAP_NET_ADMIN});
    for (const auto& dev : uplink::devices(up))
        if (routing::ensure_src_valid_mark(dev, report) && writes) ++*writes;
}

// The uplink's note when the lock was taken, and the first recheck.
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

// Records the request in the uplink's note, over the newest one: the
// generation written. Another via's note since `seen` is rechecked first.
std::uint64_t record(const Request& request, std::uint64_t seen, const Recheck& recheck) {
    RootFiles as_root;
    for (int tries = 0; tries < 100; ++tries) {
        const served::Note now = served::look(request.uplink);
        if (now.generation != seen && recheck) recheck(true);
        seen = now.generation;
        if (served::record(served::merge(now.uplink, served_of(request)), seen)) return seen + 1;
    }
    throw Error("the note of " + request.uplink + " changed a hundred times while this via wrote it", "run it again");
}

Applied apply_locked(const Target& t, const Request& request, const Report& report, std::uint64_t seen,
                     const Recheck& recheck) {
    const bool open = is_open(request);
    Applied applied;
    load_programs(t, report);
    const std::uint64_t mine = record(request, seen, recheck);
    // Counted before the sysctls are set (the sysctl program is attached
    // by now, load_programs): with via's own writes added, the count the
    // stamp may hold. Anybody else's write, even during this ensure,
    // leaves the count elsewhere.
    std::optional<std::uint64_t> writes = sysctl_writes();
    {
        Effective net_admin({CAP_NET_ADMIN});
        auto admin_sock = netlink::connect_route();  // opened with CAP_NET_ADMIN effective
        // Ahead of any rule of another tool that would take the marked packets.
        applied.rules = checks::ip_rules();
        applied.pref = routing::choose_pref(applied.rules, {t.ids.mark, t.ids.open_mark});
        routing::apply(admin_sock.get(), routing::plan(t.up, t.ids, !open, applied.pref), applied.rules,
                       report);
        set_src_valid_marks(t.up, writes, report);
        firewall::apply(firewall::plan(t.up.name, t.ids), report);
    }
    mark_sockets(t, request, report);
    // Another via's note since this one's: it may have ensured what this
    // one then wrote over (routes to a gateway root has replaced since).
    if (recheck) {
        RootFiles as_root;
        if (served::look(request.uplink).generation != mine) recheck(true);
    }
    // What the next launch compares with, taken after all of the above.
    // No stamp while the sysctl program was missing, nor after a write
    // not via's.
    fastpath::Stamp stamp{key(request), 0, 0, t.up, t.mount, cgroup::id_of(t.mount.point)};
    const auto digest = observe_now(fastpath::watch_of(stamp, tables_of(t.ids, open)));
    if (digest && writes && sysctl_writes() == writes) {
        stamp.digest = *digest;
        stamp.sysctl_writes = *writes;
        RootFiles as_root;
        fastpath::write(stamp);
    }
    return applied;
}

// What BPF programs a fast path that finds via's missing does: repairs
// them (via), or nothing (the launcher, which hands the launch to via).
enum class Programs { repair, require };

// The fast path under the lock: the verified target, once via's programs
// are in place and the maps hold the request. Either way, a launch that
// found any program missing takes the full ensure: the count of sysctl
// writes the stamp was checked against holds only while the sysctl
// program was attached all along.
// `note`: the uplink's, as read under the lock.
std::optional<Target> fast_locked(const Request& request, const Report& report, Programs programs,
                                  const served::Note& note) {
    auto target = verified(request, note);
    if (!target) return std::nullopt;
    VIA_STAGE("cgroup mount");
    {
        RootFiles as_root;
        Effective caps(program_caps);
        const bool in_place = programs == Programs::repair ? sockmark::ensure(target->mount, report)
                                                           : sockmark::intact(target->mount, report);
        if (!in_place) return std::nullopt;
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

}  // namespace

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

Applied apply(const Target& t, const Request& request, const Report& report, const std::function<void()>& while_locked,
              const Recheck& recheck) {
    Applied applied;
    {
        const UniqueFd lock = lock_or_note(report);
        const auto seen = locked(request, recheck);
        applied = apply_locked(t, request, report, seen.generation, recheck);
        if (while_locked) while_locked();
    }
    report.flush();  // the lock is released: now the caller's stderr may block us
    return applied;
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
        auto target = fast_locked(request, report, Programs::require, seen);
        if (!target) return std::nullopt;
        out.target = std::move(*target);
        if (while_locked) while_locked(out.target);
    }
    report.flush();
    return out;
}

Converged converge(const Request& request, const Report& report,
                   const std::function<void(const Target&)>& while_locked, const Recheck& recheck) {
    Converged out;
    {
        // Root's file identity for all of the work under the lock (the
        // steps' own scopes nest in it): one switch, not one per step.
        RootFiles as_root;
        const UniqueFd lock = lock_or_note(report);
        const auto seen = locked(request, recheck);
        if (auto target = fast_locked(request, report, Programs::repair, seen)) {
            out.target = std::move(*target);
        } else {
            out.target = validate(request, report);
            out.applied = apply_locked(out.target, request, report, seen.generation, recheck);
        }
        if (while_locked) while_locked(out.target);
    }
    report.flush();
    return out;
}

}  // namespace via::ensure
