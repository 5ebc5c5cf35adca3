// What a [rule NAME] of /etc/via chooses (via.conf(5)): the seeds' other
// ways to send traffic by one uplink. Destination ports and prefixes,
// users, all DNS, and the LAN behind the machine. Only the words are read
// here (pure); admin/rules turns a configuration's rules into what the
// kernel is given.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace via::rule {

// Destination ports of one protocol: tcp/1935, udp/8000-8100.
struct Ports {
    std::uint8_t protocol = 0;  // IPPROTO_TCP or IPPROTO_UDP
    std::uint16_t first = 0;
    std::uint16_t last = 0;
    bool operator==(const Ports&) const = default;
};

// A network: 203.0.113.0/24, 2001:db8::/32 (a lone address: /32, /128).
struct Prefix {
    int family = 0;  // AF_INET or AF_INET6
    std::array<std::uint8_t, 16> address{};  // the first 4 bytes for AF_INET
    unsigned length = 0;
    bool operator==(const Prefix&) const = default;
    std::string text() const;
    bool contains(const Prefix& other) const;  // of the same family, and as wide or narrower
};

// "tcp/1935", "udp/53", "tcp/8000-8100", or "1935" (tcp and udp): what
// it names, or an error message.
struct PortsOrError {
    std::vector<Ports> ports;
    std::string error;
};
PortsOrError parse_ports(const std::string& word);

// "203.0.113.0/24", "2001:db8::/32", "192.0.2.7"; host bits must be 0.
std::optional<Prefix> parse_prefix(const std::string& word, std::string& error);

// Whether a domain name may be asked: letters, digits, '-', '_' and '.',
// labels of 1 to 63 bytes, 253 in all.
bool valid_domain(const std::string& name);

// Whether two prefixes share any address.
bool overlap(const Prefix& a, const Prefix& b);

}  // namespace via::rule
