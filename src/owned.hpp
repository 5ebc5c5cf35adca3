// What via owns: every number and name it claims, and every object it
// creates, in one place (registry() lists them all, owned.cpp).
//
// via never touches kernel state it did not create. To be able to tell its
// own objects from everybody else's, all of them carry one of these values:
// a mark in via's mark range, a routing table of the same number, an ip rule
// in via's priority range tagged with via's protocol id, one nftables
// table, its pin directory, its files under /run/via, and users named
// via-UPLINK. Documented for users in man/via.1 (FILES, SECURITY) and
// docs/design.md; tests/unit/test_owned.cpp holds them to this file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <linux/bpf.h>

namespace via::owned {

// Marks and routing tables: 0x5649 ("VI") in the upper 16 bits, the
// uplink's ifindex in the lower 16. wg-quick, Tailscale, Mullvad and
// Kubernetes use other values; the seeds' mark 1 / table 1 are avoided.
inline constexpr std::uint32_t mark_base = 0x5649'0000;
inline constexpr std::uint32_t mark_mask = 0xffff'0000;
inline constexpr std::uint32_t max_ifindex = 0xffff;
// The marks of launches with --no-kill-switch, 0x5648 in the upper bits:
// routed like the uplink's mark, but without the kill switch, and let out
// by other interfaces. Both ranges: mark & 0xfffe0000 == 0x56480000.
inline constexpr std::uint32_t open_mark_base = 0x5648'0000;
inline constexpr std::uint32_t any_mark_mask = 0xfffe'0000;

// ip rules: one per mark and family, `fwmark M lookup M`, at 31900: after
// the kernel's "lookup local" (0) and Tailscale's 52xx, before wg-quick's
// automatic 3276x and the main table (32766). One rule, so that no order
// among via's rules can break when one is deleted and added again.
//
// Not 0, though only 0 would stay ahead of the rules other tools add later
// without a priority (the kernel gives those the priority of the rule after
// "lookup local", minus one): once the rule after "lookup local" is at 0,
// every such rule lands at 0 in the order it was added, which reverses the
// order wg-quick relies on (its "lookup main suppress_prefixlength 0" must
// come before its catch-all), and breaks LAN replies for every program.
// So via keeps 31900 while no rule of another tool would take its marked
// packets; when one would (a VPN's catch-all, added later or at a fixed
// priority), each launch and `via repair` put via's rule just ahead of the
// first such rule, one lower, but never below pref_floor, so that the rule
// after "lookup local" never reaches 0. Packets a rule ahead of via's
// takes are dropped by the egress program. Around via's rules at P, a
// skip pair at P-1 and P+1 (see routing::SkipSpec).
inline constexpr std::uint32_t pref = 31900;
inline constexpr std::uint32_t pref_floor = 1000;

// Metrics in via's tables: its routes, then the kill switch, an
// `unreachable default` that lookups reach when the uplink's default route
// is gone (uplink down, address lost).
inline constexpr std::uint32_t route_metric = 100;
inline constexpr std::uint32_t kill_switch_metric = 0xffff'ffff;

// Routing protocol id written on via's routes and rules (RTPROT_*, FRA_PROTOCOL).
// 86 ('V') is not assigned in the kernel's rtnetlink.h nor iproute2's rt_protos.
inline constexpr std::uint8_t rt_protocol = 86;

// nftables: one table, owned by via; deleting it removes everything via did.
inline constexpr std::string_view nft_table = "via";
inline constexpr std::string_view nft_chain_output = "output";
inline constexpr std::string_view nft_chain_prerouting = "prerouting";
inline constexpr std::string_view nft_chain_postrouting = "postrouting";
// (Not "masquerade": a keyword of nft(8), which could then not read its own listing back.)
inline constexpr std::string_view nft_chain_masquerade = "uplinks";
inline constexpr std::string_view nft_chain_nat_output = "nat_output";
inline constexpr std::string_view nft_chain_input = "input";
inline constexpr std::string_view nft_chain_forward = "forward";

inline constexpr std::string_view nft_chains[] = {nft_chain_output,     nft_chain_prerouting, nft_chain_postrouting,
                                                  nft_chain_masquerade, nft_chain_nat_output, nft_chain_input,
                                                  nft_chain_forward};

// The maps of /etc/via's rules (admin/rules.hpp): destination port, IPv4
// and IPv6 destination networks -> the uplink's mark.
inline constexpr std::string_view nft_map_rule_ports = "rule_ports";
inline constexpr std::string_view nft_map_rule_to4 = "rule_to4";
inline constexpr std::string_view nft_map_rule_to6 = "rule_to6";
inline constexpr std::string_view nft_maps[] = {nft_map_rule_ports, nft_map_rule_to4, nft_map_rule_to6};

// The rules' traffic counters, in the traffic map: this bit and the rule's id.
inline constexpr std::uint32_t rule_owner_bit = 0x8000'0000;
// At most this many destination ports in all rules together (ranges count
// each port): the maps hold one entry per port.
inline constexpr std::size_t max_rule_ports = 4096;

// via's notes (root's, 0755): the lock, the served uplinks, the stamps,
// and the warnings said this boot.
inline constexpr const char* run_dir = "/run/via";
inline constexpr const char* lock_file = "/run/via/lock";              // lock.hpp
inline constexpr const char* uplinks_dir = "/run/via/uplinks";         // served.hpp: NETNS/NAME:GENERATION
inline constexpr const char* stamps_dir = "/run/via/stamps";           // fastpath.hpp: NETNS/NAME
inline constexpr const char* warned_file = "/run/via/warned";          // checks.hpp

// The dedicated user of an uplink (via adduser): this and the uplink's name.
inline constexpr const char* user_prefix = "via-";
inline std::string user_of(std::string_view uplink) { return user_prefix + std::string(uplink); }
// The group whose members may run via (made by the install).
inline constexpr const char* group = "via";

// bpffs: the map of tags and the links of via's programs, pinned here.
inline constexpr const char* bpffs = "/sys/fs/bpf";
inline constexpr const char* bpf_dir = "/sys/fs/bpf/via";
// (The task tags' map is "tasks": "tags" held an older, shorter tag.)
inline constexpr const char* bpf_tags_pin = "/sys/fs/bpf/via/tasks";
inline constexpr const char* bpf_users_pin = "/sys/fs/bpf/via/users";
inline constexpr const char* bpf_dns_peers_pin = "/sys/fs/bpf/via/dns_peers";
inline constexpr const char* bpf_sock_dns_pin = "/sys/fs/bpf/via/sock_dns";
inline constexpr const char* bpf_uplinks_pin = "/sys/fs/bpf/via/uplinks_ns";
inline constexpr const char* bpf_lans_pin = "/sys/fs/bpf/via/lans_ns";
inline constexpr const char* bpf_sock_netns_pin = "/sys/fs/bpf/via/sock_netns";
inline constexpr const char* bpf_launches_pin = "/sys/fs/bpf/via/launches";
inline constexpr const char* bpf_owners_pin = "/sys/fs/bpf/via/owners";
inline constexpr const char* bpf_traffic_pin = "/sys/fs/bpf/via/traffic";
inline constexpr const char* bpf_state_pin = "/sys/fs/bpf/via/state";
inline constexpr const char* bpf_rule_ports_pin = "/sys/fs/bpf/via/rule_ports";
inline constexpr const char* bpf_rule_to_pin = "/sys/fs/bpf/via/rule_to";
inline constexpr const char* bpf_rules_ns_pin = "/sys/fs/bpf/via/rules_ns";

// via's BPF links, pinned in bpf_dir as NAME-STAMP (src/launch/pins.cpp
// reads them, src/admin/programs.cpp makes them), in the order they are
// attached: the fork program first, so that once sockets are marked,
// children are tagged too; the guard last.
struct LinkSpec {
    const char* name;  // of the pin, before the stamp; the program is via_NAME
    const char* what;
    std::optional<bpf_attach_type> cgroup_hook;  // none: a tracepoint
    // One of the two programs that mark sockets, of which via loads the
    // first the kernel accepts (src/bpf/socket.bpf.c says which kernels
    // take which): the other is neither loaded nor attached.
    bool marker = false;
};

inline constexpr LinkSpec links[] = {
    {"fork", "bpf program copying via's tags to new tasks", std::nullopt},
    {"sock_create", "bpf program marking the sockets of tagged tasks (cgroup/sock_create)",
     BPF_CGROUP_INET_SOCK_CREATE, true},
    {"socket", "bpf program marking the sockets of tagged tasks (lsm_cgroup/socket_post_create)", BPF_LSM_CGROUP,
     true},
    {"egress", "bpf program dropping what via's sockets send by another interface", BPF_CGROUP_INET_EGRESS},
    {"connect4", "bpf program sending a launch's IPv4 DNS to its servers (connect)", BPF_CGROUP_INET4_CONNECT},
    {"connect6", "bpf program sending a launch's IPv6 DNS to its servers (connect)", BPF_CGROUP_INET6_CONNECT},
    {"sendmsg4", "bpf program sending a launch's IPv4 DNS to its servers (sendmsg)", BPF_CGROUP_UDP4_SENDMSG},
    {"sendmsg6", "bpf program sending a launch's IPv6 DNS to its servers (sendmsg)", BPF_CGROUP_UDP6_SENDMSG},
    {"recvmsg4", "bpf program showing DNS replies from the address asked (IPv4)", BPF_CGROUP_UDP4_RECVMSG},
    {"recvmsg6", "bpf program showing DNS replies from the address asked (IPv6)", BPF_CGROUP_UDP6_RECVMSG},
    {"sysctl", "bpf program counting writes to src_valid_mark sysctls", BPF_CGROUP_SYSCTL},
};

// via's BPF maps, pinned in bpf_dir.
struct MapSpec {
    const char* pin;
    const char* map;  // its name in the object
};

inline constexpr MapSpec maps[] = {
    {bpf_tags_pin, "via_tags"},
    {bpf_uplinks_pin, "via_uplinks_ns"},
    {bpf_lans_pin, "via_lans_ns"},
    {bpf_sock_netns_pin, "via_sock_netns"},
    {bpf_users_pin, "via_users"},
    {bpf_dns_peers_pin, "via_dns_peers"},
    {bpf_sock_dns_pin, "via_sock_dns"},
    {bpf_launches_pin, "via_launches"},
    {bpf_owners_pin, "via_owners"},
    {bpf_traffic_pin, "via_traffic"},
    {bpf_state_pin, "via_state"},
    {bpf_rule_ports_pin, "via_rule_ports"},
    {bpf_rule_to_pin, "via_rule_to"},
    {bpf_rules_ns_pin, "via_rules_ns"},
};

// Pins of older vias' maps, whose format has changed: removed.
inline constexpr const char* retired_pins[] = {"tags", "uplinks", "lans"};

// Name servers of one launch (--dns, or the uplink's): glibc's resolver
// reads no more than 3 (MAXNS).
inline constexpr std::size_t max_dns_servers = 3;

// The umask via works under, whatever its caller's: files 0644 or 0600
// (the lock, the pins), directories 0755 or 0700 (/sys/fs/bpf/via).
inline constexpr unsigned umask = 022;

// Everything via creates, one entry each, for the test that holds the
// documentation to it (and for readers): what kind of object, its name or
// path (NAME: an uplink's, NETNS: a network namespace's cookie, STAMP: the
// build of the BPF programs), and what it is for.
struct Object {
    std::string kind;  // "mark", "table", "ip rule", "route protocol", "nft", "pin", "link", "file", "user", "group"
    std::string name;
    std::string what;
};
std::vector<Object> registry();

// Exit codes, as env(1) uses them.
inline constexpr int exit_failure = 125;
inline constexpr int exit_cannot_run = 126;
inline constexpr int exit_not_found = 127;

}  // namespace via::owned
