// The launcher's dns::resolved_servers: where systemd-resolved runs, its
// servers are asked over D-Bus by via itself (libsystemd is a shared
// library, and the launcher static), so the launch is handed to via.
#include "via/dns.hpp"

#include <sys/stat.h>

#include "via/error.hpp"

namespace via::dns {

std::vector<std::string> resolved_servers(int) {
    struct stat st {};
    if (::stat("/run/systemd/resolve", &st) < 0 || !S_ISDIR(st.st_mode)) return {};
    throw Error("systemd-resolved runs: via asks it for the uplink's name servers");
}

}  // namespace via::dns
