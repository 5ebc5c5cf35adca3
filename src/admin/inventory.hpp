// What via has set up, read back from the kernel, and who uses it: the
// ground `via status` shows and `via gc` / `via down` remove from.
//
// via's state is grouped by the ifindex in its ids (a mark's and table's
// low 16 bits): one group per interface via served, named after it. An
// interface that was deleted and made again has a new ifindex, so the old
// ids form a group of their own, not present any more: stale, and unused
// by anything, since running programs follow the uplink's name.
//
// read() and processes() read the machine; view() and plan_removal() are pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>
#include <utility>
#include <vector>

#include "admin/routing.hpp"
#include "kernel/nft.hpp"
#include "kernel/rtnl.hpp"
#include "launch/served.hpp"
#include "launch/sockmark.hpp"

namespace via::inventory {

struct Link {
    int ifindex = 0;
    std::string name;
    bool up = false;       // administratively (IFF_UP)
    bool carrier = false;  // IFF_LOWER_UP
    std::vector<std::string> addresses;  // IPv4, then global IPv6
};

// A program running through an uplink: one launch, shown by its first
// process (or, once that is gone, its oldest), with all of its processes'
// traffic; a dedicated user's processes one by one.
struct Process {
    pid_t pid = 0;
    pid_t launch = 0;          // the launch's id
    std::size_t processes = 1;  // of the launch, running now
    uid_t uid = 0;
    std::string user;     // its name, or the uid
    std::string command;  // its command line, cut
    std::string uplink;
    bool open = false;       // --no-kill-switch
    bool dedicated = false;  // marked as the uplink's dedicated user, not launched by via
    std::vector<std::string> dns;
    sockmark::Traffic sent;  // what the launch's sockets sent
};

struct State {
    std::vector<Link> links;
    std::vector<rtnl::Rule> rules;         // via's ip rules (protocol 86)
    std::vector<routing::RouteSpec> routes;  // of via's tables
    std::vector<nft::ExistingRule> nft;      // table inet via
    std::vector<served::Uplink> served;      // /run/via/uplinks
    std::vector<std::pair<std::string, std::uint32_t>> marks;  // bpf uplinks map
    std::vector<std::pair<uid_t, sockmark::Tag>> users;         // bpf users map
    std::vector<Process> processes;
};

// Needs CAP_NET_ADMIN (nftables), CAP_SYS_ADMIN (bpf) and privilege::RootFiles.
State read();

// One interface's worth of via's state.
struct Uplink {
    std::string name;   // "" when neither the interface nor a note names it
    int ifindex = 0;    // of its ids
    bool present = false;  // the interface exists, with this ifindex
    std::optional<Link> link;
    std::uint32_t mark = 0, open_mark = 0, table = 0;
    std::vector<rtnl::Rule> rules;
    std::vector<routing::RouteSpec> routes;
    std::vector<std::string> next_hops;  // "10.0.1.1" or "dev" (on link), per family with a route
    bool kill_switch = false;            // an unreachable default in its table
    bool served = false;                 // /run/via/uplinks/NAME: repair serves it
    bool masquerade = false;             // its nft rule
    bool mapped = false;                 // in the bpf uplinks map
    std::optional<uid_t> dedicated_user;  // sockets of this uid are marked for it
    std::vector<Process> processes;
    bool in_use() const { return !processes.empty() || dedicated_user.has_value(); }
};

// The groups, by name then ifindex; with `uplinks`, only those named.
std::vector<Uplink> view(const State& state);

// What gc (no `only`) or down (`only`) removes.
struct Removal {
    std::vector<Uplink> remove;
    std::vector<std::string> kept;   // "NAME: why it stays"
    std::vector<std::string> owners;  // of nft rules ("uplink wlan1")
    std::vector<std::string> names;   // notes and bpf map entries that go
    bool table = false;  // nothing of via's stays: delete table inet via
};
// `ruled`: the interfaces /etc/via's rules send traffic by, with the
// rule's name: kept like those in use (and so is the table).
Removal plan_removal(const std::vector<Uplink>& uplinks, const std::optional<std::string>& only, bool force,
                     const std::vector<std::pair<std::string, std::string>>& ruled = {});

// "1.2 KiB", "3.4 MiB".
std::string bytes(std::uint64_t n);

}  // namespace via::inventory
