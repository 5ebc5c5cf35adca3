// Which interface the program will use and how packets reach the world
// through it: what via found (admin/discover.hpp reads it from the kernel)
// and the rules it chooses by (pure).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace via::uplink {

// Where the uplink's default route points: a gateway, or (for point-to-point
// links such as tun, wg, ppp) straight at the device.
struct NextHop {
    std::optional<std::string> gateway;
    bool operator==(const NextHop&) const = default;
};

// A network directly connected to an interface: what the kernel routes by
// itself for an address (proto kernel, no gateway) in the main table.
struct Network {
    int ifindex = 0;
    std::string dev;  // its name, for messages
    int family = 0;                    // AF_INET or AF_INET6
    std::array<std::uint8_t, 16> addr{};  // the first 4 bytes for IPv4
    unsigned prefixlen = 0;
};

// "10.0.0.0/24", "2001:db8::/64".
std::string prefix_of(const Network& network);

struct Uplink {
    std::string name;
    int ifindex = 0;
    std::vector<std::string> ipv4;  // the interface's IPv4 addresses
    NextHop next_hop;
    std::vector<std::string> ipv6;  // its global IPv6 addresses
    // IPv6 goes by the uplink only when it has a global address and a next
    // hop; otherwise the program's IPv6 is refused, and `no_ipv6` says why.
    std::optional<NextHop> next_hop6;
    std::string no_ipv6;
    // Every interface's directly connected networks (the machine's, not the
    // uplink's): where the program's packets may go by another interface.
    std::vector<Network> connected;
};

// The uplink, and every interface whose IPv4 LAN its programs reach (once
// each, though an interface may have several networks): where via sets
// src_valid_mark.
std::vector<std::string> devices(const Uplink& up);

// A default route of the main table that leaves by the uplink.
struct DefaultRoute {
    std::optional<std::string> gateway;
    std::uint32_t metric = 0;
};

// The next hop, by the rules of `via --gateway`: the requested gateway; else
// the uplink's own default route in main (lowest metric); else the device
// itself when it is point-to-point or does not use ARP; else an error text.
std::variant<NextHop, std::string> choose_next_hop(const std::optional<std::string>& requested,
                                                   const std::vector<DefaultRoute>& main_defaults,
                                                   unsigned link_flags, const std::string& name);

// Whether an address lies in one of the subnets ("10.0.2.0/24", "fe80::/64")
// that the uplink reaches directly: the kernel takes no other gateway.
bool on_link(const std::string& gateway, const std::vector<std::string>& subnets);

}  // namespace via::uplink
