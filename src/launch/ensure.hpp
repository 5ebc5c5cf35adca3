// What a launch and `via repair` both make sure of for an uplink, in two
// steps: validate() reads the kernel and changes nothing; apply() then, one
// via at a time, records the uplink as served and converges its routing,
// nftables rules and BPF programs, touching only what is via's.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "kernel/cgroup.hpp"
#include "launch/checks.hpp"
#include "launch/config.hpp"
#include "launch/ids.hpp"
#include "launch/report.hpp"
#include "launch/uplink.hpp"

namespace via::ensure {

// The uplink's dedicated user, when it has one: its sockets are marked by
// uid, with the uplink's kill switch and name servers.
struct DedicatedUser {
    uid_t uid = 0;
    bool kill_switch = true;
    std::vector<std::string> dns;
};

// The dedicated user of a section of /etc/via, if `via adduser` made it.
std::optional<DedicatedUser> dedicated_user(const config::Uplink& section);

struct Request {
    std::string uplink;  // the interface
    std::optional<std::string> gateway;
    std::optional<std::string> gateway6;
    bool kill_switch = true;
    std::optional<DedicatedUser> user;
};

// What a section of /etc/via asks for its uplink, kill switch on.
Request request_for(const config::Uplink& section);

struct Target {
    cgroup::Mount mount;
    uplink::Uplink up;
    ids::UplinkIds ids;
};

// Throws via::Error, with a hint, on every kind of bad input.
Target validate(const Request& request, const Report& report);

// What apply found: the priority via's rules for the uplink have now
// (routing::choose_pref), and the ip rules it chose it from.
struct Applied {
    std::uint32_t pref = 0;
    std::vector<checks::Rule> rules;
};

// What the caller decided before the lock, checked under it: called as
// soon as the lock is held (`others_wrote` false), before anything is read
// or written under it, and again whenever another via wrote the uplink's
// note since (true): one went past this via while it was stopped holding
// the lock, or this one went past a stopped holder. It throws when the
// decision no longer holds (a grant revoked, a gateway replaced), which
// ends the ensure; this via then writes no note (served.hpp).
using Recheck = std::function<void(bool others_wrote)>;

// Needs the capabilities of a launch (see privilege). `while_locked` runs
// last, still under the lock. Ends by stamping what it left (fastpath).
Applied apply(const Target& target, const Request& request, const Report& report,
              const std::function<void()>& while_locked = {}, const Recheck& recheck = {});

// A request as the stamp records it: equal keys, equal plans.
std::string key(const Request& request);

// Whether the ensure of the request keyed `stamped` covers `request`'s
// (pure): the same request, or the same with the kill switch off, whose
// ensure made the uplink's open table and rules besides all that the kill
// switch needs. So launches with and without --no-kill-switch do not take
// turns at the full ensure. nullopt when it does not; else whether the
// stamp's digest watched the open table too.
std::optional<bool> covered_by(const std::string& stamped, const Request& request);

struct Converged {
    Target target;
    std::optional<Applied> applied;  // nullopt: verified by the stamp, nothing applied
};

// A launch's ensure, under via's lock: the fast path when the stamp of the
// same request (or of one covering it, covered_by) still matches what the
// kernel shows, else validate() and apply(). `while_locked` runs last,
// still under the lock: a launch tags itself there, so that a concurrent
// `via gc` sees the uplink in use before it can remove it. Throws what
// validate() and apply() throw, and what `recheck` throws.
Converged converge(const Request& request, const Report& report,
                   const std::function<void(const Target&)>& while_locked, const Recheck& recheck = {});

// The fast path of converge() alone, which repairs nothing: nullopt (and
// nothing changed, `while_locked` not run) when it does not hold. The
// launcher's, which then hands the launch to the full via.
std::optional<Converged> fast(const Request& request, const Report& report,
                              const std::function<void(const Target&)>& while_locked,
                              const Recheck& recheck = {});

}  // namespace via::ensure
