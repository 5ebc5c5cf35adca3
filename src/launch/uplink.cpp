#include "launch/uplink.hpp"

#include <algorithm>
#include <cstdlib>

#include <arpa/inet.h>
#include <linux/if.h>

namespace via::uplink {

std::vector<std::string> devices(const Uplink& up) {
    std::vector<std::string> devs{up.name};
    for (const auto& n : up.connected)
        if (n.family == AF_INET && !n.dev.empty() && std::find(devs.begin(), devs.end(), n.dev) == devs.end())
            devs.push_back(n.dev);
    return devs;
}

std::string prefix_of(const Network& network) {
    char text[INET6_ADDRSTRLEN] = {};
    inet_ntop(network.family, network.addr.data(), text, sizeof text);
    return std::string(text) + "/" + std::to_string(network.prefixlen);
}

bool on_link(const std::string& gateway, const std::vector<std::string>& subnets) {
    const int family = gateway.find(':') == std::string::npos ? AF_INET : AF_INET6;
    const int bits = family == AF_INET ? 32 : 128;
    unsigned char gw[16] = {};
    if (inet_pton(family, gateway.c_str(), gw) != 1) return false;
    for (const auto& subnet : subnets) {
        const auto slash = subnet.find('/');
        unsigned char net[16] = {};
        if (slash == std::string::npos || inet_pton(family, subnet.substr(0, slash).c_str(), net) != 1)
            continue;
        const int len = std::atoi(subnet.c_str() + slash + 1);
        if (len < 0 || len > bits) continue;
        bool same = true;
        for (int bit = 0; bit < len && same; ++bit) {
            const unsigned char mask = static_cast<unsigned char>(0x80 >> (bit % 8));
            same = (gw[bit / 8] & mask) == (net[bit / 8] & mask);
        }
        if (same) return true;
    }
    return false;
}

std::variant<NextHop, std::string> choose_next_hop(const std::optional<std::string>& requested,
                                                   const std::vector<DefaultRoute>& defaults,
                                                   unsigned link_flags, const std::string& name) {
    if (requested) return NextHop{requested};
    if (!defaults.empty()) {
        auto best = std::min_element(defaults.begin(), defaults.end(),
                                     [](const auto& a, const auto& b) { return a.metric < b.metric; });
        return NextHop{best->gateway};
    }
    if (link_flags & (IFF_POINTOPOINT | IFF_NOARP)) return NextHop{std::nullopt};
    return "interface '" + name + "' has no default route in the main table";
}

}  // namespace via::uplink
