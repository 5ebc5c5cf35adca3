// SPDX-License-Identifier: (MIT OR GPL-2.0)
// A launch's DNS goes to its own name servers, from its own sockets.
#include "via.bpf.h"

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
