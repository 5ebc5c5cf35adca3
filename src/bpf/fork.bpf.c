// SPDX-License-Identifier: (MIT OR GPL-2.0)
// The tag follows every new task (see maps.bpf.c).
#include "via.bpf.h"

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
    __u32 *launch = bpf_task_storage_get(&via_launches, parent, 0, 0);
    if (launch) {
        __u32 *inherited = bpf_task_storage_get(&via_launches, child, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
        if (inherited)
            *inherited = *launch;
    }
    return 0;
}
