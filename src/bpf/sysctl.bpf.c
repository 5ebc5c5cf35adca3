// SPDX-License-Identifier: (MIT OR GPL-2.0)
// Writes to src_valid_mark are counted, and none is changed.
#include "via.bpf.h"

/* What a launch checks in one read: entry VIA_STATE_SYSCTL_WRITES counts
 * writes to any src_valid_mark sysctl (net.ipv4.conf.*.src_valid_mark), by
 * anybody, in any network namespace, so that a launch that finds the count
 * its stamp recorded knows that none of the settings via made was undone,
 * without reading one file per interface; the entries after it hold the ids
 * of via's attached programs, which via writes (see sockmark.cpp). */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, VIA_STATE_ENTRIES);
    __type(key, __u32);
    __type(value, __u64);
} via_state SEC(".maps");

SEC("cgroup/sysctl")
int via_sysctl(struct bpf_sysctl *ctx)
{
    static const char watched[] = "src_valid_mark";
    char name[sizeof watched];
    if (!ctx->write)
        return 1;
    if (bpf_sysctl_get_name(ctx, name, sizeof name, BPF_F_SYSCTL_BASE_NAME) != sizeof watched - 1)
        return 1;
#pragma unroll
    for (int i = 0; i < (int)sizeof watched - 1; i++)
        if (name[i] != watched[i])
            return 1;
    /* Reads are let through untouched, and so is every write: this
     * program only counts. */
    __u32 key = VIA_STATE_SYSCTL_WRITES;
    __u64 *count = bpf_map_lookup_elem(&via_state, &key);
    if (count)
        __sync_fetch_and_add(count, 1);
    return 1;
}
