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
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "tag.h"

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
struct {
    __uint(type, BPF_MAP_TYPE_TASK_STORAGE);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, int);
    __type(value, struct via_tag);
} via_tags SEC(".maps");

// Task-local too: the launch a task belongs to (the pid via had when it
// tagged itself), copied like the tag. The traffic counters of a launch
// count what all of its processes send (`via status`).
struct {
    __uint(type, BPF_MAP_TYPE_TASK_STORAGE);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, int);
    __type(value, __u32);
} via_launches SEC(".maps");

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

// Per socket of a tagged task: the launch whose traffic counters its
// packets add to (`via status`); for a dedicated user's, the process.
struct {
    __uint(type, BPF_MAP_TYPE_SK_STORAGE);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, int);
    __type(value, __u32);
} via_owners SEC(".maps");

// Launch (or process) id -> what its sockets sent. LRU: the entries of
// launches gone make room by themselves; a launch resets its own.
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 16384);
    __type(key, __u32);
    __type(value, struct via_traffic);
} via_traffic SEC(".maps");

// Per socket of a tagged task that has name servers of its own: them, for
// the connect and sendmsg programs below (the tag's servers, as at the
// socket's birth).
struct {
    __uint(type, BPF_MAP_TYPE_SK_STORAGE);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, int);
    __type(value, struct via_dns);
} via_sock_dns SEC(".maps");

#define AF_INET 2
#define AF_INET6 10
#define SOL_SOCKET 1
#define SO_MARK 36

static int has_dns(const struct via_dns *dns)
{
    const __u32 *first6 = dns->dns6[0];
    return dns->dns4[0] || (first6[0] | first6[1] | first6[2] | first6[3]);
}

