#include "admin/lookup.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <poll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "launch/error.hpp"
#include "launch/handle.hpp"

namespace via::lookup {
namespace {

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
std::uint32_t be32(const std::uint8_t* p) {
    return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
           static_cast<std::uint32_t>(p[2]) << 8 | p[3];
}

// Past a name at `at` (labels, or a pointer that ends it): its end, or 0.
std::size_t skip_name(const std::uint8_t* data, std::size_t len, std::size_t at) {
    while (at < len) {
        const std::uint8_t n = data[at];
        if (n == 0) return at + 1;
        if ((n & 0xc0) == 0xc0) return at + 2 <= len ? at + 2 : 0;
        if (n & 0xc0) return 0;
        at += 1 + n;
    }
    return 0;
}

}  // namespace

std::vector<std::uint8_t> query(const std::string& name, std::uint16_t type, std::uint16_t id) {
    std::vector<std::uint8_t> q{static_cast<std::uint8_t>(id >> 8), static_cast<std::uint8_t>(id), 0x01, 0x00,
                                0, 1, 0, 0, 0, 0, 0, 0};  // recursion desired, one question
    std::size_t start = 0;
    while (start <= name.size()) {
        const std::size_t dot = std::min(name.find('.', start), name.size());
        q.push_back(static_cast<std::uint8_t>(dot - start));
        q.insert(q.end(), name.begin() + static_cast<long>(start), name.begin() + static_cast<long>(dot));
        start = dot + 1;
    }
    q.insert(q.end(), {0, static_cast<std::uint8_t>(type >> 8), static_cast<std::uint8_t>(type), 0, 1});
    return q;
}

std::optional<Answer> parse(const std::uint8_t* data, std::size_t len, std::uint16_t id, std::uint16_t type) {
    if (len < 12 || be16(data) != id) return std::nullopt;
    const std::uint16_t flags = be16(data + 2);
    if (!(flags & 0x8000) || (flags & 0x0200) || (flags & 0x000f) != 0) return std::nullopt;  // QR, TC, RCODE
    const std::uint16_t questions = be16(data + 4), answers = be16(data + 6);
    std::size_t at = 12;
    for (unsigned i = 0; i < questions; ++i) {
        at = skip_name(data, len, at);
        if (!at || at + 4 > len) return std::nullopt;
        at += 4;
    }
    Answer out;
    bool first = true;
    for (unsigned i = 0; i < answers; ++i) {
        at = skip_name(data, len, at);
        if (!at || at + 10 > len) return std::nullopt;
        const std::uint16_t rtype = be16(data + at);
        const std::uint32_t ttl = be32(data + at + 4);
        const std::uint16_t rdlen = be16(data + at + 8);
        at += 10;
        if (at + rdlen > len) return std::nullopt;
        const std::size_t bytes = type == type_a ? 4 : 16;
        if (rtype == type && rdlen == bytes) {
            rule::Prefix p;
            p.family = type == type_a ? AF_INET : AF_INET6;
            std::memcpy(p.address.data(), data + at, bytes);
            p.length = static_cast<unsigned>(bytes * 8);
            out.addresses.push_back(p);
            out.ttl = first ? ttl : std::min(out.ttl, ttl);
            first = false;
        }
        at += rdlen;
    }
    return out;
}

Answer resolve(const std::string& name, const std::vector<std::string>& servers, std::uint32_t mark) {
    std::string tried;
    for (const auto& server : servers) {
        const int family = server.find(':') == std::string::npos ? AF_INET : AF_INET6;
        sockaddr_storage to{};
        socklen_t to_len = 0;
        if (family == AF_INET) {
            auto* in = reinterpret_cast<sockaddr_in*>(&to);
            in->sin_family = AF_INET;
            in->sin_port = htons(53);
            if (::inet_pton(AF_INET, server.c_str(), &in->sin_addr) != 1) continue;
            to_len = sizeof *in;
        } else {
            auto* in6 = reinterpret_cast<sockaddr_in6*>(&to);
            in6->sin6_family = AF_INET6;
            in6->sin6_port = htons(53);
            if (::inet_pton(AF_INET6, server.c_str(), &in6->sin6_addr) != 1) continue;
            to_len = sizeof *in6;
        }
        tried += (tried.empty() ? "" : ", ") + server;
        UniqueFd sock(::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        if (!sock || ::setsockopt(sock.get(), SOL_SOCKET, SO_MARK, &mark, sizeof mark) < 0 ||
            ::connect(sock.get(), reinterpret_cast<sockaddr*>(&to), to_len) < 0)
            continue;
        Answer all;
        bool answered = true;
        for (const std::uint16_t type : {type_a, type_aaaa}) {
            std::uint16_t id = 0;
            if (::getrandom(&id, sizeof id, 0) != sizeof id) id = static_cast<std::uint16_t>(::getpid());
            const auto q = query(name, type, id);
            if (::send(sock.get(), q.data(), q.size(), 0) < 0) {
                answered = false;
                break;
            }
            std::optional<Answer> got;
            for (int waits = 0; !got && waits < 4; ++waits) {  // skip stray datagrams, 2 s in all
                pollfd p{sock.get(), POLLIN, 0};
                if (::poll(&p, 1, 500) <= 0) continue;
                std::uint8_t buf[1500];
                const ssize_t n = ::recv(sock.get(), buf, sizeof buf, 0);
                if (n > 0) got = parse(buf, static_cast<std::size_t>(n), id, type);
            }
            if (!got) {
                answered = false;
                break;
            }
            if (!got->addresses.empty()) all.ttl = all.addresses.empty() ? got->ttl : std::min(all.ttl, got->ttl);
            all.addresses.insert(all.addresses.end(), got->addresses.begin(), got->addresses.end());
        }
        if (answered) return all;
    }
    throw Error("no answer for " + name + (tried.empty() ? ": the uplink has no name servers" : " from " + tried),
                "give the uplink its servers (dns = in /etc/via), or name the networks with to");
}

}  // namespace via::lookup
