// The loader of via's BPF programs (src/bpf/, embedded as a libbpf
// skeleton): via's alone, for the full ensure and `via check`. A launch
// only checks what it made (sockmark::intact).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "kernel/cgroup.hpp"
#include "launch/report.hpp"

namespace via::programs {

// What kernels via's programs load on, as a hint for those that refuse them.
inline constexpr const char* kernel_floor =
    "via needs Linux 6.1 or newer with BTF and the BPF LSM active ('bpf' in /sys/kernel/security/lsm), "
    "or Linux 6.16 or newer: upgrade the kernel (Debian 12's own 6.1 works)";

// What the kernel refused, from libbpf's warnings of a failed load and its
// error: "program NAME: " and the verifier's last word (for example
// "unknown func bpf_task_storage_get#156"), else the error (pure).
std::string refusal(std::string_view libbpf_log, int err);

// The active LSMs, as /sys/kernel/security/lsm lists them (none where
// securityfs is not mounted), and whether a comma-separated list names
// one (pure).
std::optional<std::string> active_lsms();
bool lists(const std::string& csv, const std::string& name);

// Which socket marker this kernel takes, tried without pinning or
// attaching anything: "cgroup/sock_create" or "lsm_cgroup/socket_post_create";
// throws what the kernel refused. Needs CAP_SYS_ADMIN effective.
std::string trial_load();

// Makes sure the maps and the programs are loaded, attached (the cgroup
// programs at the root of `mount`) and pinned, replacing pins of another
// stamp. Mounts a bpffs at /sys/fs/bpf if there is none. True when all of
// it was in place already. How it looks, first: one listing of the pins,
// and a query of the cgroup root per hook for the program ids that via's
// state map recorded when it last attached or found them; when those do
// not answer, each link's pin. Call with the lock held, with CAP_SYS_ADMIN
// effective and privilege::RootFiles (the pins are root's).
bool ensure(const cgroup::Mount& mount, const Report& report);

}  // namespace via::programs
