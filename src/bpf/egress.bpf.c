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

// /etc/via's rules by destination (admin/rules.cpp fills them, per
// network namespace).
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(max_entries, 2 * 4096);  // owned::max_rule_ports, in a few namespaces
    __type(key, struct via_rule_port);
    __type(value, struct via_rule_uplink);
} via_rule_ports SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LPM_TRIE);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(max_entries, 16384);
    __type(key, struct via_rule_net);
    __type(value, struct via_rule_uplink);
} via_rule_to SEC(".maps");

#define LOOPBACK_IFINDEX 1
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define TCP_SYN 0x02
#define TCP_ACK 0x10

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

// Adds the packet to the counters of `owner`: a launch, a process, a rule.
static void count_for(__u32 *owner, struct __sk_buff *skb)
{
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
    if (owner)
        count_for(owner, skb);
}

// Whether the packet goes to a network directly connected to the
// interface it leaves by (in the packet's namespace): a program's LAN
// printer, never a gateway there. Refused (0) when it is not IP.
static int to_lan(struct __sk_buff *skb, __u64 netns)
{
    struct via_lan key = {.prefixlen = 32 + 64 + 128, .ifindex = skb->ifindex, .netns = netns};
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

// The rule that chooses the packet by its destination (its port first,
// then its network), if any: for sockets made in a network namespace with
// rules (the socket programs keep it, see socket.bpf.c).
static struct via_rule_uplink *rule_of(struct __sk_buff *skb, __u64 netns)
{
    struct via_rule_port port = {.netns = netns};
    struct via_rule_net net = {.netns = netns};
    __u32 l4 = 0;
    if (skb->protocol == bpf_htons(ETH_P_IP)) {
        __u8 head[20];
        if (bpf_skb_load_bytes(skb, 0, head, sizeof head))
            return 0;
        port.protocol = head[9];
        // (A fragment after the first has no ports.)
        if ((head[6] & 0x1f) == 0 && head[7] == 0)
            l4 = (head[0] & 0x0f) * 4;
        net.prefixlen = 32 + 64 + 96 + 32;
        net.addr[10] = 0xff;
        net.addr[11] = 0xff;
        __builtin_memcpy(&net.addr[12], &head[16], 4);
    } else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
        __u8 next = 0;
        if (bpf_skb_load_bytes(skb, 6, &next, 1) || bpf_skb_load_bytes(skb, 24, net.addr, 16))
            return 0;
        port.protocol = next;  // (extension headers: matched by network only)
        l4 = 40;
        net.prefixlen = 32 + 64 + 128;
    } else {
        return 0;
    }
    // A SYN-ACK answers a connection that came in: it goes back the way
    // that came (the program runs with the listener, which the socket
    // programs gave the namespace; the connection's own socket has none).
    __u8 flags = 0;
    if (l4 && port.protocol == IPPROTO_TCP && !bpf_skb_load_bytes(skb, l4 + 13, &flags, 1) &&
        (flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK))
        return 0;
    if (l4 && (port.protocol == IPPROTO_TCP || port.protocol == IPPROTO_UDP) &&
        !bpf_skb_load_bytes(skb, l4 + 2, &port.port, 2)) {
        struct via_rule_uplink *by_port = bpf_map_lookup_elem(&via_rule_ports, &port);
        if (by_port)
            return by_port;
    }
    return bpf_map_lookup_elem(&via_rule_to, &net);
}

// A packet of a socket without via's mark, made in a namespace with
// rules: what a rule chooses leaves by the rule's uplink, lo or the LAN,
// or not at all, whatever nftables, ip rules and routes say (the rule's
// mark comes from via's nftables maps, which a flush removes). Counted
// for the rule.
static int by_rules(struct __sk_buff *skb)
{
    __u64 netns = netns_of(skb);
    if (!netns)
        return 1;
    struct via_rule_uplink *rule = rule_of(skb, netns);
    if (!rule)
        return 1;
    __u32 owner = rule->owner;
    count_for(&owner, skb);
    if (skb->ifindex == rule->ifindex || skb->ifindex == LOOPBACK_IFINDEX)
        return 1;
    return to_lan(skb, netns);
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
        return mark ? 1 : by_rules(skb);
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

    return to_lan(skb, netns_of(skb));
}
