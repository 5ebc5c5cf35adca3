// via's pin directory (/sys/fs/bpf/via) as a launch reads it: which of
// via's maps and links are pinned and attached (owned.hpp lists them).
// sockmark.cpp's and the loader's (admin/programs.cpp) alone; the rest of
// via calls sockmark.hpp. Call with the privileges of sockmark::ensure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/cgroup.hpp"
#include "launch/handle.hpp"
#include "launch/report.hpp"
#include "owned.hpp"

namespace via::sockmark {

// Where a link of this via's stamp is pinned.
std::string pin_path(const owned::LinkSpec& link);

// The id of the program of a pinned link that is still attached: at its
// hook of the hierarchy's root for a cgroup link (one detached by `bpftool
// link detach` reports cgroup 0), to its tracepoint otherwise.
std::optional<std::uint32_t> attached(const owned::LinkSpec& link, std::uint64_t root_id);

// The names in via's pin directory: one read of it, not a call per pin.
// Throws when the directory is not root's alone.
std::vector<std::string> pins();

bool listed(const std::vector<std::string>& names, std::string_view name);

// A map's pin, as listed in via's pin directory.
const char* pin_file(const owned::MapSpec& m);

bool maps_pinned(const std::vector<std::string>& names);

// The socket marker whose pin is listed, if any (an index in links[]).
std::optional<std::size_t> marker_pinned(const std::vector<std::string>& names);

// A pinned map of via's; with `may_be_missing`, an empty fd when it was
// never pinned.
UniqueFd open_map(const char* pin, bool may_be_missing = false);

// The entry of via's state map (its count of sysctl writes first) that
// holds the id of links[link]'s program, as via last attached or found it.
constexpr std::uint32_t program_entry(std::size_t link) { return static_cast<std::uint32_t>(1 + link); }

// What --verbose calls the maps, and a link on the cgroup root `mount`.
std::string maps_what();
std::string where(const owned::LinkSpec& link, const cgroup::Mount& mount);

// Reports the maps and the links of socket marker `marker` as present: true.
bool all_present(const cgroup::Mount& mount, std::size_t marker, const Report& report);

// sockmark::intact(), with the pin directory's listing in hand.
bool intact_as_listed(const std::vector<std::string>& names, const cgroup::Mount& mount, const Report& report);

}  // namespace via::sockmark
