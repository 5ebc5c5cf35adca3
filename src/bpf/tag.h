// What via stores for tasks, uplinks and networks, shared by the BPF
// programs and via.
// Part of the pinned maps' format: change it only with new map names.
#pragma once

#include <linux/types.h>

#define VIA_IFNAMSIZ 16

// An uplink: an interface name, NUL-padded.
struct via_uplink {
    char name[VIA_IFNAMSIZ];
};

// The key of the uplinks map: an uplink in one network namespace (its
// cookie, as SO_NETNS_COOKIE gives it): the same name elsewhere is
// another interface, with another ifindex and mark.
struct via_uplink_key {
    __u64 netns;
    struct via_uplink uplink;
};

#define VIA_TAG_OPEN 1  // launched with --no-kill-switch
// A user rule's tag ([rule NAME] users = ...): its sockets' traffic counts
// for the rule, whose id is in the flags' bits from VIA_TAG_RULE_SHIFT.
#define VIA_TAG_RULE 2
#define VIA_TAG_RULE_SHIFT 8

#define VIA_MAX_DNS 3  // owned::max_dns_servers

// A task's tag (also what a dedicated user's sockets get): the uplink it
// was launched via, that uplink's mark at the time (used only if the
// uplink is no longer in the uplinks map), and the launch's name servers,
// to which its port-53 traffic goes. Unused server slots are all zero.
struct via_dns {
    __u32 dns4[VIA_MAX_DNS];       // network byte order
    __u32 dns6[VIA_MAX_DNS][4];    // network byte order
};

struct via_tag {
    struct via_uplink uplink;
    __u32 mark;
    __u32 flags;                   // VIA_TAG_OPEN
    struct via_dns dns;            // also what a socket of the launch keeps
};

// Per socket, for UDP replies: the address a query was sent to before it
// was redirected to `server`, so that the reply seems to come from it.
struct via_dns_peer {
    __u32 original[4];  // IPv4 in [0] for AF_INET sockets
    __u32 server[4];
};

// What the sockets of one process sent, as the egress program counted it.
struct via_traffic {
    __u64 packets;
    __u64 bytes;
};

// The key of the networks map (an LPM trie): a network directly connected
// to an interface. The trie's data is the ifindex and the network
// namespace's cookie (both always matched whole: ifindexes are per
// namespace) then the address, IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d),
// so that prefixlen = 32 + 64 + 96 + bits for IPv4, 32 + 64 + bits for IPv6.
struct via_lan {
    __u32 prefixlen;
    __u32 ifindex;
    __u64 netns;
    __u8 addr[16];
};

// What /etc/via's rules choose by destination, in one network namespace:
// a port of a protocol (the ports map) or a network (the networks map, an
// LPM trie: after prefixlen, 4 zero bytes and the namespace, matched whole,
// then the address, IPv4 as IPv4-mapped IPv6, so that prefixlen = 32 + 64
// + 96 + bits for IPv4, 32 + 64 + bits for IPv6).
struct via_rule_port {
    __u64 netns;
    __u8 protocol;   // IPPROTO_TCP, IPPROTO_UDP
    __u8 zero;
    __u16 port;      // network byte order
    __u32 zero2;
};

struct via_rule_net {
    __u32 prefixlen;
    __u32 zero;
    __u64 netns;
    __u8 addr[16];
};

// Where such traffic leaves, and the key of its counters in the traffic
// map (VIA_RULE_OWNER | the rule's id). ifindex 0: nowhere yet (its
// uplink is missing), so nothing of it leaves but to lo and the LAN.
struct via_rule_uplink {
    __u32 ifindex;
    __u32 owner;
};

#define VIA_RULE_OWNER 0x80000000u  // owned::rule_owner_bit

// As in src/owned.hpp.
#define VIA_ANY_MARK_BASE 0x56480000u  // mark & VIA_ANY_MARK_MASK: one of via's
#define VIA_ANY_MARK_MASK 0xfffe0000u
#define VIA_OPEN_BIT 0x00010000u       // cleared: a --no-kill-switch mark
#define VIA_IFINDEX_MASK 0x0000ffffu

// The entries of via_state: the count of src_valid_mark writes, then one
// program id per link of via's (as many as sockmark.cpp's links).
#define VIA_STATE_SYSCTL_WRITES 0
#define VIA_STATE_ENTRIES 16
