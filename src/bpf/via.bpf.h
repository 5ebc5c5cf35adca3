// SPDX-License-Identifier: (MIT OR GPL-2.0)
// What via's BPF programs share: the kernel's structures they read, the
// maps more than one of them uses (defined once, in maps.bpf.c; declared
// extern everywhere else, and joined by `bpftool gen object`), and a few
// constants. Each program is a file of its own (see maps.bpf.c for the
// list); via loads them as one object, sockmark.bpf.o.
#pragma once

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "tag.h"

#ifdef VIA_DEFINE_MAPS
#define VIA_MAP
#else
#define VIA_MAP extern
#endif

#define AF_INET 2
#define AF_INET6 10
#define SOL_SOCKET 1
#define SO_MARK 36

// Only the fields read here; CO-RE relocates them against the running
// kernel's BTF, so no vmlinux.h is needed to build.
struct net {
    __u64 net_cookie;
} __attribute__((preserve_access_index));

struct nsproxy {
    struct net *net_ns;
} __attribute__((preserve_access_index));

struct task_struct {
    struct task_struct *group_leader;
    struct nsproxy *nsproxy;
} __attribute__((preserve_access_index));

struct sock;
struct socket {
    struct sock *sk;
} __attribute__((preserve_access_index));

// Task-local storage: lives and dies with the task, whatever cgroup it is in.
VIA_MAP struct {
    __uint(type, BPF_MAP_TYPE_TASK_STORAGE);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, int);
    __type(value, struct via_tag);
} via_tags SEC(".maps");

// Task-local too: the launch a task belongs to (the pid via had when it
// tagged itself), copied like the tag. The traffic counters of a launch
// count what all of its processes send (`via status`).
VIA_MAP struct {
    __uint(type, BPF_MAP_TYPE_TASK_STORAGE);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, int);
    __type(value, __u32);
} via_launches SEC(".maps");

// Per socket of a tagged task: the launch whose traffic counters its
// packets add to (`via status`); for a dedicated user's, the process.
VIA_MAP struct {
    __uint(type, BPF_MAP_TYPE_SK_STORAGE);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, int);
    __type(value, __u32);
} via_owners SEC(".maps");

// Per socket of a tagged task that has name servers of its own: them, for
// the connect and sendmsg programs below (the tag's servers, as at the
// socket's birth).
VIA_MAP struct {
    __uint(type, BPF_MAP_TYPE_SK_STORAGE);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, int);
    __type(value, struct via_dns);
} via_sock_dns SEC(".maps");

// Per socket of a tagged task: its network namespace, for the egress
// program, which has no other way to tell one namespace's ifindexes from
// another's.
VIA_MAP struct {
    __uint(type, BPF_MAP_TYPE_SK_STORAGE);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, int);
    __type(value, __u64);
} via_sock_netns SEC(".maps");

static __always_inline int has_dns(const struct via_dns *dns)
{
    const __u32 *first6 = dns->dns6[0];
    return dns->dns4[0] || (first6[0] | first6[1] | first6[2] | first6[3]);
}
