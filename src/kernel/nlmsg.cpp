#include "kernel/nlmsg.hpp"

#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <sys/time.h>

namespace via::nlmsg {

Socket open(int bus) { return Socket(UniqueFd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, bus))); }

bool strict_dumps(int fd, bool on) {
    const int value = on;
    return ::setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &value, sizeof value) == 0;
}

bool extended_acks(int fd) {
    const int on = 1;
    return ::setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof on) == 0;
}

std::string ack_message(const nlmsghdr* m) {
    if (!(m->nlmsg_flags & NLM_F_ACK_TLVS) || m->nlmsg_len < NLMSG_HDRLEN + sizeof(nlmsgerr)) return {};
    const auto* err = payload<nlmsgerr>(m);
    // The request follows the error, whole unless the kernel capped it;
    // then the attributes.
    std::size_t at = NLMSG_HDRLEN + sizeof(nlmsgerr);
    if (!(m->nlmsg_flags & NLM_F_CAPPED)) {
        if (err->msg.nlmsg_len < NLMSG_HDRLEN) return {};
        at += NLMSG_ALIGN(err->msg.nlmsg_len) - NLMSG_HDRLEN;
    }
    std::string said;
    if (at < m->nlmsg_len)
        each_attr_in(reinterpret_cast<const unsigned char*>(m) + at, m->nlmsg_len - at, [&](const nlattr* attr) {
            if (attr_type(attr) != NLMSGERR_ATTR_MSG) return;
            const auto* text = static_cast<const char*>(attr_data(attr));
            said.assign(text, strnlen(text, attr_len(attr)));
        });
    return said;
}

Message::Message(std::uint16_t type, std::uint16_t flags, const void* fixed, std::size_t len)
    : buf_((NLMSG_HDRLEN + NLMSG_ALIGN(len)) / sizeof(std::uint32_t)), fixed_len_(len) {
    nlmsghdr* h = header();
    h->nlmsg_len = static_cast<std::uint32_t>(NLMSG_HDRLEN + len);
    h->nlmsg_type = type;
    h->nlmsg_flags = static_cast<std::uint16_t>(NLM_F_REQUEST | flags);
    std::memcpy(reinterpret_cast<unsigned char*>(buf_.data()) + NLMSG_HDRLEN, fixed, len);
}

Message::Message(const nlmsghdr* built, std::size_t fixed_len)
    : buf_(NLMSG_ALIGN(built->nlmsg_len) / sizeof(std::uint32_t)), fixed_len_(fixed_len) {
    std::memcpy(buf_.data(), built, built->nlmsg_len);
}

void Message::put(std::uint16_t type, const void* data, std::size_t len) {
    const std::size_t at = NLMSG_ALIGN(header()->nlmsg_len);
    const std::size_t attr_len = NLA_HDRLEN + len;
    buf_.resize((at + NLA_ALIGN(attr_len)) / sizeof(std::uint32_t));
    auto* bytes = reinterpret_cast<unsigned char*>(buf_.data());
    nlattr attr{static_cast<std::uint16_t>(attr_len), type};
    std::memcpy(bytes + at, &attr, sizeof attr);
    std::memcpy(bytes + at + NLA_HDRLEN, data, len);
    header()->nlmsg_len = static_cast<std::uint32_t>(at + attr_len);
}

bool send(Socket& sock, Message& request) {
    nlmsghdr* h = request.header();
    h->nlmsg_seq = sock.next_seq();
    h->nlmsg_pid = 0;  // the kernel's port: the socket binds on its first send
    const sockaddr_nl kernel{.nl_family = AF_NETLINK};
    ssize_t n;
    do n = ::sendto(sock.fd(), h, h->nlmsg_len, 0, reinterpret_cast<const sockaddr*>(&kernel), sizeof kernel);
    while (n < 0 && errno == EINTR);
    return n == static_cast<ssize_t>(h->nlmsg_len);
}

bool send_raw(const Socket& sock, const void* messages, std::size_t len) {
    const sockaddr_nl kernel{.nl_family = AF_NETLINK};
    ssize_t n;
    do n = ::sendto(sock.fd(), messages, len, 0, reinterpret_cast<const sockaddr*>(&kernel), sizeof kernel);
    while (n < 0 && errno == EINTR);
    return n == static_cast<ssize_t>(len);
}

bool answer_timeout(int fd, int milliseconds) {
    const timeval tv{milliseconds / 1000, (milliseconds % 1000) * 1000};
    return ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0;
}

void append_attr(nlmsghdr* nlh, std::uint16_t type, const void* data, std::size_t len) {
    auto* at = reinterpret_cast<unsigned char*>(nlh) + NLMSG_ALIGN(nlh->nlmsg_len);
    const nlattr attr{static_cast<std::uint16_t>(NLA_HDRLEN + len), type};
    std::memcpy(at, &attr, sizeof attr);
    std::memcpy(at + NLA_HDRLEN, data, len);
    nlh->nlmsg_len = static_cast<std::uint32_t>(NLMSG_ALIGN(nlh->nlmsg_len) + NLA_HDRLEN + len);
}

long receive(const Socket& sock, unsigned char* buf) {
    for (;;) {
        sockaddr_nl from{};
        socklen_t from_len = sizeof from;
        // MSG_TRUNC: the batch's whole length.
        const ssize_t n =
            ::recvfrom(sock.fd(), buf, read_size, MSG_TRUNC, reinterpret_cast<sockaddr*>(&from), &from_len);
        if (n < 0 && errno == EINTR) continue;
        if (n > static_cast<ssize_t>(read_size)) {
            errno = EMSGSIZE;
            return -1;
        }
        // Only the kernel (port 0) answers. (A netlink socket always says
        // who sent; a socket pair, in the tests, says nothing.)
        if (n > 0 && from_len >= sizeof from && from.nl_family == AF_NETLINK && from.nl_pid != 0) continue;
        return n;
    }
}

}  // namespace via::nlmsg
