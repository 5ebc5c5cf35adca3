// A launch's fast path: verify, do not rebuild.
//
// Every full ensure of an uplink (a launch or `via repair`) ends by
// writing a stamp, /run/via/stamps/NETNS/NAME (root's, by network
// namespace: see ids::own_netns): the request it served,
// the uplink as it found it, and a digest of what the kernel showed right
// after it, all of it read by narrow requests:
//   - the interface, asked for by name (its ifindex and whether it is up,
//     by ioctl);
//   - every interface's addresses (the uplink's own, and the networks the
//     program may reach by other interfaces);
//   - the route the kernel would take out of the uplink, per family (a
//     `fibmatch` lookup with the uplink as output interface: its default
//     route and gateway, without reading the main table);
//   - every ip rule (via's, and anybody's that would come ahead of them);
//   - via's routing tables for the uplink, and nothing else (a dump the
//     kernel filters by table);
//   - the nftables generation, which any change to any table bumps.
// The next launch reads the same things. When the digest is the same and
// the stamped request covers the launch's (the same request, or the same
// with the kill switch off: ensure::covered_by), nothing via depends on or
// made has changed, and the launch takes the uplink from the stamp instead
// of dumping links, addresses, main's routes and via's nft rules. Any
// difference, a missing stamp or a stamp that cannot be read sends it down
// the full ensure, which repairs and stamps again: correctness never rests
// on the stamp.
// Beside the digest, the stamp holds the count of writes to src_valid_mark
// sysctls that via's `cgroup/sysctl` program keeps (sockmark.hpp): the
// launch compares one number instead of reading one file per interface
// via set it on, so it costs the same with 64 uplinks as with one. That
// count sees every write through /proc/sys by a process of the cgroup
// hierarchy via's programs are attached to, which is how sysctl(8),
// systemd-networkd and NetworkManager set them. It does not see the
// IFLA_INET_CONF attribute of RTM_SETLINK, which no common tool sends.
// The BPF side is checked on every launch either way: the cgroup root is
// asked, hook by hook, for the programs via recorded (sockmark.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/cgroup.hpp"
#include "launch/uplink.hpp"

namespace via::fastpath {

// What the digest covers, besides the interface itself.
struct Watch {
    std::string name;                   // the uplink's interface
    std::vector<std::uint32_t> tables;  // via's tables for it
};

// The digest of what the kernel shows now; nullopt when the interface is
// gone or cannot be read (the full ensure says why). Every request is a
// read, but nfnetlink asks for CAP_NET_ADMIN even for the generation.
std::optional<std::uint64_t> observe(const Watch& watch);

struct Stamp {
    std::string request;   // ensure::key() of the request it served
    std::uint64_t digest = 0;
    std::uint64_t sysctl_writes = 0;  // sockmark::sysctl_writes() before the sysctls were set
    uplink::Uplink up;
    // The cgroup2 mount via's programs are attached at, and its root's id:
    // a launch that finds the same id there reads no /proc/self/mountinfo.
    cgroup::Mount cgroup;
    std::uint64_t cgroup_id = 0;
};

// Pure: the stamp file's text, and back (nullopt for anything malformed).
std::string render(const Stamp& stamp);
std::optional<Stamp> parse(std::string_view text);

// What the stamp watches: the uplink's interface and tables.
Watch watch_of(const Stamp& stamp, const std::vector<std::uint32_t>& tables);

// /run/via/stamps/NETNS/NAME.
std::string path_of(const std::string& uplink);

// Need privilege::RootFiles; read() returns nullopt
// for a missing or unreadable stamp, forget() removes it (down, gc).
std::optional<Stamp> read(const std::string& uplink);
void write(const Stamp& stamp);
void forget(const std::string& uplink);

}  // namespace via::fastpath
