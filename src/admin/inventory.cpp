#include "admin/inventory.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <pwd.h>
#include <tuple>

#include <linux/if.h>
#include <linux/rtnetlink.h>

#include "admin/firewall.hpp"
#include "kernel/rtnl.hpp"
#include "launch/error.hpp"
#include "launch/files.hpp"
#include "launch/ids.hpp"
#include "launch/instances.hpp"
#include "owned.hpp"

namespace via::inventory {
namespace {

constexpr std::string_view uplink_owner = "uplink ";

std::vector<Link> links(nlmsg::Socket& sock) {
    std::vector<Link> out;
    for (const auto& l : rtnl::links(sock))
        out.push_back({l.ifindex, l.name, (l.flags & IFF_UP) != 0, (l.flags & IFF_LOWER_UP) != 0, {}});
    const auto addrs = rtnl::addresses(sock);
    for (int family : {AF_INET, AF_INET6})
        for (const auto& a : addrs) {
            if (a.family != family) continue;
            if (family == AF_INET6 && a.scope != RT_SCOPE_UNIVERSE) continue;
            for (auto& l : out)
                if (l.ifindex == a.ifindex) l.addresses.push_back(a.local + "/" + std::to_string(a.prefixlen));
        }
    return out;
}

std::string user_name(uid_t uid) {
    if (const passwd* pw = ::getpwuid(uid)) return pw->pw_name;
    return std::to_string(uid);
}

// The command line of a process, its arguments separated by spaces.
std::string command_of(pid_t pid) {
    std::string text = read_file("/proc/" + std::to_string(pid) + "/cmdline");
    while (!text.empty() && text.back() == '\0') text.pop_back();
    std::replace(text.begin(), text.end(), '\0', ' ');
    if (text.size() > 200) text = text.substr(0, 197) + "...";
    return text;
}

std::vector<Process> processes(const std::vector<std::pair<uid_t, sockmark::Tag>>& users) {
    std::vector<Process> out;
    instances::each_process([&](pid_t pid, uid_t uid) {
        Process p;
        p.pid = p.launch = pid;
        p.uid = uid;
        std::optional<sockmark::Tag> tag;
        try {
            tag = sockmark::tag_of(pid);
            if (tag) p.launch = sockmark::launch_of(pid).value_or(pid);
        } catch (const Error&) {
            return;  // gone meanwhile
        }
        if (!tag) {
            const auto user = std::find_if(users.begin(), users.end(), [&](const auto& u) { return u.first == uid; });
            if (user == users.end()) return;
            tag = user->second;
            p.dedicated = true;
        }
        p.command = command_of(pid);
        if (p.command.empty()) return;  // a kernel thread, or gone
        p.uplink = tag->uplink;
        p.open = tag->open;
        p.dns = tag->dns;
        p.user = user_name(uid);
        out.push_back(std::move(p));
    });
    // One entry per launch: its first process if it runs, else its oldest.
    std::sort(out.begin(), out.end(), [](const Process& a, const Process& b) {
        return std::tuple(a.launch, a.pid != a.launch, a.pid) < std::tuple(b.launch, b.pid != b.launch, b.pid);
    });
    std::vector<Process> launches;
    for (auto& p : out) {
        if (!launches.empty() && launches.back().launch == p.launch) {
            ++launches.back().processes;
            continue;
        }
        p.sent = sockmark::traffic_of(p.launch).value_or(sockmark::Traffic{});
        launches.push_back(std::move(p));
    }
    std::sort(launches.begin(), launches.end(), [](const Process& a, const Process& b) { return a.pid < b.pid; });
    return launches;
}

// The mark an nft masquerade rule's comment names ("... masquerade marks 0x56490005 and ...").
std::optional<std::uint32_t> mark_in(const std::string& comment) {
    const auto at = comment.find("marks 0x");
    if (at == std::string::npos) return std::nullopt;
    return static_cast<std::uint32_t>(std::stoul(comment.substr(at + 6, 10), nullptr, 16));
}

int ifindex_of(std::uint32_t mark) { return static_cast<int>(mark & owned::max_ifindex); }

}  // namespace

State read() {
    State s;
    auto sock = rtnl::open();
    s.links = links(sock);
    for (const auto& r : rtnl::ip_rules())
        if (r.via && !routing::is_skip_rule(r)) s.rules.push_back(r);  // the skip pairs belong to no uplink
    s.routes = routing::via_routes(sock);
    s.nft = firewall::existing();
    s.served = served::all();
    s.marks = sockmark::uplinks();
    s.users = sockmark::users();
    s.processes = processes(s.users);
    return s;
}

std::vector<Uplink> view(const State& s) {
    std::map<int, Uplink> groups;
    const auto group = [&](int ifindex) -> Uplink& {
        Uplink& u = groups[ifindex];
        u.ifindex = ifindex;
        return u;
    };
    for (const auto& r : s.rules) group(ifindex_of(r.fwmark)).rules.push_back(r);
    for (const auto& r : s.routes) group(ifindex_of(r.table)).routes.push_back(r);

    // Every name via knows, and the ifindex it goes by now.
    std::map<std::string, int> names;
    const auto name = [&](const std::string& n, std::optional<std::uint32_t> mark) {
        if (n.empty()) return;
        auto link = std::find_if(s.links.begin(), s.links.end(), [&](const Link& l) { return l.name == n; });
        int ifindex = link != s.links.end() ? link->ifindex : mark ? ifindex_of(*mark) : 0;
        auto [at, fresh] = names.emplace(n, ifindex);
        if (!fresh && at->second == 0) at->second = ifindex;
    };
    for (const auto& [n, mark] : s.marks) name(n, mark);
    for (const auto& e : s.nft)
        if (const auto owner = firewall::owner_of(e.comment); owner.starts_with(uplink_owner))
            name(owner.substr(uplink_owner.size()), mark_in(e.comment));
    for (const auto& u : s.served) name(u.name, std::nullopt);
    for (const auto& p : s.processes) name(p.uplink, std::nullopt);
    for (const auto& [uid, tag] : s.users) name(tag.uplink, tag.mark);

    // (Named copies: clang 14 does not let lambdas capture structured bindings.)
    for (const auto& entry : names) {
        const std::string& n = entry.first;
        Uplink& u = group(entry.second);
        u.name = n;
        u.served = std::any_of(s.served.begin(), s.served.end(), [&](const auto& x) { return x.name == n; });
        u.mapped = std::any_of(s.marks.begin(), s.marks.end(), [&](const auto& x) { return x.first == n; });
        u.masquerade = std::any_of(s.nft.begin(), s.nft.end(), [&](const nft::ExistingRule& e) {
            return firewall::owner_of(e.comment) == std::string(uplink_owner) + n;
        });
        for (const auto& [uid, tag] : s.users)
            if (tag.uplink == n) u.dedicated_user = uid;
        for (const auto& p : s.processes)
            if (p.uplink == n) u.processes.push_back(p);
    }

    std::vector<Uplink> out;
    for (auto& entry : groups) {
        const int ifindex = entry.first;
        Uplink& u = entry.second;
        auto link = std::find_if(s.links.begin(), s.links.end(), [&](const Link& l) { return l.ifindex == ifindex; });
        if (link != s.links.end() && (u.name.empty() || u.name == link->name)) {
            u.present = true;
            u.link = *link;
            u.name = link->name;
        }
        if (const auto ids = ids::for_ifindex(ifindex)) {
            u.mark = ids->mark;
            u.open_mark = ids->open_mark;
            u.table = ids->table;
        }
        for (const auto& r : u.routes) {
            if (r.dst != "default") continue;
            if (r.unreachable)
                u.kill_switch = true;
            else
                u.next_hops.push_back(r.gateway.value_or("dev " + u.name));
        }
        out.push_back(std::move(u));
    }
    std::sort(out.begin(), out.end(), [](const Uplink& a, const Uplink& b) {
        return std::pair(a.name.empty(), a.name) < std::pair(b.name.empty(), b.name) ||
               (a.name == b.name && a.present > b.present);
    });
    return out;
}

Removal plan_removal(const std::vector<Uplink>& uplinks, const std::optional<std::string>& only, bool force,
                     const std::vector<std::pair<std::string, std::string>>& ruled) {
    Removal r;
    for (const auto& u : uplinks) {
        const std::string label = u.name.empty() ? "ifindex " + std::to_string(u.ifindex) : u.name;
        if (only && u.name != *only) continue;
        const auto rule = std::find_if(ruled.begin(), ruled.end(), [&](const auto& x) { return x.first == u.name; });
        if (rule != ruled.end() && u.present && !(only && force)) {
            r.kept.push_back(label + ": rule " + rule->second + " of /etc/via sends traffic by it");
            continue;
        }
        // The ids of an interface made again: nothing routes by them.
        const bool stale = !u.present && u.processes.empty() && !u.dedicated_user;
        if (u.in_use() && !(only && force) && !stale) {
            std::string why;
            if (!u.processes.empty())
                why = std::to_string(u.processes.size()) + (u.processes.size() == 1 ? " program runs" : " programs run") +
                      " through it (pid " + std::to_string(u.processes.front().pid) + ")";
            else
                why = "it has a dedicated user (uid " + std::to_string(*u.dedicated_user) + ")";
            r.kept.push_back(label + ": " + why);
            continue;
        }
        r.remove.push_back(u);
    }
    // A name's note, map entry and nft rules go with its last group.
    for (const auto& u : r.remove) {
        if (u.name.empty()) continue;
        const bool kept = std::any_of(uplinks.begin(), uplinks.end(), [&](const Uplink& other) {
            return other.name == u.name &&
                   std::none_of(r.remove.begin(), r.remove.end(), [&](const Uplink& x) { return x.ifindex == other.ifindex; });
        });
        if (kept || std::find(r.names.begin(), r.names.end(), u.name) != r.names.end()) continue;
        r.names.push_back(u.name);
        r.owners.push_back(std::string(uplink_owner) + u.name);
    }
    r.table = r.remove.size() == uplinks.size() && !uplinks.empty() && ruled.empty();
    return r;
}

std::string bytes(std::uint64_t n) {
    static constexpr const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = static_cast<double>(n);
    std::size_t unit = 0;
    while (v >= 1024 && unit + 1 < std::size(units)) {
        v /= 1024;
        ++unit;
    }
    char text[32];
    if (unit == 0)
        std::snprintf(text, sizeof text, "%llu B", static_cast<unsigned long long>(n));
    else
        std::snprintf(text, sizeof text, "%.1f %s", v, units[unit]);
    return text;
}

}  // namespace via::inventory
