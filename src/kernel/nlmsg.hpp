// via's one netlink transport: a socket of its own, a message builder, an
// attribute walk, and one request with its answers fed to a callback
// message by message, with the checks iproute2 makes (sequence numbers,
// the kernel as sender, batches cut short, dumps interrupted, errors in
// NLMSG_DONE, the kernel's extended acknowledgements). rtnl.hpp builds
// rtnetlink on it; fastpath, checks and nft (libnftnl's messages) use it
// too.
//
// Not libnl-3 nor libmnl: the launcher links it statically, libmnl has no
// static library in Debian (via links it only for libnftnl, which builds
// its messages with it), and libnl-3's archive has no function sections,
// so its attribute code kept its address and utility code, and through
// them glibc's resolver, scanf and locale machinery, about a quarter of
// the launcher's code, with constructors that ran at every start.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <linux/netlink.h>

#include "launch/handle.hpp"

namespace via::nlmsg {

// What one read takes: the kernel fills a dump's messages up to 32 KiB
// (less what an skb keeps for itself), so one recv per batch does. A batch
// that did not fit fails the request, never silently.
constexpr std::size_t read_size = 32 * 1024;

// A netlink socket and the sequence numbers of its requests.
class Socket {
public:
    Socket() = default;
    explicit Socket(UniqueFd fd) noexcept : fd_(std::move(fd)) {}
    explicit operator bool() const noexcept { return static_cast<bool>(fd_); }
    int fd() const noexcept { return fd_.get(); }
    std::uint32_t next_seq() noexcept { return ++seq_; }

private:
    UniqueFd fd_;
    std::uint32_t seq_ = 0;
};

// A socket for requests on `bus` (NETLINK_ROUTE, NETLINK_NETFILTER), close
// on exec; empty when it cannot be had.
Socket open(int bus);

// The kernel's strict checking of dump requests on socket `fd`, which is
// what makes it honour their filters (a table, a protocol, an interface).
// False when it could not be set.
bool strict_dumps(int fd, bool on);

// The kernel's extended acknowledgements on socket `fd`: a refusal then
// says why in words (ack_message). False when it could not be set.
bool extended_acks(int fd);

// The kernel's own words in a refusal (NLMSGERR_ATTR_MSG), if it sent any.
std::string ack_message(const nlmsghdr* error);

// A request: the netlink header, its family's fixed header, attributes.
class Message {
public:
    Message(std::uint16_t type, std::uint16_t flags, const void* fixed, std::size_t len);
    // A copy of a request another library built (libnftnl), whose family's
    // fixed header is `fixed_len` bytes.
    Message(const nlmsghdr* built, std::size_t fixed_len);
    // The length of its family's fixed header, which every answer has too.
    std::size_t fixed_len() const noexcept { return fixed_len_; }
    void put(std::uint16_t type, const void* data, std::size_t len);
    void put_u32(std::uint16_t type, std::uint32_t value) { put(type, &value, sizeof value); }
    void put_u8(std::uint16_t type, std::uint8_t value) { put(type, &value, sizeof value); }
    nlmsghdr* header() noexcept { return reinterpret_cast<nlmsghdr*>(buf_.data()); }
    const nlmsghdr* header() const noexcept { return reinterpret_cast<const nlmsghdr*>(buf_.data()); }

private:
    std::vector<std::uint32_t> buf_;  // (4-byte words: netlink's alignment)
    std::size_t fixed_len_;
};

// A request of `type` with NLM_F_REQUEST and `flags`, starting with its
// family's fixed header.
template <class Fixed>
Message request(std::uint16_t type, std::uint16_t flags, const Fixed& fixed) {
    return Message(type, flags, &fixed, sizeof fixed);
}

// The payload after the netlink header.
template <class T>
const T* payload(const nlmsghdr* nlh) {
    return reinterpret_cast<const T*>(reinterpret_cast<const unsigned char*>(nlh) + NLMSG_HDRLEN);
}

// An attribute's type, without the nested and byte-order flags; its
// payload and the payload's length; a number in it (0 when it is shorter).
inline std::uint16_t attr_type(const nlattr* a) noexcept { return a->nla_type & NLA_TYPE_MASK; }
inline const void* attr_data(const nlattr* a) noexcept { return reinterpret_cast<const unsigned char*>(a) + NLA_HDRLEN; }
inline std::size_t attr_len(const nlattr* a) noexcept { return a->nla_len - NLA_HDRLEN; }
template <class T>
T attr_get(const nlattr* a) noexcept {
    T value{};
    if (attr_len(a) >= sizeof value) std::memcpy(&value, attr_data(a), sizeof value);
    return value;
}
inline std::uint32_t attr_u32(const nlattr* a) noexcept { return attr_get<std::uint32_t>(a); }
inline std::uint8_t attr_u8(const nlattr* a) noexcept { return attr_get<std::uint8_t>(a); }
// A string attribute, to its NUL or its end.
inline std::string attr_str(const nlattr* a) {
    const auto* p = static_cast<const char*>(attr_data(a));
    return std::string(p, strnlen(p, attr_len(a)));
}

// Calls f on each attribute of `len` bytes of attributes (a nested one's
// payload), or after a message's fixed header; stops at one that does not
// fit.
template <class F>
void each_attr_in(const void* data, std::size_t len, F f) {
    const auto* base = static_cast<const unsigned char*>(data);
    for (std::size_t at = 0; at + NLA_HDRLEN <= len;) {
        const auto* attr = reinterpret_cast<const nlattr*>(base + at);
        if (attr->nla_len < NLA_HDRLEN || attr->nla_len > len - at) return;
        f(attr);
        at += NLA_ALIGN(attr->nla_len);
    }
}
template <class F>
void each_attr(const nlmsghdr* nlh, std::size_t fixed, F f) {
    const std::size_t start = NLMSG_HDRLEN + NLMSG_ALIGN(fixed);
    if (nlh->nlmsg_len > start) each_attr_in(reinterpret_cast<const unsigned char*>(nlh) + start, nlh->nlmsg_len - start, f);
}

// Sends `request` with the socket's next sequence number; false when it
// could not be sent whole.
bool send(Socket& sock, Message& request);
// Sends messages as they are, sequence numbers and all (a batch); false
// when they could not be sent whole.
bool send_raw(const Socket& sock, const void* messages, std::size_t len);

// How long a read waits for the kernel before it fails with EAGAIN (a
// kernel that never answers becomes an error, not a hang).
bool answer_timeout(int fd, int milliseconds);

// Appends an attribute to a message built in place; the caller's buffer
// has room for it.
void append_attr(nlmsghdr* nlh, std::uint16_t type, const void* data, std::size_t len);
// One batch of answers from the kernel into `buf` (read_size bytes): its
// length, 0 at the end of the stream, or -1 (errno set; EMSGSIZE for a
// batch larger than the buffer). Batches from another sender than the
// kernel (a process that knows the socket's port) are skipped.
long receive(const Socket& sock, unsigned char* buf);

// The errno of a negated one in an answer; EPROTO for anything that is
// not one (0, positive, beyond the kernel's 4095).
inline int errno_of(int negated) noexcept { return negated < 0 && negated > -4096 ? -negated : EPROTO; }

// One request, its answers fed to `f` message by message (not the
// kernel's acknowledgements). False when it could not be sent, the kernel
// refused it (its errno in *error), or the answers did not all arrive:
// a dump that failed on the way (the errno its NLMSG_DONE carries), one
// the kernel marked inconsistent (NLM_F_DUMP_INTR: EINTR, ask again), an
// answer cut short or shorter than its fixed header (EPROTO). A caller
// that acts on a list must not act on one that failed. `said`, if given,
// gets the kernel's own words for a refusal (ack_message).
template <class F>
bool ask(Socket& sock, Message& request, F f, int* error = nullptr, std::string* said = nullptr) {
    const auto failed = [&](int err) {
        if (error) *error = err;
        return false;
    };
    if (!send(sock, request)) return failed(errno ? errno : EIO);
    const nlmsghdr* sent = request.header();
    const bool dump = sent->nlmsg_flags & NLM_F_DUMP;
    // Not zeroed: the kernel writes what is read, and untouched pages
    // stay unfaulted.
    const std::unique_ptr<unsigned char[]> buf(new unsigned char[read_size]);
    for (;;) {
        const long n = receive(sock, buf.get());
        if (n < 0) return failed(errno);
        if (n == 0) return failed(EPROTO);  // the stream ended before the answer did
        const unsigned char* at = buf.get();
        for (std::size_t left = static_cast<std::size_t>(n); left >= NLMSG_HDRLEN;) {
            const auto* m = reinterpret_cast<const nlmsghdr*>(at);
            if (m->nlmsg_len < NLMSG_HDRLEN || m->nlmsg_len > left) return failed(EPROTO);  // cut short
            if (m->nlmsg_seq == sent->nlmsg_seq) {  // not an answer to an earlier request
                if (m->nlmsg_flags & NLM_F_DUMP_INTR) return failed(EINTR);
                if (m->nlmsg_type == NLMSG_DONE) {
                    // The dump's own result follows its header (an errno, negated).
                    int result = 0;
                    if (m->nlmsg_len >= NLMSG_HDRLEN + sizeof result)
                        std::memcpy(&result, payload<unsigned char>(m), sizeof result);
                    return result < 0 ? failed(errno_of(result)) : true;
                }
                if (m->nlmsg_type == NLMSG_ERROR) {
                    if (m->nlmsg_len < NLMSG_HDRLEN + sizeof(nlmsgerr)) return failed(EPROTO);
                    const int err = payload<nlmsgerr>(m)->error;
                    if (err == 0) return true;  // an acknowledgement
                    if (said) *said = ack_message(m);
                    return failed(errno_of(err));
                }
                if (m->nlmsg_type >= NLMSG_MIN_TYPE) {
                    if (m->nlmsg_len < NLMSG_HDRLEN + request.fixed_len()) return failed(EPROTO);
                    f(m);
                    if (!dump) return true;  // a plain request has one answer
                }
            }
            const std::size_t step = std::min<std::size_t>(NLMSG_ALIGN(m->nlmsg_len), left);
            at += step;
            left -= step;
        }
    }
}

}  // namespace via::nlmsg
