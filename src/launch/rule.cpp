#include "launch/rule.hpp"

#include <arpa/inet.h>
#include <cctype>
#include <charconv>
#include <netinet/in.h>

namespace via::rule {
namespace {

std::optional<std::uint16_t> port_number(std::string_view s) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc{} || end != s.data() + s.size() || value == 0 || value > 65535) return std::nullopt;
    return static_cast<std::uint16_t>(value);
}

unsigned bits_of(int family) { return family == AF_INET ? 32 : 128; }

bool bit(const Prefix& p, unsigned i) { return (p.address[i / 8] >> (7 - i % 8)) & 1; }

}  // namespace

std::string Prefix::text() const {
    char buf[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(family, address.data(), buf, sizeof buf);
    return std::string(buf) + "/" + std::to_string(length);
}

bool Prefix::contains(const Prefix& other) const {
    if (family != other.family || other.length < length) return false;
    for (unsigned i = 0; i < length; ++i)
        if (bit(*this, i) != bit(other, i)) return false;
    return true;
}

bool overlap(const Prefix& a, const Prefix& b) { return a.contains(b) || b.contains(a); }

bool valid_domain(const std::string& name) {
    if (name.empty() || name.size() > 253 || name.front() == '.' || name.back() == '.') return false;
    std::size_t label = 0;
    for (const char c : name) {
        if (c == '.') {
            if (label == 0) return false;
            label = 0;
            continue;
        }
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') || ++label > 63) return false;
    }
    return true;
}

PortsOrError parse_ports(const std::string& word) {
    PortsOrError out;
    std::string_view rest = word;
    std::vector<std::uint8_t> protocols{IPPROTO_TCP, IPPROTO_UDP};
    if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
        const auto name = rest.substr(0, slash);
        if (name == "tcp") protocols = {IPPROTO_TCP};
        else if (name == "udp") protocols = {IPPROTO_UDP};
        else {
            out.error = "'" + word + "' in ports: the protocol is tcp or udp";
            return out;
        }
        rest = rest.substr(slash + 1);
    }
    const auto dash = rest.find('-');
    const auto first = port_number(rest.substr(0, dash));
    const auto last = dash == std::string_view::npos ? first : port_number(rest.substr(dash + 1));
    if (!first || !last || *last < *first) {
        out.error = "'" + word + "' in ports is not a port or a range (tcp/1935, udp/53, tcp/8000-8100, 1935)";
        return out;
    }
    for (const auto p : protocols) out.ports.push_back({p, *first, *last});
    return out;
}

std::optional<Prefix> parse_prefix(const std::string& word, std::string& error) {
    Prefix p;
    const auto slash = word.find('/');
    const std::string address = word.substr(0, slash);
    p.family = address.find(':') == std::string::npos ? AF_INET : AF_INET6;
    if (::inet_pton(p.family, address.c_str(), p.address.data()) != 1) {
        error = "'" + word + "' is not an IPv4 or IPv6 network (203.0.113.0/24, 2001:db8::/32)";
        return std::nullopt;
    }
    p.length = bits_of(p.family);
    if (slash != std::string::npos) {
        unsigned length = 0;
        const std::string_view len(word.data() + slash + 1, word.size() - slash - 1);
        const auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), length);
        if (len.empty() || ec != std::errc{} || end != len.data() + len.size() || length > bits_of(p.family)) {
            error = "'" + word + "': the prefix length is 0 to " + std::to_string(bits_of(p.family));
            return std::nullopt;
        }
        p.length = length;
    }
    for (unsigned i = p.length; i < bits_of(p.family); ++i)
        if (bit(p, i)) {
            Prefix network = p;
            for (unsigned j = p.length; j < bits_of(p.family); ++j)
                network.address[j / 8] &= static_cast<std::uint8_t>(~(1u << (7 - j % 8)));
            error = "'" + word + "' has host bits set: the network is " + network.text();
            return std::nullopt;
        }
    return p;
}

}  // namespace via::rule
