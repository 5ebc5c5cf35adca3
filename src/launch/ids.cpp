#include "launch/ids.hpp"

#include <cstdio>
#include <sys/socket.h>

#include "launch/error.hpp"
#include "launch/handle.hpp"
#include "owned.hpp"

namespace via::ids {

std::optional<UplinkIds> for_ifindex(int ifindex) {
    if (ifindex <= 0 || static_cast<std::uint32_t>(ifindex) > owned::max_ifindex)
        return std::nullopt;
    const std::uint32_t mark = owned::mark_base | static_cast<std::uint32_t>(ifindex);
    // One number for both, as wg-quick does: `ip rule` and `ip route` output
    // can be read side by side.
    return UplinkIds{mark, owned::open_mark_base | static_cast<std::uint32_t>(ifindex), mark};
}

std::string hex(std::uint32_t mark) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%x", mark);
    return buf;
}

bool is_via_mark(std::uint32_t mark) {
    return (mark & owned::any_mark_mask) == owned::open_mark_base && (mark & ~owned::mark_mask) != 0;
}

std::uint64_t own_netns() {
    static const std::uint64_t cookie = [] {
        UniqueFd sock(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        std::uint64_t c = 0;
        socklen_t len = sizeof c;
        if (!sock || ::getsockopt(sock.get(), SOL_SOCKET, SO_NETNS_COOKIE, &c, &len) < 0)
            throw errno_error("reading the cookie of via's network namespace");
        return c;
    }();
    return cookie;
}

}  // namespace via::ids