// Per socket of a tagged task: its network namespace, for the egress
// program, which has no other way to tell one namespace's ifindexes from
// another's.
struct {
    __uint(type, BPF_MAP_TYPE_SK_STORAGE);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, int);
    __type(value, __u64);
} via_sock_netns SEC(".maps");

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
    if (owner) {
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

// Linux 6.16 and newer: every IPv4 and IPv6 socket a tagged task creates.
// One that cannot keep its launch's name servers is refused (socket()
// fails with EPERM): its DNS would go elsewhere.
SEC("cgroup/sock_create")
int via_sock_create(struct bpf_sock *sk)
{
    struct via_tag *tag = tag_of_current();
    if (!tag)
        return 1;
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
    if (!tag)
        return 1;
    struct sock *sk = sock->sk;
    if (!sk)
        return 0;
    __u64 netns = current_netns();
    int mark = (int)mark_for(tag, netns);
    if (bpf_setsockopt(sk, SOL_SOCKET, SO_MARK, &mark, sizeof mark))
        return 0;
    return keep_launch(tag, sk, netns);
}

// The directly connected networks of every interface (via refreshes them at
// each launch): the program may reach its LAN printer by another interface,
// never a gateway there.
struct {
    __uint(type, BPF_MAP_TYPE_LPM_TRIE);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(max_entries, 4096);
    __type(key, struct via_lan);
    __type(value, __u8);
} via_lans_ns SEC(".maps");

#define LOOPBACK_IFINDEX 1

// The mark that says which uplink the packet belongs to: its socket's, set
// at birth and out of reach of nftables rules; for packets without a full
// socket (SYN-ACKs, resets), the packet's own.
// (The packet's mark is read first: loaded in the branch's stead, clang
// makes one load from either pointer, and the verifier refuses arithmetic
// on a socket pointer.)
static __u32 mark_of(struct __sk_buff *skb)
{
    __u32 mark = skb->mark;
    struct bpf_sock *sk = skb->sk;
    if (sk) {
        sk = bpf_sk_fullsock(sk);
        if (sk)
            mark = sk->mark;
    }
    return mark;
}

// The network namespace the packet's socket was made in, as its creator's
// tag kept it; 0, which no namespace has, for other packets (no full
// socket, or one via did not mark at birth: accepted connections, whose
// replies go back by the interface they came in by anyway).
static __u64 netns_of(struct __sk_buff *skb)
{
    struct bpf_sock *full = skb->sk;
    if (!full)
        return 0;
    full = bpf_sk_fullsock(full);
    if (!full)
        return 0;
    __u64 *netns = bpf_sk_storage_get(&via_sock_netns, full, 0, 0);
    return netns ? *netns : 0;
}

// Adds the packet to the counters of the process that made its socket.
static void count(struct __sk_buff *skb)
{
    struct bpf_sock *full = skb->sk;
    if (!full)
        return;
    full = bpf_sk_fullsock(full);
    if (!full)
        return;
    __u32 *owner = bpf_sk_storage_get(&via_owners, full, 0, 0);
    if (!owner)
        return;
    struct via_traffic *t = bpf_map_lookup_elem(&via_traffic, owner);
    if (!t) {
        struct via_traffic zero = {};
        bpf_map_update_elem(&via_traffic, owner, &zero, BPF_NOEXIST);
        t = bpf_map_lookup_elem(&via_traffic, owner);
        if (!t)
            return;
    }
    __sync_fetch_and_add(&t->packets, 1);
    __sync_fetch_and_add(&t->bytes, skb->len);
}

// Runs after routing: skb->ifindex is the interface the packet leaves by.
// A packet of via's leaves by its uplink (the mark's low 16 bits are its
// ifindex), by lo, or to a network directly connected to the interface, or
// not at all (unless it was launched with --no-kill-switch). This holds
// when via's rules, routes or nft table are deleted, when a rule ahead of
// via's catches the packet, when the socket is bound to another interface. A dropped UDP datagram fails with EPERM; a dropped
// TCP SYN is retried, and connect() times out.
SEC("cgroup_skb/egress")
int via_egress(struct __sk_buff *skb)
{
    __u32 mark = mark_of(skb);
    if ((mark & VIA_ANY_MARK_MASK) != VIA_ANY_MARK_BASE)
        return 1;
    count(skb);
    if (!(mark & VIA_OPEN_BIT))
        return 1;
    if (skb->ifindex == (mark & VIA_IFINDEX_MASK) || skb->ifindex == LOOPBACK_IFINDEX)
        return 1;
    // A reply to a connection that came in by another interface goes back
    // by it: via's nft rules give it that interface's mark (only root's
    // rules can set a packet's mark; the socket's stays the uplink's).
    if ((skb->mark & VIA_ANY_MARK_MASK) == VIA_ANY_MARK_BASE && skb->ifindex == (skb->mark & VIA_IFINDEX_MASK))
        return 1;

    struct via_lan key = {.prefixlen = 32 + 64 + 128, .ifindex = skb->ifindex, .netns = netns_of(skb)};
    if (skb->protocol == bpf_htons(ETH_P_IP)) {
        key.addr[10] = 0xff;
        key.addr[11] = 0xff;
        if (bpf_skb_load_bytes(skb, 16, &key.addr[12], 4))  // daddr
            return 0;
    } else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
        if (bpf_skb_load_bytes(skb, 24, key.addr, 16))  // daddr
            return 0;
    } else {
        return 0;
    }
    return bpf_map_lookup_elem(&via_lans_ns, &key) ? 1 : 0;
}

// --- DNS: a launch's port-53 traffic goes to its own name servers ---------
//
// Rewritten where the program names the destination (connect, sendmsg), for
// the tagged tasks only: another user's programs on the same uplink keep
// theirs. A query to one of the launch's servers goes as is; any other
// goes to the first server of its family. For UDP replies read with
// recvmsg, the source is given back as the address the query was sent to.

struct {
    __uint(type, BPF_MAP_TYPE_SK_STORAGE);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, int);
    __type(value, struct via_dns_peer);
} via_dns_peers SEC(".maps");

#define DNS_PORT 53
#define SOCK_DGRAM 2  // as in the kernel's linux/net.h, not a uapi header

