// SPDX-License-Identifier: (MIT OR GPL-2.0)
// Keeps a program on its uplink wherever it moves: via tags its own task
// with the uplink before exec; the tag follows every fork and thread, and
// every socket a tagged task creates is given the uplink's mark at birth.
// A last program, on the way out, drops what such a socket would send by
// another interface, whatever the routing said.
//
// Which kernels, and why this way. The socket is marked at its birth by
// one of two programs; via loads the first the kernel accepts, once per
// boot (the pins then hold it until the next one), never by version:
//   - cgroup/sock_create (via_sock_create), which reads the creator's tag
//     from task storage: cgroup socket programs may since Linux 6.16
//     (commit ee971630f20f). Tried first: it runs for IPv4 and IPv6
//     sockets only, and sets the mark without a helper call;
//   - lsm_cgroup/socket_post_create (via_socket), an LSM program attached
//     to a cgroup (Linux 6.0+, CONFIG_BPF_LSM, with "bpf" among the active
//     LSMs, as Debian, Ubuntu and Fedora build theirs), which may read task
//     storage on every kernel that has it and sets SO_MARK with
//     bpf_setsockopt(). Where the first is refused: Debian 12 (6.1),
//     Debian 13 and RHEL 10 (6.12), Ubuntu 24.04 (6.8).
// What the cgroup socket programs need of the tag afterwards (the launch's
// name servers, its traffic counters) travels with the socket, in socket
// storage, which they may read on every kernel. The floor is Linux 6.1
// (tested: Debian 12's own kernel in the project's VM test, and 6.18).
//
// The programs, one file each, linked into one object (CMakeLists.txt):
//   fork.bpf.c    the tag follows every new task;
//   socket.bpf.c  every socket of a tagged task gets its uplink's mark;
//   egress.bpf.c  what such a socket sends by another interface is dropped;
//   dns.bpf.c     its DNS goes to its launch's servers;
//   sysctl.bpf.c  writes to src_valid_mark are counted.
// This file defines the maps they share (via.bpf.h).
#define VIA_DEFINE_MAPS
#include "via.bpf.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";
