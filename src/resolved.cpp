// dns::resolved_servers, for via and its launcher alike: systemd-resolved's
// per-link servers, asked over the system bus (resolve1.hpp).
#include "via/dns.hpp"

#include <net/if.h>

#include "via/constants.hpp"
#include "via/files.hpp"
#include "via/resolve1.hpp"

namespace via::dns {

std::vector<std::string> resolved_servers(const std::string& interface) {
    // Without resolved's socket directory there is nobody to ask (and no
    // D-Bus activation wanted).
    if (!is_dir(resolved_dir)) return {};
    const int ifindex = static_cast<int>(::if_nametoindex(interface.c_str()));
    if (ifindex <= 0) return {};
    return resolve1::servers(ifindex, constants::max_dns_servers).value_or(std::vector<std::string>{});
}

}  // namespace via::dns
