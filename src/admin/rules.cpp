#include "admin/rules.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <grp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pwd.h>
#include <set>
#include <sys/stat.h>

#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>

#include "admin/converge.hpp"
#include "admin/lookup.hpp"
#include "admin/programs.hpp"
#include "kernel/bpfsys.hpp"
#include "kernel/cgroup.hpp"
#include "kernel/rtnl.hpp"
#include "launch/accounts.hpp"
#include "launch/digest.hpp"
#include "launch/dns.hpp"
#include "launch/ensure_steps.hpp"
#include "launch/error.hpp"
#include "launch/ids.hpp"
#include "launch/pins.hpp"
#include "launch/privilege.hpp"
#include "launch/sockmark.hpp"
#include "owned.hpp"
#include "tag.h"

namespace via::rules {
namespace {

using privilege::Effective;
using privilege::RootFiles;

constexpr std::string_view owner = "rules";

std::string protocol_name(std::uint8_t p) { return p == IPPROTO_TCP ? "tcp" : "udp"; }

config::ParseError at(const config::Rule& r, const std::string& message) {
    return config::ParseError{r.file, r.line, "rule '" + r.name + "': " + message};
}

// The ports a rule chooses, dns = all's included.
std::vector<rule::Ports> ports_of(const config::Rule& r) {
    auto ports = r.ports;
    if (r.dns_all) {
        ports.push_back({IPPROTO_UDP, 53, 53});
        ports.push_back({IPPROTO_TCP, 53, 53});
    }
    return ports;
}

std::string hex32(std::uint64_t v) {
    char text[9];
    std::snprintf(text, sizeof text, "%08x", static_cast<unsigned>(v & 0xffffffffu));
    return text;
}

// The last address of a network.
std::array<std::uint8_t, 16> last_of(const rule::Prefix& p) {
    const unsigned bits = p.family == AF_INET ? 32 : 128;
    auto a = p.address;
    for (unsigned i = p.length; i < bits; ++i) a[i / 8] |= static_cast<std::uint8_t>(0x80u >> (i % 8));
    return a;
}

std::uint32_t mark_of(const std::map<std::string, int>& ifindex, const std::string& interface) {
    const auto it = ifindex.find(interface);
    if (it == ifindex.end() || it->second <= 0) return 0;
    const auto ids = ids::for_ifindex(it->second);
    return ids ? ids->mark : 0;
}

}  // namespace

std::uint32_t id_of(const std::string& name) {
    Digest d;
    d.add(std::string_view(name));
    const std::uint32_t id = static_cast<std::uint32_t>(d.value & 0xffffffu);
    return id ? id : 1;
}

Accounts system_accounts() {
    Accounts a;
    a.uid = [](const std::string& name) -> std::optional<uid_t> {
        const auto account = accounts::find_user(name);
        if (!account) return std::nullopt;
        return account->uid;
    };
    a.members = [](const std::string& name) -> std::optional<std::vector<uid_t>> {
        const group* g = ::getgrnam(name.c_str());
        if (!g) return std::nullopt;
        const gid_t gid = g->gr_gid;
        std::set<uid_t> uids;
        for (char** m = g->gr_mem; m && *m; ++m)
            if (const passwd* pw = ::getpwnam(*m)) uids.insert(pw->pw_uid);
        // And those whose primary group it is.
        ::setpwent();
        while (const passwd* pw = ::getpwent())
            if (pw->pw_gid == gid) uids.insert(pw->pw_uid);
        ::endpwent();
        return std::vector<uid_t>(uids.begin(), uids.end());
    };
    return a;
}

std::variant<Plan, config::ParseError> compile(const config::Config& config, const Accounts& accounts) {
    Plan plan;
    std::map<std::pair<std::uint8_t, std::uint16_t>, std::size_t> port_owner;
    std::map<uid_t, std::size_t> user_owner;
    std::set<std::uint32_t> ids;
    for (const auto& r : config.rules) {
        const std::size_t index = plan.rules.size();
        const config::Uplink* section = config::find(config, r.uplink);
        Rule out{r.name, r.uplink, section ? section->interface : r.uplink, id_of(r.name),
                 section ? section->dns : std::vector<std::string>{}, r.lan(), r.domains};
        if (!ids.insert(out.id).second)
            return at(r, "its name hashes like another rule's; rename it");
        const auto other = [&](std::size_t i) {
            const auto& o = config.rules[i];
            return "rule '" + o.name + "' (" + o.where() + ")";
        };
        for (const auto& p : r.lan() ? std::vector<rule::Ports>{} : ports_of(r))
            for (unsigned port = p.first; port <= p.last; ++port) {
                const auto key = std::pair(p.protocol, static_cast<std::uint16_t>(port));
                if (const auto it = port_owner.find(key); it != port_owner.end()) {
                    if (it->second == index) continue;  // named twice in the same rule
                    return at(r, protocol_name(p.protocol) + "/" + std::to_string(port) + " is already chosen by " +
                                     other(it->second) + ": one port, one rule");
                }
                port_owner.emplace(key, index);
                if (port_owner.size() > owned::max_rule_ports)
                    return at(r, "the rules choose more than " + std::to_string(owned::max_rule_ports) +
                                     " ports in all; name fewer, or the networks with to");
            }
        for (const auto& net : r.lan() ? std::vector<rule::Prefix>{} : r.to) {
            for (const auto& e : plan.to)
                if (rule::overlap(e.to, net))
                    return at(r, net.text() + " overlaps " + e.to.text() + " of " +
                                     (e.rule == index ? "this rule" : other(e.rule)) +
                                     ": one network, one rule");
            plan.to.push_back({net, index});
        }
        for (const auto& name : r.users) {
            std::vector<uid_t> uids;
            if (name.starts_with('@')) {
                const auto members = accounts.members(name.substr(1));
                if (!members) return at(r, "no group '" + name.substr(1) + "'");
                uids = *members;
            } else {
                const auto uid = accounts.uid(name);
                if (!uid) return at(r, "no user '" + name + "'");
                uids = {*uid};
            }
            for (const uid_t uid : uids) {
                if (const auto it = user_owner.find(uid); it != user_owner.end()) {
                    if (it->second == index) continue;
                    return at(r, "uid " + std::to_string(uid) + " (" + name + ") is already chosen by " +
                                     other(it->second) + ": one user, one rule");
                }
                user_owner.emplace(uid, index);
                plan.users.push_back({uid, index});
            }
        }
        if (out.lan) {
            const std::vector<std::string> interfaces =
                r.from_interfaces.empty() ? std::vector<std::string>{""} : r.from_interfaces;
            std::vector<std::optional<rule::Prefix>> froms(r.from.begin(), r.from.end());
            if (froms.empty()) froms.push_back(std::nullopt);
            // What it chooses of their traffic: ports or networks, or all.
            std::vector<std::pair<std::optional<rule::Ports>, std::optional<rule::Prefix>>> chosen;
            for (const auto& p : ports_of(r)) chosen.emplace_back(p, std::nullopt);
            for (const auto& n : r.to) chosen.emplace_back(std::nullopt, n);
            if (chosen.empty()) chosen.emplace_back(std::nullopt, std::nullopt);
            for (const auto& i : interfaces) {
                if (i == out.interface) return at(r, "from names its own uplink, " + i);
                for (const auto& f : froms)
                    for (const auto& [ports, to] : chosen) {
                        if (f && to && f->family != to->family) continue;  // no packet is both
                        plan.lan.push_back({i, f, ports, to, index});
                    }
            }
        }
        plan.rules.push_back(std::move(out));
    }
    for (const auto& [key, index] : port_owner) plan.ports.push_back({key.first, key.second, index});
    return plan;
}

std::vector<rule::Prefix> add_addresses(Plan& plan, std::size_t rule, const std::vector<rule::Prefix>& addresses) {
    std::vector<rule::Prefix> held;
    for (const auto& a : addresses) {
        const bool taken = std::any_of(plan.to.begin(), plan.to.end(), [&](const NetEntry& e) { return rule::overlap(e.to, a); });
        if (taken) {
            if (std::none_of(plan.to.begin(), plan.to.end(), [&](const NetEntry& e) { return e.rule == rule && e.to == a; }))
                held.push_back(a);
            continue;
        }
        plan.to.push_back({a, rule});
    }
    return held;
}

firewall::Plan plan_firewall(const Plan& plan, const std::map<std::string, int>& ifindex) {
    using firewall::MarkByMap;
    using firewall::SetSpec;
    firewall::Plan fw;
    // (nft(8)'s type ids: inet_proto 12, inet_service 13, ipv4_addr 7,
    // ipv6_addr 8; a concatenation's, 6 bits each.)
    SetSpec ports{std::string(owned::nft_map_rule_ports), (12u << 6) | 13u, 8, {}, {}};
    SetSpec to4{std::string(owned::nft_map_rule_to4), (7u << 6) | 12u, 8, {4, 1}, {}};
    SetSpec to6{std::string(owned::nft_map_rule_to6), (8u << 6) | 12u, 20, {16, 1}, {}};
    for (const auto& p : plan.ports) {
        const std::uint32_t mark = mark_of(ifindex, plan.rules[p.rule].interface);
        if (!mark) continue;
        std::vector<std::uint8_t> key(8, 0);
        key[0] = p.protocol;
        key[4] = static_cast<std::uint8_t>(p.port >> 8);
        key[5] = static_cast<std::uint8_t>(p.port & 0xff);
        ports.elements.push_back({std::move(key), {}, mark});
    }
    for (const auto& n : plan.to) {
        const std::uint32_t mark = mark_of(ifindex, plan.rules[n.rule].interface);
        if (!mark) continue;
        // The network, and every protocol (0-255, in the field's 4 bytes).
        SetSpec& set = n.to.family == AF_INET ? to4 : to6;
        const long bytes = n.to.family == AF_INET ? 4 : 16;
        const auto last = last_of(n.to);
        std::vector<std::uint8_t> key(n.to.address.begin(), n.to.address.begin() + bytes);
        std::vector<std::uint8_t> end(last.begin(), last.begin() + bytes);
        key.insert(key.end(), {0, 0, 0, 0});
        end.insert(end.end(), {255, 0, 0, 0});
        set.elements.push_back({std::move(key), std::move(end), mark});
    }
    // The digest of what the maps hold: in the comments, so that a change
    // replaces the rules, and the rules' replacement refills the maps.
    Digest digest;
    for (const SetSpec* set : {&ports, &to4, &to6})
        for (const auto& e : set->elements) {
            digest.add(e.mark);
            digest.add(e.key.data(), e.key.size());
            digest.add(e.key_end.data(), e.key_end.size());
        }
    const std::string said = " (maps " + hex32(digest.value ^ (digest.value >> 32)) + ")";
    const std::string out(owned::nft_chain_output);
    const std::string via_owner = "via " + std::string(owner) + ": ";
    if (plan.any_local()) {
        fw.rules.push_back({out, std::string(owner), via_owner + "new connections to a rule's port take its uplink's mark" + said,
                            MarkByMap{MarkByMap::Key::port, ports.name}});
        fw.rules.push_back({out, std::string(owner), via_owner + "new connections to a rule's IPv4 network take its mark" + said,
                            MarkByMap{MarkByMap::Key::daddr4, to4.name}});
        fw.rules.push_back({out, std::string(owner), via_owner + "new connections to a rule's IPv6 network take its mark" + said,
                            MarkByMap{MarkByMap::Key::daddr6, to6.name}});
        fw.sets = {std::move(ports), std::move(to4), std::move(to6)};
    }
    for (const auto& l : plan.lan) {
        const Rule& r = plan.rules[l.rule];
        std::string what = (l.interface.empty() ? std::string("any interface") : l.interface) +
                           (l.from ? " from " + l.from->text() : std::string());
        if (l.ports)
            what += " to " + protocol_name(l.ports->protocol) + "/" + std::to_string(l.ports->first) +
                    (l.ports->last != l.ports->first ? "-" + std::to_string(l.ports->last) : "");
        if (l.to) what += " to " + l.to->text();
        const firewall::LanMatch match{l.interface, l.from, l.ports, l.to};
        if (const std::uint32_t mark = mark_of(ifindex, r.interface))
            fw.rules.push_back({std::string(owned::nft_chain_prerouting), std::string(owner),
                                via_owner + "lan " + r.name + ": " + what + " takes " + ids::hex(mark) + " to " + r.interface,
                                firewall::MarkLan{match, mark}});
        fw.rules.push_back({std::string(owned::nft_chain_forward), std::string(owner),
                            via_owner + "lan " + r.name + ": " + what + " leaves by " + r.interface + " or not at all",
                            firewall::GuardLan{match, r.interface}});
    }
    return fw;
}

std::vector<LanRoute> plan_lan_routes(const Plan& plan, const std::map<std::string, int>& ifindex,
                                      const std::map<std::string, std::uint32_t>& pref) {
    std::vector<LanRoute> out;
    for (const auto& l : plan.lan) {
        const Rule& r = plan.rules[l.rule];
        const std::uint32_t mark = mark_of(ifindex, r.interface);
        const auto p = pref.find(r.interface);
        if (!mark || p == pref.end()) continue;
        const int known = l.from ? l.from->family : l.to ? l.to->family : 0;
        const std::vector<int> families = known ? std::vector<int>{known} : std::vector<int>{AF_INET, AF_INET6};
        for (const int family : families) {
            // (Not below via's range: at its floor, beside the skip rule.)
            LanRoute route{family,
                           std::max(p->second, owned::pref_floor + 1) - 2,
                           l.interface,
                           l.from ? l.from->text() : std::string(),
                           l.to ? l.to->text() : std::string(),
                           l.ports ? l.ports->protocol : std::uint8_t{0},
                           l.ports ? l.ports->first : std::uint16_t{0},
                           l.ports ? l.ports->last : std::uint16_t{0},
                           mark};
            if (std::find(out.begin(), out.end(), route) == out.end()) out.push_back(route);
        }
    }
    return out;
}

namespace {

// One of the LAN rules' ip rules, as the kernel shows them.
bool is_lan_route(const rtnl::Rule& r) {
    return r.via && r.lookup && !r.fwmark && r.selects_more && ids::is_via_mark(r.table);
}

LanRoute lan_route_of(const rtnl::Rule& r) {
    return {r.family, r.pref, r.iif, r.src, r.dst, r.ip_proto, r.dport_first, r.dport_last, r.table};
}

bool same(const rtnl::Rule& r, const LanRoute& w) { return lan_route_of(r) == w; }

void send_lan_route(nlmsg::Socket& sock, const LanRoute& w, bool add) {
    fib_rule_hdr hdr{};
    hdr.family = static_cast<std::uint8_t>(w.family);
    hdr.action = FR_ACT_TO_TBL;
    std::array<std::uint8_t, 16> src{}, dst{};
    unsigned len = 0;
    if (!w.from.empty() && rtnl::parse_prefix(w.from, w.family, src, len)) hdr.src_len = static_cast<std::uint8_t>(len);
    if (!w.to.empty() && rtnl::parse_prefix(w.to, w.family, dst, len)) hdr.dst_len = static_cast<std::uint8_t>(len);
    auto msg = nlmsg::request(add ? RTM_NEWRULE : RTM_DELRULE, add ? NLM_F_CREATE | NLM_F_EXCL : 0, hdr);
    msg.put_u32(FRA_PRIORITY, w.pref);
    const std::size_t bytes = w.family == AF_INET ? 4 : 16;
    if (!w.iif.empty()) msg.put(FRA_IIFNAME, w.iif.c_str(), w.iif.size() + 1);
    if (!w.from.empty()) msg.put(FRA_SRC, src.data(), bytes);
    if (!w.to.empty()) msg.put(FRA_DST, dst.data(), bytes);
    if (w.protocol) {
        msg.put_u8(FRA_IP_PROTO, w.protocol);
        const fib_rule_port_range range{w.first, w.last};
        msg.put(FRA_DPORT_RANGE, &range, sizeof range);
    }
    msg.put_u8(FRA_PROTOCOL, owned::rt_protocol);
    msg.put_u32(FRA_TABLE, w.table);
    const std::string what = std::to_string(w.pref) + ": " + (w.iif.empty() ? "" : "iif " + w.iif + " ") +
                             (w.from.empty() ? "" : "from " + w.from + " ") + (w.to.empty() ? "" : "to " + w.to + " ") +
                             (w.protocol ? "ipproto " + protocol_name(w.protocol) + " dport " + std::to_string(w.first) +
                                               "-" + std::to_string(w.last) + " "
                                         : "") +
                             "lookup " + ids::hex(w.table);
    rtnl::change(sock, msg, (add ? "adding ip rule '" : "deleting ip rule '") + what + "'", {add ? EEXIST : ENOENT});
}

void set_lan_routes(const std::vector<LanRoute>& wanted, const Report& report) {
    Effective net_admin({CAP_NET_ADMIN});
    auto sock = rtnl::open();
    const auto rules = rtnl::ip_rules();
    for (const auto& w : wanted) {
        const bool present = std::any_of(rules.begin(), rules.end(), [&](const rtnl::Rule& r) { return same(r, w); });
        if (!present) send_lan_route(sock, w, true);
        report.ensured("a LAN rule's ip rule to " + ids::hex(w.table) + (w.iif.empty() ? "" : " from " + w.iif),
                       present ? Outcome::present : Outcome::created);
    }
    for (const auto& r : rules) {
        if (!is_lan_route(r) || std::any_of(wanted.begin(), wanted.end(), [&](const LanRoute& w) { return same(r, w); }))
            continue;
        send_lan_route(sock, lan_route_of(r), false);
        report.ensured("deleted a stale LAN rule's ip rule to " + ids::hex(r.table), Outcome::replaced);
    }
}

// The uplink of each rule, ensured as `via repair` ensures a served one:
// its ifindex, or 0 when it cannot be (missing, down: its rules' traffic
// is dropped until a repair finds it).
struct Ensured {
    std::map<std::string, int> ifindex;
    std::map<std::string, std::uint32_t> pref;  // of via's mark rules
};

Ensured ensure_uplinks(const config::Config& config, const Plan& plan, const Report& report) {
    Ensured ensured;
    auto& out = ensured.ifindex;
    for (const auto& r : plan.rules) {
        if (out.count(r.interface)) continue;
        const config::Uplink* section = config::find(config, r.uplink);
        const ensure::Request request =
            section ? ensure::request_for(*section) : ensure::Request{r.interface, {}, {}, true, std::nullopt};
        try {
            const auto target = ensure::validate(request, report);
            ensured.pref[r.interface] = ensure::apply(target, request, report).pref;
            out[r.interface] = target.up.ifindex;
        } catch (const Error& e) {
            report.note("rule " + r.name + ": uplink " + r.interface + " is not usable (" + e.context() +
                        "): its traffic goes nowhere until it is");
            out[r.interface] = static_cast<int>(::if_nametoindex(r.interface.c_str()));
        }
    }
    return ensured;
}

template <class Key>
std::vector<Key> keys_of(int map) {
    std::vector<Key> out;
    Key key{}, next{};
    for (const Key* prev = nullptr; bpfsys::map_get_next_key(map, prev, &next) == 0; prev = &key) {
        key = next;
        out.push_back(key);
    }
    return out;
}

// Makes a map's entries of this network namespace exactly `wanted`: added
// or updated first, then the stale ones go.
template <class Key>
void sync_map(const char* pin, const std::vector<std::pair<Key, via_rule_uplink>>& wanted, std::uint64_t netns,
              const std::string& what, const Report& report) {
    UniqueFd map = sockmark::open_map(pin);
    bool changed = false;
    for (const auto& [key, value] : wanted) {
        via_rule_uplink now{};
        if (bpfsys::map_lookup_elem(map.get(), &key, &now) == 0 && std::memcmp(&now, &value, sizeof now) == 0) continue;
        if (bpfsys::map_update_elem(map.get(), &key, &value, BPF_ANY) < 0)
            throw errno_error("recording " + what + " for via's programs", permission_hint(errno));
        changed = true;
    }
    for (const auto& key : keys_of<Key>(map.get())) {
        if (key.netns != netns) continue;
        const bool keep = std::any_of(wanted.begin(), wanted.end(),
                                      [&](const auto& w) { return std::memcmp(&w.first, &key, sizeof key) == 0; });
        if (keep) continue;
        if (bpfsys::map_delete_elem(map.get(), &key) < 0 && errno != ENOENT)
            throw errno_error("forgetting " + what);
        changed = true;
    }
    report.ensured(what + " (" + std::to_string(wanted.size()) + ")", changed ? Outcome::replaced : Outcome::present);
}

void set_bpf_maps(const Plan& plan, const std::map<std::string, int>& ifindex, const Report& report) {
    RootFiles as_root;
    Effective sys_admin({CAP_SYS_ADMIN});
    const std::uint64_t netns = ids::own_netns();
    const auto value = [&](std::size_t rule) {
        const auto it = ifindex.find(plan.rules[rule].interface);
        return via_rule_uplink{static_cast<std::uint32_t>(it == ifindex.end() ? 0 : std::max(it->second, 0)),
                               owned::rule_owner_bit | plan.rules[rule].id};
    };
    std::vector<std::pair<via_rule_port, via_rule_uplink>> ports;
    for (const auto& p : plan.ports) {
        via_rule_port key{};
        key.netns = netns;
        key.protocol = p.protocol;
        key.port = htons(p.port);
        ports.emplace_back(key, value(p.rule));
    }
    std::vector<std::pair<via_rule_net, via_rule_uplink>> nets;
    for (const auto& n : plan.to) {
        via_rule_net key{};
        key.netns = netns;
        if (n.to.family == AF_INET) {
            key.addr[10] = key.addr[11] = 0xff;
            std::memcpy(&key.addr[12], n.to.address.data(), 4);
            key.prefixlen = 32 + 64 + 96 + n.to.length;
        } else {
            std::memcpy(key.addr, n.to.address.data(), 16);
            key.prefixlen = 32 + 64 + n.to.length;
        }
        nets.emplace_back(key, value(n.rule));
    }
    // The guard's entries first, then the namespace (from then on its new
    // sockets are checked), then the users' marks.
    sync_map(owned::bpf_rule_ports_pin, ports, netns, "rules' destination ports", report);
    sync_map(owned::bpf_rule_to_pin, nets, netns, "rules' destination networks", report);
    {
        UniqueFd ns = sockmark::open_map(owned::bpf_rules_ns_pin);
        const std::uint32_t yes = 1;
        if (plan.any_local()) {
            if (bpfsys::map_update_elem(ns.get(), &netns, &yes, BPF_ANY) < 0)
                throw errno_error("recording the rules' network namespace", permission_hint(errno));
        } else if (bpfsys::map_delete_elem(ns.get(), &netns) < 0 && errno != ENOENT) {
            throw errno_error("forgetting the rules' network namespace");
        }
    }
    std::set<uid_t> wanted;
    for (const auto& u : plan.users) {
        const Rule& r = plan.rules[u.rule];
        const auto it = ifindex.find(r.interface);
        const auto ids = ids::for_ifindex(it == ifindex.end() ? 0 : it->second);
        sockmark::set_user(u.uid, sockmark::Launch{r.interface, ids ? ids->mark : owned::mark_base, true, r.dns, r.id},
                           report);
        wanted.insert(u.uid);
    }
    for (const auto& [uid, tag] : sockmark::users())
        if (tag.rule && !wanted.count(uid)) sockmark::forget_user(uid, report);
}

}  // namespace

namespace {

// The rules' domains, asked of each rule's uplink's name servers through
// the uplink (its mark): their addresses join the rule's networks. A name
// that gets no answer keeps none (its traffic goes by main), and says so.
void resolve_domains(Plan& plan, const config::Config& config, const std::map<std::string, int>& ifindex,
                     const Report& report) {
    for (std::size_t i = 0; i < plan.rules.size(); ++i) {
        const Rule& r = plan.rules[i];
        if (r.domains.empty()) continue;
        const std::uint32_t mark = mark_of(ifindex, r.interface);
        const config::Uplink* section = config::find(config, r.uplink);
        std::vector<std::string> servers = section ? section->dns : std::vector<std::string>{};
        if (servers.empty()) servers = dns::resolved_servers(r.interface);
        for (const auto& name : r.domains) {
            try {
                if (!mark) throw Error("its uplink " + r.interface + " is not usable");
                Effective net_admin({CAP_NET_ADMIN});
                const auto answer = lookup::resolve(name, servers, mark);
                const auto held = add_addresses(plan, i, answer.addresses);
                std::string list;
                for (const auto& a : answer.addresses) list += (list.empty() ? "" : " ") + a.text();
                report.note("rule " + r.name + ": " + name + " is " + (list.empty() ? "nothing" : list) + " (for " +
                            std::to_string(answer.ttl) + " s, as of now)");
                for (const auto& a : held) report.note("rule " + r.name + ": " + a.text() + " is another rule's already");
            } catch (const Error& e) {
                report.note("rule " + r.name + ": " + name + " not resolved (" + e.context() + ")");
            }
        }
    }
}

}  // namespace

void apply(const config::Config& config, Plan plan, const Report& report) {
    // No rule, and via never loaded its programs: nothing of rules to
    // remove, and nothing to load (a boot's via-rules.service on a machine
    // without rules changes nothing).
    if (plan.empty()) {
        struct stat st {};
        RootFiles as_root;
        if (::stat(owned::bpf_rules_ns_pin, &st) < 0) return;
    }
    {
        RootFiles as_root;
        Effective caps(ensure::steps::program_caps);
        programs::ensure(cgroup::find_mount(), report);
    }
    const Ensured ensured = ensure_uplinks(config, plan, report);
    const auto& ifindex = ensured.ifindex;
    resolve_domains(plan, config, ifindex, report);
    const UniqueFd lock = ensure::steps::lock_or_note(report);
    set_bpf_maps(plan, ifindex, report);
    set_lan_routes(plan_lan_routes(plan, ifindex, ensured.pref), report);
    Effective net_admin({CAP_NET_ADMIN});
    if (plan.empty()) {
        firewall::remove({std::string(owner)}, false, report);
        std::vector<std::string> maps(std::begin(owned::nft_maps), std::end(owned::nft_maps));
        firewall::remove_sets(maps, report);
        return;
    }
    // (A kind of rule the plan no longer has goes too: see firewall::diff.)
    firewall::apply(plan_firewall(plan, ifindex), report);
    if (!plan.any_local()) {
        std::vector<std::string> maps(std::begin(owned::nft_maps), std::end(owned::nft_maps));
        firewall::remove_sets(maps, report);
    }
}

std::string describe(const config::Rule& r) {
    std::vector<std::string> parts;
    const auto join = [](const std::vector<std::string>& words) {
        std::string out;
        for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
        return out;
    };
    std::vector<std::string> words;
    for (const auto& p : r.ports)
        words.push_back(protocol_name(p.protocol) + "/" + std::to_string(p.first) +
                        (p.last != p.first ? "-" + std::to_string(p.last) : ""));
    if (!words.empty()) parts.push_back("ports " + join(words));
    words.clear();
    for (const auto& n : r.to) words.push_back(n.text());
    if (!words.empty()) parts.push_back("to " + join(words));
    if (!r.domains.empty()) parts.push_back("domains " + join(r.domains));
    if (!r.users.empty()) parts.push_back("users " + join(r.users));
    if (r.dns_all) parts.push_back("dns all");
    words = r.from_interfaces;
    for (const auto& n : r.from) words.push_back(n.text());
    if (!words.empty()) parts.push_back("from " + join(words));
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
    return out;
}

Counted counted(const Rule& rule, const std::vector<nft::ExistingRule>& existing) {
    Counted c;
    if (const auto t = sockmark::traffic_of_rule(rule.id)) {
        c.packets += t->packets;
        c.bytes += t->bytes;
    }
    const std::string prefix = "via " + std::string(owner) + ": lan " + rule.name + ": ";
    for (const auto& e : existing)
        if (e.chain == owned::nft_chain_prerouting && e.comment.starts_with(prefix)) {
            c.packets += e.packets;
            c.bytes += e.bytes;
        }
    return c;
}

}  // namespace via::rules
