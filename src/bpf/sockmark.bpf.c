// SPDX-License-Identifier: (MIT OR GPL-2.0)
// Keeps a program on its uplink wherever it moves: via tags its own task
// with the uplink before exec; the tag follows every fork and thread, and
// every socket a tagged task creates is given the uplink's mark at birth.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "tag.h"

// Only the fields read here; CO-RE relocates them against the running
// kernel's BTF, so no vmlinux.h is needed to build.
struct task_struct {
    struct task_struct *group_leader;
} __attribute__((preserve_access_index));

// Task-local storage: lives and dies with the task, whatever cgroup it is in.
struct {
    __uint(type, BPF_MAP_TYPE_TASK_STORAGE);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, int);
    __type(value, struct via_tag);
} via_tags SEC(".maps");

// Uplink name -> its current mark (0x5649_0000 + ifindex). via updates it
// at every launch, so that programs already running follow an interface
// that was deleted and made again under the same name (a new ifindex).
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 4096);
    __type(key, struct via_uplink);
    __type(value, __u32);
} via_uplinks SEC(".maps");

// Every new task (process or thread) inherits its parent's tag. The
// tracepoint fires in kernel_clone() before the child first runs, so the
// child cannot create a socket untagged.
SEC("tp_btf/sched_process_fork")
int BPF_PROG(via_fork, struct task_struct *parent, struct task_struct *child)
{
    struct via_tag *tag = bpf_task_storage_get(&via_tags, parent, 0, 0);
    if (!tag)
        return 0;
    struct via_tag *copy = bpf_task_storage_get(&via_tags, child, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
    if (copy)
        *copy = *tag;
    return 0;
}

// io_uring's workers are made without that tracepoint; they are threads of
// the task they work for, so its thread group leader's tag counts.
static struct via_tag *tag_of_current(void)
{
    struct task_struct *task = bpf_get_current_task_btf();
    struct via_tag *tag = bpf_task_storage_get(&via_tags, task, 0, 0);
    if (tag)
        return tag;
    return bpf_task_storage_get(&via_tags, task->group_leader, 0, 0);
}

SEC("cgroup/sock_create")
int via_sock_create(struct bpf_sock *sk)
{
    struct via_tag *tag = tag_of_current();
    if (!tag)
        return 1;
    __u32 *mark = bpf_map_lookup_elem(&via_uplinks, &tag->uplink);
    sk->mark = mark ? *mark : tag->mark;
    return 1;  // never refuses a socket
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
