#include "via/ids.hpp"

#include <cstdio>

#include "via/constants.hpp"

namespace via::ids {

std::optional<UplinkIds> for_ifindex(int ifindex) {
    if (ifindex <= 0 || static_cast<std::uint32_t>(ifindex) > constants::max_ifindex)
        return std::nullopt;
    const std::uint32_t mark = constants::mark_base | static_cast<std::uint32_t>(ifindex);
    // One number for both, as wg-quick does: `ip rule` and `ip route` output
    // can be read side by side.
    return UplinkIds{mark, constants::open_mark_base | static_cast<std::uint32_t>(ifindex), mark};
}

std::string hex(std::uint32_t mark) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%x", mark);
    return buf;
}

bool is_via_mark(std::uint32_t mark) {
    return (mark & constants::any_mark_mask) == constants::open_mark_base && (mark & ~constants::mark_mask) != 0;
}

}  // namespace via::ids
