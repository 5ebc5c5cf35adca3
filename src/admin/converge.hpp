// The full ensure of an uplink, in two steps: validate() reads the kernel
// and changes nothing; apply() then, one via at a time, records the
// uplink as served and converges its routing, nftables rules and BPF
// programs, touching only what is via's. converge() is a launch's: the
// fast path when it holds (launch/ensure.hpp), else both steps. via's
// alone: the launcher hands to via every launch its fast path refuses.
#pragma once

#include <functional>

#include "launch/ensure.hpp"
#include "launch/report.hpp"

namespace via::ensure {

// Throws via::Error, with a hint, on every kind of bad input.
Target validate(const Request& request, const Report& report);

// Needs the capabilities of a launch (see privilege). `while_locked` runs
// last, still under the lock. Ends by stamping what it left (fastpath).
Applied apply(const Target& target, const Request& request, const Report& report,
              const std::function<void()>& while_locked = {}, const Recheck& recheck = {});

// A launch's ensure, under via's lock: the fast path when the stamp of the
// same request (or of one covering it, covered_by) still matches what the
// kernel shows, else validate() and apply(). `while_locked` runs last,
// still under the lock: a launch tags itself there, so that a concurrent
// `via gc` sees the uplink in use before it can remove it. Throws what
// validate() and apply() throw, and what `recheck` throws.
Converged converge(const Request& request, const Report& report,
                   const std::function<void(const Target&)>& while_locked, const Recheck& recheck = {});

}  // namespace via::ensure
