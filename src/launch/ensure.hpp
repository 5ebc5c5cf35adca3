// What a launch and `via repair` both make sure of for an uplink: the
// request, what it targets, and the launch's fast path, fast(), which
// verifies and rebuilds nothing. The full ensure, which validates and
// converges, is via's alone (admin/converge.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "kernel/cgroup.hpp"
#include "kernel/rtnl.hpp"
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

// What apply found: the priority via's rules for the uplink have now
// (routing::choose_pref), and the ip rules it chose it from.
struct Applied {
    std::uint32_t pref = 0;
    std::vector<rtnl::Rule> rules;
};

// What the caller decided before the lock, checked under it: called as
// soon as the lock is held (`others_wrote` false), before anything is read
// or written under it, and again whenever another via wrote the uplink's
// note since (true): one went past this via while it was stopped holding
// the lock, or this one went past a stopped holder. It throws when the
// decision no longer holds (a grant revoked, a gateway replaced), which
// ends the ensure; this via then writes no note (served.hpp).
using Recheck = std::function<void(bool others_wrote)>;

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

// The fast path of converge() alone, which repairs nothing: nullopt (and
// nothing changed, `while_locked` not run) when it does not hold. The
// launcher's, which then hands the launch to the full via.
std::optional<Converged> fast(const Request& request, const Report& report,
                              const std::function<void(const Target&)>& while_locked,
                              const Recheck& recheck = {});

}  // namespace via::ensure