static void remember(struct bpf_sock *sk, const __u32 *original, const __u32 *server, int words)
{
    struct via_dns_peer *peer = bpf_sk_storage_get(&via_dns_peers, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
    if (!peer)
        return;
    for (int i = 0; i < 4; i++) {
        peer->original[i] = i < words ? original[i] : 0;
        peer->server[i] = i < words ? server[i] : 0;
    }
}

// An IPv4 destination: 0 when it stays (one of the launch's servers), else
// the server it goes to. The launch has IPv4 servers.
static __u32 server4(const struct via_dns *dns, __u32 daddr)
{
    if (!dns->dns4[0])
        return 0;
    for (int i = 0; i < VIA_MAX_DNS; i++)
        if (dns->dns4[i] && dns->dns4[i] == daddr)
            return 0;
    return dns->dns4[0];
}

// The name servers of a socket sending to port 53, if its creator's launch
// has its own: its DNS may go elsewhere.
static struct via_dns *dns_of(struct bpf_sock_addr *ctx)
{
    if (ctx->user_port != bpf_htons(DNS_PORT))
        return 0;
    return bpf_sk_storage_get(&via_sock_dns, ctx->sk, 0, 0);
}

static int redirect4(struct bpf_sock_addr *ctx)
{
    struct via_dns *dns = dns_of(ctx);
    if (!dns)
        return 1;
    if (!dns->dns4[0])
        return 0;  // only IPv6 servers: an IPv4 query is refused (EPERM)
    __u32 original = ctx->user_ip4;
    __u32 server = server4(dns, original);
    if (!server)
        return 1;
    ctx->user_ip4 = server;
    if (ctx->type == SOCK_DGRAM)
        remember(ctx->sk, &original, &server, 1);
    return 1;
}

static int is_v4_mapped(const __u32 *a)
{
    return a[0] == 0 && a[1] == 0 && a[2] == bpf_htonl(0xffff);
}

static int same6(const __u32 *a, const __u32 *b)
{
    return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3];
}

// (The context's address is written a word at a time, as the verifier wants.)
static void set_ip6(struct bpf_sock_addr *ctx, const __u32 *addr)
{
    ctx->user_ip6[0] = addr[0];
    ctx->user_ip6[1] = addr[1];
    ctx->user_ip6[2] = addr[2];
    ctx->user_ip6[3] = addr[3];
}

static int redirect6(struct bpf_sock_addr *ctx)
{
    struct via_dns *dns = dns_of(ctx);
    if (!dns)
        return 1;
    __u32 original[4] = {ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2], ctx->user_ip6[3]};
    __u32 server[4] = {};
    if (is_v4_mapped(original)) {
        // ::ffff:a.b.c.d on an IPv6 socket: an IPv4 query.
        if (!dns->dns4[0])
            return 0;
        __u32 to = server4(dns, original[3]);
        if (!to)
            return 1;
        server[2] = bpf_htonl(0xffff);
        server[3] = to;
    } else {
        // With only IPv4 servers, an IPv6 query has nowhere to go but a
        // server the launch did not choose: refused (EPERM).
        const __u32 *first = dns->dns6[0];
        if (!(first[0] | first[1] | first[2] | first[3]))
            return 0;
        for (int i = 0; i < VIA_MAX_DNS; i++)
            if (same6(dns->dns6[i], original))
                return 1;
        for (int i = 0; i < 4; i++)
            server[i] = first[i];
    }
    set_ip6(ctx, server);
    if (ctx->type == SOCK_DGRAM)
        remember(ctx->sk, original, server, 4);
    return 1;
}

SEC("cgroup/connect4")
int via_connect4(struct bpf_sock_addr *ctx) { return redirect4(ctx); }

SEC("cgroup/sendmsg4")
int via_sendmsg4(struct bpf_sock_addr *ctx) { return redirect4(ctx); }

SEC("cgroup/connect6")
int via_connect6(struct bpf_sock_addr *ctx) { return redirect6(ctx); }

SEC("cgroup/sendmsg6")
int via_sendmsg6(struct bpf_sock_addr *ctx) { return redirect6(ctx); }

SEC("cgroup/recvmsg4")
int via_recvmsg4(struct bpf_sock_addr *ctx)
{
    if (ctx->user_port != bpf_htons(DNS_PORT))
        return 1;
    struct via_dns_peer *peer = bpf_sk_storage_get(&via_dns_peers, ctx->sk, 0, 0);
    if (peer && peer->server[0] == ctx->user_ip4)
        ctx->user_ip4 = peer->original[0];
    return 1;
}

SEC("cgroup/recvmsg6")
int via_recvmsg6(struct bpf_sock_addr *ctx)
{
    if (ctx->user_port != bpf_htons(DNS_PORT))
        return 1;
    struct via_dns_peer *peer = bpf_sk_storage_get(&via_dns_peers, ctx->sk, 0, 0);
    if (!peer)
        return 1;
    __u32 source[4] = {ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2], ctx->user_ip6[3]};
    if (!same6(source, peer->server))
        return 1;
    set_ip6(ctx, peer->original);
    return 1;
}

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

char LICENSE[] SEC("license") = "Dual MIT/GPL";
