// SPDX-License-Identifier: (MIT OR GPL-2.0)
// Every socket a tagged task creates gets its uplink's mark at birth.
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
#include "via.bpf.h"

// A dedicated user's uid -> the tag its tasks' sockets get (via adduser,
// then every launch and repair of the uplink): services started as that
// user, by systemd or anybody, without via in between.
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 4096);
    __type(key, __u32);
    __type(value, struct via_tag);
} via_users SEC(".maps");

// Uplink name, in a network namespace -> its current mark (0x5649_0000 +
// ifindex). via updates it at every launch, so that programs already
// running follow an interface that was deleted and made again under the
// same name (a new ifindex). A launch in another namespace, with an
// interface of the same name, has an entry of its own.
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 4096);
    __type(key, struct via_uplink_key);
    __type(value, __u32);
} via_uplinks_ns SEC(".maps");

// The network namespaces with /etc/via rules (admin/rules.cpp): there,
// the sockets of untagged tasks keep their namespace too, for the egress
// program's rules (by destination) to know whose rules they are.
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 256);
    __type(key, __u64);
    __type(value, __u32);
} via_rules_ns SEC(".maps");

// io_uring's workers are made without that tracepoint; they are threads of
// the task they work for, so its thread group leader's tag counts. A task
// without a tag may run as an uplink's dedicated user.
static struct via_tag *tag_of_current(void)
{
    struct task_struct *task = bpf_get_current_task_btf();
    struct via_tag *tag = bpf_task_storage_get(&via_tags, task, 0, 0);
    if (tag)
        return tag;
    tag = bpf_task_storage_get(&via_tags, task->group_leader, 0, 0);
    if (tag)
        return tag;
    __u32 uid = (__u32)bpf_get_current_uid_gid();
    return bpf_map_lookup_elem(&via_users, &uid);
}

// The network namespace the current task makes its sockets in.
static __always_inline __u64 current_netns(void)
{
    struct task_struct *task = bpf_get_current_task_btf();
    return task->nsproxy->net_ns->net_cookie;
}

// The mark a tagged task's new socket gets: its uplink's current one in
// the task's network namespace.
static __always_inline __u32 mark_for(const struct via_tag *tag, __u64 netns)
{
    struct via_uplink_key key = {.netns = netns, .uplink = tag->uplink};
    __u32 *current = bpf_map_lookup_elem(&via_uplinks_ns, &key);
    __u32 mark = current ? *current : tag->mark;
    if (tag->flags & VIA_TAG_OPEN)
        mark &= ~VIA_OPEN_BIT;
    return mark;
}

// The rest of what the socket keeps of its creator's tag: its network
// namespace, the launch whose counters it adds to, and the launch's name
// servers if it has its own. False when the namespace or the servers
// could not be kept.
static __always_inline int keep_launch(const struct via_tag *tag, void *sk, __u64 netns)
{
    __u64 *kept = bpf_sk_storage_get(&via_sock_netns, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
    if (!kept)
        return 0;
    *kept = netns;
    __u32 *owner = bpf_sk_storage_get(&via_owners, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
    if (owner && (tag->flags & VIA_TAG_RULE)) {
        *owner = VIA_RULE_OWNER | (tag->flags >> VIA_TAG_RULE_SHIFT);
    } else if (owner) {
        struct task_struct *task = bpf_get_current_task_btf();
        __u32 *launch = bpf_task_storage_get(&via_launches, task, 0, 0);
        if (!launch)
            launch = bpf_task_storage_get(&via_launches, task->group_leader, 0, 0);
        *owner = launch ? *launch : (__u32)(bpf_get_current_pid_tgid() >> 32);
    }
    if (!has_dns(&tag->dns))
        return 1;
    struct via_dns *dns = bpf_sk_storage_get(&via_sock_dns, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
    if (!dns)
        return 0;
    *dns = tag->dns;
    return 1;
}

// An untagged task's socket, in a namespace with rules, keeps the
// namespace; one that cannot is refused (its rules could not hold).
static __always_inline int keep_netns_for_rules(void *sk)
{
    __u64 netns = current_netns();
    if (!bpf_map_lookup_elem(&via_rules_ns, &netns))
        return 1;
    __u64 *kept = bpf_sk_storage_get(&via_sock_netns, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
    if (!kept)
        return 0;
    *kept = netns;
    return 1;
}

// Linux 6.16 and newer: every IPv4 and IPv6 socket a tagged task creates.
// One that cannot keep its launch's name servers is refused (socket()
// fails with EPERM): its DNS would go elsewhere.
SEC("cgroup/sock_create")
int via_sock_create(struct bpf_sock *sk)
{
    struct via_tag *tag = tag_of_current();
    if (!tag)
        return keep_netns_for_rules(sk);
    __u64 netns = current_netns();
    sk->mark = mark_for(tag, netns);
    return keep_launch(tag, sk, netns);
}

// Older kernels: the same, as the socket is made. One that cannot be
// marked is refused too: it would leave by the main table.
SEC("lsm_cgroup/socket_post_create")
int BPF_PROG(via_socket, struct socket *sock, int family, int type, int protocol, int kern)
{
    if (kern || (family != AF_INET && family != AF_INET6))
        return 1;
    struct via_tag *tag = tag_of_current();
    struct sock *sk = sock->sk;
    if (!tag)
        return sk ? keep_netns_for_rules(sk) : 1;
    if (!sk)
        return 0;
    __u64 netns = current_netns();
    int mark = (int)mark_for(tag, netns);
    if (bpf_setsockopt(sk, SOL_SOCKET, SO_MARK, &mark, sizeof mark))
        return 0;
    return keep_launch(tag, sk, netns);
}
