// Small rtnetlink and nfnetlink requests read with libnl-3's core (its
// socket and message API), where libnl-route's caches would read too much
// or keep too little: one request, its answers fed to a callback message
// by message. The launcher links it statically: Debian ships libnl-3 as an
// archive, libmnl only as a shared library.
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sys/socket.h>

#include <linux/netlink.h>

#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "via/handle.hpp"

namespace via::nlmsg {

using Socket = Handle<nl_sock, nl_socket_free>;
using Message = Handle<nl_msg, nlmsg_free>;

// What one read takes: the kernel fills a dump's messages up to 32 KiB
// (less what an skb keeps for itself), so one recvmsg per batch does, where
// libnl would first peek at each batch's size. A batch that did not fit
// fails the request (libnl's NLE_MSG_TRUNC), never silently.
constexpr std::size_t read_size = 32 * 1024;

// A socket for requests on `bus` (NETLINK_ROUTE, NETLINK_NETFILTER); empty
// when it cannot be had.
inline Socket open(int bus) {
    Socket sock(nl_socket_alloc());
    if (sock && nl_connect(sock.get(), bus) < 0) sock.reset();
    if (!sock) return sock;
    nl_socket_disable_auto_ack(sock.get());  // a request's answer is its acknowledgement
    if (nl_socket_set_msg_buf_size(sock.get(), read_size) < 0) return {};
    nl_socket_disable_msg_peek(sock.get());
    return sock;
}

// The kernel's strict checking of dump requests, which is what makes it
// honour their filters (a table, a protocol, an interface). False when it
// could not be set.
inline bool strict_dumps(nl_sock* sock, bool on) {
    const int value = on;
    return ::setsockopt(nl_socket_get_fd(sock), SOL_NETLINK, NETLINK_GET_STRICT_CHK, &value, sizeof value) == 0;
}

// A request of `type` with NLM_F_REQUEST and `flags`, starting with its
// family's fixed header.
template <class Fixed>
Message request(std::uint16_t type, std::uint16_t flags, const Fixed& fixed) {
    Message msg(nlmsg_alloc_simple(type, flags));
    if (msg && nlmsg_append(msg.get(), const_cast<Fixed*>(&fixed), sizeof fixed, NLMSG_ALIGNTO) < 0) msg.reset();
    return msg;
}

// Calls f on each attribute after a message's fixed header.
template <class F>
void each_attr(const nlmsghdr* nlh, std::size_t fixed, F f) {
    auto* m = const_cast<nlmsghdr*>(nlh);
    int rem = nlmsg_attrlen(m, static_cast<int>(fixed));
    for (nlattr* attr = nlmsg_attrdata(m, static_cast<int>(fixed)); nla_ok(attr, rem); attr = nla_next(attr, &rem))
        f(static_cast<const nlattr*>(attr));
}

// The payload after the netlink header.
template <class T>
const T* payload(const nlmsghdr* nlh) {
    return static_cast<const T*>(nlmsg_data(nlh));
}

// One request, its answers fed to `f` message by message (not the
// kernel's acknowledgements). False when it could not be sent, or the
// kernel refused it (its errno in *error).
template <class F>
bool ask(nl_sock* sock, nl_msg* request, F f, int* error = nullptr) {
    if (nl_send_auto(sock, request) < 0) return false;
    const nlmsghdr* sent = nlmsg_hdr(request);
    const bool dump = sent->nlmsg_flags & NLM_F_DUMP;
    for (;;) {
        unsigned char* buf = nullptr;
        sockaddr_nl from{};
        const int n = nl_recv(sock, &from, &buf, nullptr);
        if (n <= 0) {
            std::free(buf);
            return false;
        }
        bool done = false, ok = true;
        int left = n;
        for (auto* m = reinterpret_cast<nlmsghdr*>(buf); nlmsg_ok(m, left); m = nlmsg_next(m, &left)) {
            if (m->nlmsg_seq != sent->nlmsg_seq) continue;  // an answer to an earlier request
            if (m->nlmsg_type == NLMSG_DONE) {
                done = true;
                break;
            }
            if (m->nlmsg_type == NLMSG_ERROR) {
                const int err = -payload<nlmsgerr>(m)->error;
                if (err != 0) {
                    if (error) *error = err;
                    ok = false;
                }
                done = true;
                break;
            }
            if (m->nlmsg_type >= NLMSG_MIN_TYPE) {
                f(static_cast<const nlmsghdr*>(m));
                done = done || !dump;  // a plain request has one answer
            }
        }
        std::free(buf);
        if (!ok) return false;
        if (done) return true;
    }
}

}  // namespace via::nlmsg
