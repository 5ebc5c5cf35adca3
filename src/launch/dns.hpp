// Name resolution through the uplink, per launch.
//
// A program resolves names through the system resolver. With a local stub
// or cache (systemd-resolved at 127.0.0.53, nscd, dnsmasq) the queries leave
// from that daemon, by the default uplink; with a router's address from
// another uplink's DHCP, by that uplink. So each launch has name servers
// of its own: --dns, else the uplink's (its section of /etc/via, else
// systemd-resolved's servers for the interface). The program then gets a
// private mount namespace in which /etc/resolv.conf lists only those and
// the local resolver daemons' sockets are hidden, so glibc queries them
// itself, from the program's own marked sockets; and its tag carries them,
// so that sockmark's programs send any other port-53 traffic of its tasks
// (and of no one else's) to the first of them. Without known servers, via
// warns when the system's resolver is reached by another interface.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "launch/uplink.hpp"

namespace via::dns {

// The resolv.conf the program sees: `servers` as name servers, and the
// original's search, domain and options lines.
std::string private_resolv_conf(const std::vector<std::string>& servers, std::string_view original);

// Directories whose sockets let a program reach a local resolver daemon
// without port 53; hidden (an empty tmpfs) in the program's view.
inline constexpr const char* resolved_dir = "/run/systemd/resolve";  // resolved runs when it is there
inline constexpr const char* resolver_sockets[] = {resolved_dir, "/run/nscd", "/var/run/nscd"};

// Moves this process into a private mount namespace where /etc/resolv.conf
// shows `servers`. Needs CAP_SYS_ADMIN and privilege::RootFiles.
void isolate(const std::vector<std::string>& servers);

// The name servers systemd-resolved uses for an interface (its per-link
// DNS=, from networkd, NetworkManager or resolvectl), asked over D-Bus; none
// when resolved does not run, knows none, or there is no such interface.
// Where resolved does not run, nothing else is asked; where it runs and
// does not answer within 2 s (or answers an error), none, with a warning
// on stderr: the program then asks the system's resolver.
std::vector<std::string> resolved_servers(const std::string& interface);

// A network directly connected to an interface, as text ("10.0.0.0/24").
struct Lan {
    std::string dev;
    std::string prefix;
};

// Why the system's resolver, as a resolv.conf names it, is reached by
// another interface than `uplink` (empty: it is not): a local stub, or a
// name server on the network of another interface.
std::string elsewhere(std::string_view resolv_conf, const std::string& uplink, const std::vector<Lan>& lans);

// elsewhere() for this machine's /etc/resolv.conf and the networks of
// every interface, seen from `up`.
std::string elsewhere(const uplink::Uplink& up);

// Warns on stderr, with a hint, when elsewhere(up) says so.
void warn_if_elsewhere(const uplink::Uplink& up);

}  // namespace via::dns
