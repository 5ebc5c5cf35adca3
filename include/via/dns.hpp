// Name resolution through the uplink.
//
// A program resolves names through the system resolver. With a local stub
// or cache (systemd-resolved at 127.0.0.53, nscd, dnsmasq) the queries leave
// from that daemon, by the default uplink. With --dns, the program gets a
// private mount namespace in which /etc/resolv.conf lists only the given
// servers and the local resolver daemons' sockets are hidden, so glibc
// falls back to querying those servers itself, from the program's own
// marked sockets; the firewall redirects any other port-53 traffic of the
// program to the first of them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace via::dns {

// The loopback name servers (127.0.0.0/8, ::1) of a resolv.conf text.
std::vector<std::string> local_servers(std::string_view resolv_conf);

// The resolv.conf the program sees: `servers` as name servers, and the
// original's search, domain and options lines.
std::string private_resolv_conf(const std::vector<std::string>& servers, std::string_view original);

// Directories whose sockets let a program reach a local resolver daemon
// without port 53; hidden (an empty tmpfs) in the program's view.
inline constexpr const char* resolver_sockets[] = {"/run/systemd/resolve", "/run/nscd", "/var/run/nscd"};

// Moves this process into a private mount namespace where /etc/resolv.conf
// shows `servers`. Needs CAP_SYS_ADMIN and privilege::RootFiles.
void isolate(const std::vector<std::string>& servers);

// Warns on stderr when /etc/resolv.conf names a local stub, whose queries
// would leave by the default uplink.
void warn_if_local_stub(const std::string& uplink);

}  // namespace via::dns
