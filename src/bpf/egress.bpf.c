// SPDX-License-Identifier: (MIT OR GPL-2.0)
// The last program on the way out: what a socket of via's would send by
// another interface is dropped, whatever the routing said; and what the
// launch's sockets send is counted.
#include "via.bpf.h"

// Launch (or process) id -> what its sockets sent. LRU: the entries of
// launches gone make room by themselves; a launch resets its own.
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 16384);
    __type(key, __u32);
    __type(value, struct via_traffic);
} via_traffic SEC(".maps");

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
