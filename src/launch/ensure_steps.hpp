// The steps of an ensure that the launch's fast path (ensure.cpp) and the
// full ensure (admin/converge.cpp) share. For those two files alone: the
// rest of via calls ensure.hpp and admin/converge.hpp.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <vector>

#include <sys/capability.h>

#include "launch/ensure.hpp"
#include "launch/fastpath.hpp"
#include "launch/handle.hpp"
#include "launch/served.hpp"

namespace via::ensure::steps {

// What loading and attaching via's programs takes: CAP_SYS_ADMIN for
// bpf(2), and CAP_NET_ADMIN for attaching the egress guard, which Linux
// 6.1 asks for when a cgroup_skb program is attached (6.18 does not).
inline const std::initializer_list<cap_value_t> program_caps = {CAP_SYS_ADMIN, CAP_NET_ADMIN};

// Without the kill switch for some programs: the uplink's open table too.
bool is_open(const Request& request);

// The request as the uplink's note records it.
served::Uplink served_of(const Request& request);

// The routing tables the stamp's digest watches.
std::vector<std::uint32_t> tables_of(const ids::UplinkIds& ids, bool open);

// What fastpath::observe() sees now, with the capability nfnetlink asks for.
std::optional<std::uint64_t> observe_now(const fastpath::Watch& watch);

// The maps' entries for the request. Each write compares first.
void set_maps(const Target& t, const Request& request, const Report& report);

// The count of src_valid_mark writes (see sockmark.hpp).
std::optional<std::uint64_t> sysctl_writes();

// The uplink's note when the lock was taken, and the first recheck.
served::Note locked(const Request& request, const Recheck& recheck);

// Whether via's BPF programs are in place: sockmark::intact (the
// launcher's, which repairs nothing) or programs::ensure (via's).
using Programs = bool (*)(const cgroup::Mount& mount, const Report& report);

// The fast path under the lock: the verified target, once via's programs
// are in place (`programs`) and the maps hold the request. Either way, a
// launch that found any program missing takes the full ensure: the count
// of sysctl writes the stamp was checked against holds only while the
// sysctl program was attached all along. `note`: the uplink's, as read
// under the lock.
std::optional<Target> fast_locked(const Request& request, const Report& report, Programs programs,
                                  const served::Note& note);

// via's lock, or none (and a note) when its holder is stopped or stuck.
UniqueFd lock_or_note(const Report& report);

}  // namespace via::ensure::steps
