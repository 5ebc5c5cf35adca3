#include "admin/converge.hpp"

#include <optional>

#include "admin/discover.hpp"
#include "admin/firewall.hpp"
#include "admin/programs.hpp"
#include "admin/routing.hpp"
#include "kernel/rtnl.hpp"
#include "launch/checks.hpp"
#include "launch/ensure_steps.hpp"
#include "launch/error.hpp"
#include "launch/privilege.hpp"
#include "launch/sockmark.hpp"
#include "owned.hpp"

namespace via::ensure {

using namespace steps;
using privilege::Effective;
using privilege::RootFiles;

Target validate(const Request& request, const Report& report) {
    Target t;
    t.mount = cgroup::find_mount();
    auto sock = rtnl::open();
    t.up = uplink::discover(sock, request.uplink, request.gateway, request.gateway6);
    if (!t.up.next_hop6) report.note(t.up.no_ipv6 + ": the program's IPv6 is refused");
    const auto ids = ids::for_ifindex(t.up.ifindex);
    if (!ids)
        throw Error("interface '" + t.up.name + "' has ifindex " + std::to_string(t.up.ifindex) +
                    ", beyond via's range of " + std::to_string(owned::max_ifindex));
    t.ids = *ids;
    return t;
}

namespace {

// First: a kernel that refuses via's programs (see src/bpf/socket.bpf.c)
// then fails the launch before anything else is set up, and they change
// nothing for anybody until a task is tagged or a user is in their maps.
void load_programs(const Target& t, const Report& report) {
    RootFiles as_root;
    Effective caps(program_caps);
    programs::ensure(t.mount, report);
}

// Last, and only in BPF maps: once sockets are marked at birth, the
// routing is in place.
void mark_sockets(const Target& t, const Request& request, const Report& report) {
    RootFiles as_root;
    Effective sys_admin({CAP_SYS_ADMIN});
    set_maps(t, request, report);
}

// src_valid_mark on the uplink's devices (see routing.hpp); `writes`, the
// count of writes read before, follows via's own.
void set_src_valid_marks(const uplink::Uplink& up, std::optional<std::uint64_t>& writes, const Report& report) {
    Effective net_admin({CAP_NET_ADMIN});
    for (const auto& dev : uplink::devices(up))
        if (routing::ensure_src_valid_mark(dev, report) && writes) ++*writes;
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
        auto admin_sock = rtnl::open();  // opened with CAP_NET_ADMIN effective
        // Ahead of any rule of another tool that would take the marked packets.
        applied.rules = rtnl::ip_rules();
        applied.pref = routing::choose_pref(applied.rules, {t.ids.mark, t.ids.open_mark});
        routing::apply(admin_sock, routing::plan(t.up, t.ids, !open, applied.pref), applied.rules,
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

}  // namespace

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

Converged converge(const Request& request, const Report& report,
                   const std::function<void(const Target&)>& while_locked, const Recheck& recheck) {
    Converged out;
    {
        // Root's file identity for all of the work under the lock (the
        // steps' own scopes nest in it): one switch, not one per step.
        RootFiles as_root;
        const UniqueFd lock = lock_or_note(report);
        const auto seen = locked(request, recheck);
        if (auto target = fast_locked(request, report, programs::ensure, seen)) {
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
