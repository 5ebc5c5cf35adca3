// libFuzzer target for the netlink receive loop (CMake option VIA_FUZZ,
// with clang): any batches from "the kernel" (a socket pair here) are read
// into ip rules whole or refused with an error; never a crash, a hang, a
// read past a message or undefined behaviour. The input is a sequence of
// batches, each a 2-byte little-endian length and that many bytes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <sys/socket.h>
#include <unistd.h>

#include "kernel/nlmsg.hpp"
#include "launch/checks.hpp"
#include "launch/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0) return 0;
    std::size_t batches = 0;
    while (size >= 2 && batches < 16) {
        const std::size_t len = std::min<std::size_t>(data[0] | (data[1] << 8), size - 2);
        if (len == 0 || ::send(fds[1], data + 2, len, MSG_DONTWAIT) < 0) break;
        ++batches;
        data += 2 + len;
        size -= 2 + len;
    }
    ::shutdown(fds[1], SHUT_WR);  // past the batches, the stream ends
    via::nlmsg::Socket sock{via::UniqueFd(fds[0])};
    try {
        const auto rules = via::rtnl::rules_from(sock);
        // Each rule is a message of at least a header and a fixed header.
        if (rules.size() * (NLMSG_HDRLEN + 12) > batches * 65536) __builtin_trap();
    } catch (const via::Error&) {
    }
    ::close(fds[1]);
    return 0;
}
