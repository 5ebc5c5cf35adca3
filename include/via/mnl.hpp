// Small rtnetlink and nfnetlink requests read with libmnl, where libnl's
// caches would read too much or keep too little: one request, its answers
// fed to a callback; and attribute loops that C++ can compile (libmnl's own
// do void* arithmetic, which is C).
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <ctime>

#include <libmnl/libmnl.h>

#include "via/handle.hpp"

namespace via::mnl {

using Socket = Handle<mnl_socket, mnl_socket_close>;

// A socket for requests on `bus` (NETLINK_ROUTE, NETLINK_NETFILTER). Not
// bound: the kernel binds it at the first send, a bind(2) and a
// getsockname(2) less. ask() then takes answers from any port id, which on
// a socket in no multicast group are the kernel's answers to it.
inline Socket open(int bus) {
    return Socket(mnl_socket_open2(bus, SOCK_CLOEXEC));
}

// Calls f on each attribute after a message's fixed header.
template <class F>
void each_attr(const nlmsghdr* nlh, std::size_t fixed, F f) {
    const void* end = mnl_nlmsg_get_payload_tail(nlh);
    for (auto* attr = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(nlh, fixed));
         mnl_attr_ok(attr, static_cast<int>(static_cast<const char*>(end) - reinterpret_cast<const char*>(attr)));
         attr = mnl_attr_next(attr))
        f(attr);
}

// A request's header in `buf`, with NLM_F_REQUEST and `flags`.
inline nlmsghdr* header(char* buf, std::uint16_t type, std::uint16_t flags) {
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | flags;
    return nlh;
}

// What every request shares: its sequence numbers, and one receive buffer
// (a dump's messages come in batches of at most 32 KiB).
inline std::uint32_t last_seq = static_cast<std::uint32_t>(std::time(nullptr));
alignas(nlmsghdr) inline char answers[65536];

// One request, its answers fed to `f` message by message. False when it
// could not be sent or the kernel refused it (its errno in *error).
template <class F>
bool ask(mnl_socket* sock, nlmsghdr* request, F f, int* error = nullptr) {
    request->nlmsg_seq = ++last_seq;
    if (mnl_socket_sendto(sock, request, request->nlmsg_len) < 0) return false;
    const std::uint32_t portid = mnl_socket_get_portid(sock);
    auto cb = [](const nlmsghdr* nlh, void* data) -> int {
        (*static_cast<F*>(data))(nlh);
        return MNL_CB_OK;
    };
    for (;;) {
        const ssize_t n = mnl_socket_recvfrom(sock, answers, sizeof answers);
        if (n <= 0) return false;
        const int ret = mnl_cb_run(answers, static_cast<std::size_t>(n), request->nlmsg_seq, portid, cb, &f);
        if (ret == MNL_CB_STOP) return true;
        if (ret < 0) {
            if (error) *error = errno;
            return false;
        }
        if (!(request->nlmsg_flags & NLM_F_DUMP)) return true;
    }
}

}  // namespace via::mnl
