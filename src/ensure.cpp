#include "via/ensure.hpp"

#include <functional>

#include <algorithm>

#include "via/accounts.hpp"
#include "via/checks.hpp"
#include "via/constants.hpp"
#include "via/error.hpp"
#include "via/firewall.hpp"
#include "via/lock.hpp"
#include "via/netlink.hpp"
#include "via/privilege.hpp"
#include "via/routing.hpp"
#include "via/served.hpp"
#include "via/sockmark.hpp"

namespace via::ensure {

std::optional<DedicatedUser> dedicated_user(const config::Uplink& section) {
    const auto account = accounts::find_user(config::user_of(section.name));
    if (!account) return std::nullopt;
    return DedicatedUser{account->uid, section.kill_switch != config::KillSwitch::off, section.dns};
}

Request request_for(const config::Uplink& section) {
    return Request{section.interface, section.gateway, section.gateway6, true, dedicated_user(section)};
}

Target validate(const Request& request, const Report& report) {
    Target t;
    t.mount = cgroup::find_mount();
    auto sock = netlink::connect_route();
    t.up = uplink::discover(sock.get(), request.uplink, request.gateway, request.gateway6);
    if (!t.up.next_hop6) report.note(t.up.no_ipv6 + ": the program's IPv6 is refused");
    const auto ids = ids::for_ifindex(t.up.ifindex);
    if (!ids)
        throw Error("interface '" + t.up.name + "' has ifindex " + std::to_string(t.up.ifindex) +
                    ", beyond via's range of " + std::to_string(constants::max_ifindex));
    t.ids = *ids;
    return t;
}

namespace {

Applied apply_locked(const Target& t, const Request& request, const Report& report, const std::function<void()>& while_locked) {
    using privilege::Effective;
    using privilege::RootFiles;

    // Without the kill switch for some programs: the uplink's open table too.
    const bool open = !request.kill_switch || (request.user && !request.user->kill_switch);
    UniqueFd lock;
    Applied applied;
    {
        RootFiles as_root;
        lock = lock::acquire();
        if (!lock) report.note("another via held the lock for over a second; going on without it");
        served::record({request.uplink, request.gateway, request.gateway6, open});
    }
    {
        Effective net_admin({CAP_NET_ADMIN});
        auto admin_sock = netlink::connect_route();  // opened with CAP_NET_ADMIN effective
        // Ahead of any rule of another tool that would take the marked packets.
        applied.rules = checks::ip_rules();
        applied.pref = routing::choose_pref(applied.rules, {t.ids.mark, t.ids.open_mark});
        routing::apply(admin_sock.get(), routing::plan(t.up, t.ids, !open, applied.pref), applied.rules,
                       report);
        // The uplink, and every interface whose LAN its programs reach (once
        // each, though an interface may have several networks).
        std::vector<std::string> devs{t.up.name};
        for (const auto& n : t.up.connected)
            if (n.family == AF_INET && !n.dev.empty() && std::find(devs.begin(), devs.end(), n.dev) == devs.end())
                devs.push_back(n.dev);
        for (const auto& dev : devs) routing::ensure_src_valid_mark(dev, report);
        firewall::apply(firewall::plan(t.up.name, t.ids), report);
    }
    {
        // Last: once sockets are marked at birth, the routing is in place.
        RootFiles as_root;
        Effective sys_admin({CAP_SYS_ADMIN});
        sockmark::ensure(t.mount, report);
        sockmark::set_uplink(t.up.name, t.ids.mark, report);
        sockmark::set_networks(t.up.connected, report);
        if (request.user)
            sockmark::set_user(request.user->uid, {t.up.name, t.ids.mark, request.user->kill_switch, request.user->dns},
                               report);
    }
    if (while_locked) while_locked();
    return applied;
}

}  // namespace

Applied apply(const Target& t, const Request& request, const Report& report, const std::function<void()>& while_locked) {
    const Applied applied = apply_locked(t, request, report, while_locked);
    report.flush();  // the lock is released: now the caller's stderr may block us
    return applied;
}

}  // namespace via::ensure
