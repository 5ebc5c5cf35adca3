// via check [UPLINK]: what works, and exactly what to fix, before a launch
// finds out. Kernel features, via's own installation, the caller's
// membership; with an uplink: whether the caller may use it, its address
// and next hop, the DNS path, and what on this machine will break via.
// Exit status 0 only when a launch would work. Changes nothing; runs for
// callers outside group via too (without capabilities: some checks are
// then skipped).
#include <cstdio>
#include <net/if.h>
#include <optional>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include <sys/capability.h>

#include "admin/commands.hpp"
#include "admin/converge.hpp"
#include "admin/firewall.hpp"
#include "admin/programs.hpp"
#include "admin/routing.hpp"
#include "admin/rules.hpp"
#include "kernel/cgroup.hpp"
#include "launch/accounts.hpp"
#include "launch/checks.hpp"
#include "launch/dns.hpp"
#include "launch/ensure.hpp"
#include "launch/error.hpp"
#include "launch/files.hpp"
#include "launch/grant.hpp"
#include "launch/handle.hpp"
#include "launch/privilege.hpp"
#include "launch/sockmark.hpp"
#include "owned.hpp"
#include "sockmark_stamp.h"

namespace via::commands {
namespace {

enum class Level { ok, warn, fail, skip };

class Findings {
public:
    void add(Level level, const std::string& text, const std::string& fix = {}) {
        static constexpr const char* words[] = {"ok  ", "warn", "FAIL", "skip"};
        std::printf("%s  %s\n", words[static_cast<int>(level)], text.c_str());
        if (!fix.empty()) std::printf("      fix: %s\n", fix.c_str());
        if (level == Level::fail) failed_ = true;
    }
    bool failed() const { return failed_; }

private:
    bool failed_ = false;
};

// One of via's files: owner, mode and file capabilities. Its stat, if it
// has one.
std::optional<struct stat> check_file(Findings& f, const std::string& path) {
    struct stat found {};
    if (::stat(path.c_str(), &found) < 0) {
        f.add(Level::fail, "cannot read via's file " + path);
        return std::nullopt;
    }
    const std::string group = accounts::group_name(found.st_gid);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(found.st_mode & 07777));
    using Caps = Handle<void, cap_free>;
    Caps caps(cap_get_file(path.c_str()));
    using Text = Handle<char, cap_free>;
    Text text(caps ? cap_to_text(static_cast<cap_t>(caps.get()), nullptr) : nullptr);
    const std::string have = text ? text.get() : "none";
    Caps wanted(cap_from_text(privilege::file_capabilities));
    const bool right_caps = caps && wanted && cap_compare(static_cast<cap_t>(caps.get()), static_cast<cap_t>(wanted.get())) == 0;
    const std::string fix_install = "reinstall via (scripts/setup, or the Debian package), or as root: chown root:via " +
                                    path + "; chmod 0755 " + path + "; setcap " + privilege::file_capabilities + " " + path;
    if (found.st_uid != 0 || (found.st_mode & 022) || (found.st_mode & (S_ISUID | S_ISGID)))
        f.add(Level::fail, path + " is " + mode + ", owned by uid " + std::to_string(found.st_uid) +
                               ": it must be root's, writable by root only, not setuid", fix_install);
    else if (!right_caps)
        f.add(Level::fail, path + " has capabilities " + have + ", not " + privilege::file_capabilities, fix_install);
    else
        f.add(Level::ok, path + ": root:" + group + " " + mode + ", " + have);
    return found;
}

// The binaries: via itself (this file), and the launcher installed as
// `via`, which hands it everything but a launch's fast path; then
// the caller. Returns whether this via holds its capabilities (member or
// root).
bool check_installation(Findings& f) {
    const std::string path = own_file();
    const auto st = check_file(f, path);
    if (!st) return false;
    const std::string group = accounts::group_name(st->st_gid);
    const std::string launcher = path.substr(0, path.rfind('/') + 1) + VIA_TO_LAUNCHER;
    if (::access(launcher.c_str(), F_OK) == 0)
        check_file(f, launcher);
    else
        f.add(Level::warn, "no launcher at " + launcher + ": members run via itself, " + path + ", at its speed",
              "reinstall via (scripts/setup, or the Debian package)");

    const uid_t uid = ::getuid();
    if (uid == 0) {
        f.add(Level::ok, "you are root");
        return true;
    }
    if (!accounts::in_group(st->st_gid)) {
        const std::string user = accounts::caller().user;
        f.add(Level::fail, "you (" + user + ") are not in group " + group + ", whose members may use via",
              "as root: usermod -aG " + group + " " + user + ", then log in again");
        return false;
    }
    f.add(Level::ok, "you are in group " + group);
    return true;
}

// Whether this kernel takes via's programs, and which way it marks
// sockets: tried for real (loaded, then let go), not guessed from its
// version.
void check_programs(Findings& f) {
    std::string marker;
    try {
        privilege::RootFiles as_root;
        privilege::Effective sys_admin({CAP_SYS_ADMIN});
        marker = programs::trial_load();
    } catch (const Error& e) {
        f.add(Level::fail, e.code().value() ? e.what() : e.context(), e.hint());
        return;
    }
    f.add(Level::ok, "the kernel takes via's bpf programs; sockets are marked by " + marker);
    if (marker.rfind("lsm_cgroup/", 0) != 0) return;
    // An LSM program runs only where the BPF LSM is active: the trial did
    // not take it where securityfs says it is not; where that cannot be
    // seen, each launch proves it on a socket of its own.
    if (const auto lsms = programs::active_lsms())
        f.add(Level::ok, "the BPF LSM is active (" + *lsms + ")");
    else
        f.add(Level::skip, "the active LSMs (no /sys/kernel/security/lsm): each launch checks its socket's mark");
}

void check_kernel(Findings& f, bool privileged) {
    try {
        const auto mount = cgroup::find_mount();
        f.add(Level::ok, "cgroup2 is mounted at " + mount.point);
    } catch (const Error& e) {
        f.add(Level::fail, e.context(), e.hint());
    }
    struct stat st {};
    if (::stat("/sys/kernel/btf/vmlinux", &st) == 0)
        f.add(Level::ok, "the kernel has BTF, which via's bpf programs need (task storage, tp_btf)");
    else
        f.add(Level::fail, "the kernel has no BTF (/sys/kernel/btf/vmlinux)",
              "use a kernel built with CONFIG_DEBUG_INFO_BTF=y (Debian's are), 5.11 or newer");
    try {
        const auto rules = rtnl::ip_rules();
        if (rules.empty())
            f.add(Level::fail, "no ip rules: policy routing is missing",
                  "use a kernel with CONFIG_IP_MULTIPLE_TABLES (Debian's has it)");
        else
            f.add(Level::ok, "policy routing (" + std::to_string(rules.size()) + " ip rules)");
    } catch (const Error& e) {
        f.add(Level::fail, e.what(), "use a kernel with CONFIG_IP_MULTIPLE_TABLES (Debian's has it)");
    }
    if (!privileged) {
        f.add(Level::skip, "via's bpf programs and nftables table (they need via's capabilities)");
        return;
    }
    check_programs(f);
    try {
        privilege::Effective net_admin({CAP_NET_ADMIN});
        const auto rules_now = firewall::existing();
        f.add(Level::ok, "nftables answers (table inet via: " + std::to_string(rules_now.size()) + " rules)");
    } catch (const Error& e) {
        f.add(Level::fail, "nftables: " + std::string(e.what()),
              "via needs nf_tables with socket, ct and masquerade (Debian's kernel has them)");
    }
}

void check_uplink(Findings& f, const std::string& name, bool privileged) {
    if (!privileged) {
        f.add(Level::skip, "uplink " + name + " (join group via first)");
        return;
    }
    cli::Options options;
    options.uplink = name;
    Decision d;
    try {
        d = decide(options);
        f.add(Level::ok, "you may use " + (d.grant.uplink == d.grant.interface ? "interface " + name
                                                                                 : "uplink " + d.grant.uplink + " (interface " + d.grant.interface + ")"));
    } catch (const Error& e) {
        f.add(Level::fail, e.context(), e.hint());
        return;
    }
    const Report quiet(false);
    ensure::Target target;
    try {
        target = ensure::validate(request_for(d.grant, d.dedicated), quiet);
    } catch (const Error& e) {
        f.add(Level::fail, e.code().value() ? e.what() : e.context(), e.hint());
        return;
    }
    const auto& up = target.up;
    std::string addresses;
    for (const auto& a : up.ipv4) addresses += (addresses.empty() ? "" : ", ") + a;
    f.add(Level::ok, up.name + " (ifindex " + std::to_string(up.ifindex) + ") has " + addresses + ", next hop " +
                         up.next_hop.gateway.value_or("on link"));
    if (up.next_hop6)
        f.add(Level::ok, up.name + " carries IPv6 (" + up.ipv6.front() + ")");
    else
        f.add(Level::warn, up.no_ipv6 + ": programs on it get no IPv6 (refused, not leaked)");

    const auto servers = name_servers(d.grant);
    if (!servers.empty()) {
        std::string list;
        for (const auto& s : servers) list += (list.empty() ? "" : ", ") + s;
        f.add(Level::ok, "DNS through " + up.name + ": " + list + " (from " +
                             (d.grant.dns.empty() ? "systemd-resolved, for this link" : "the configuration") + ")");
    } else if (const std::string why = dns::elsewhere(up); !why.empty()) {
        f.add(Level::warn, "DNS: " + why,
              "give the uplink its servers (dns = in /etc/via/via.conf), or launch with --dns ADDR");
    } else {
        f.add(Level::ok, "DNS: the system's name servers, reached through " + up.name);
    }

    const auto rules = rtnl::ip_rules();
    const auto pref = routing::choose_pref(rules, {target.ids.mark, target.ids.open_mark});
    const auto warnings = checks::gather(target.ids.mark, pref, rules);
    for (const auto& w : warnings) f.add(Level::warn, w.substr(w.find('\t') + 1));
    if (warnings.empty()) f.add(Level::ok, "nothing known here deletes via's rules or takes its packets");
}

// /etc/via's rules: each one valid (file:line when not), its uplink
// there, and forwarding on where a rule routes for the LAN.
void check_rules(Findings& f, bool privileged) {
    config::Config conf;
    try {
        conf = root_config();
    } catch (const Error& e) {
        f.add(Level::fail, e.context(), e.hint());
        return;
    }
    if (conf.rules.empty()) return;
    const auto compiled = rules::compile(conf, rules::system_accounts());
    if (const auto* e = std::get_if<config::ParseError>(&compiled)) {
        f.add(Level::fail, e->text(), "fix the rule (see via.conf(5)); via repair refuses the file until then");
        return;
    }
    const auto& plan = std::get<rules::Plan>(compiled);
    bool lan = false;
    for (const auto& r : plan.rules) {
        lan = lan || r.lan;
        const std::string what = "rule " + r.name + " sends " + rules::describe(*std::find_if(
            conf.rules.begin(), conf.rules.end(), [&](const config::Rule& c) { return c.name == r.name; })) +
            " by " + r.interface;
        if (::if_nametoindex(r.interface.c_str()) == 0)
            f.add(Level::warn, what + ", which does not exist now: that traffic goes nowhere until it does");
        else
            f.add(Level::ok, what);
    }
    if (lan) {
        if (read_file("/proc/sys/net/ipv4/ip_forward").rfind('1', 0) != 0)
            f.add(Level::warn, "IPv4 forwarding is off: the LAN rules' clients are not routed (via never turns it on)",
                  "sysctl -w net.ipv4.ip_forward=1 (and in /etc/sysctl.d to keep it)");
        else
            f.add(Level::ok, "IPv4 forwarding is on, for the LAN rules");
    }
    if (!privileged) f.add(Level::skip, "whether the rules are in place (join group via first)");
}

}  // namespace

int check(const cli::Check& options) {
    Findings f;
    bool privileged = check_installation(f);
    if (privileged) {
        try {
            privilege::check();
        } catch (const Error& e) {
            f.add(Level::fail, e.context(), e.hint());
            privileged = false;
        }
    }
    check_kernel(f, privileged);
    check_rules(f, privileged);
    if (options.uplink) check_uplink(f, *options.uplink, privileged);
    try {
        privilege::drop_all();
    } catch (const std::exception&) {
        // nothing was raised that matters now: check changes nothing
    }
    if (f.failed()) {
        std::puts("\nvia would not work: fix what says FAIL above.");
        return 1;
    }
    std::printf("\n%s\n", options.uplink ? ("via " + *options.uplink + " -- PROGRAM should work.").c_str()
                                         : "via is ready; 'via check UPLINK' checks an uplink too.");
    return 0;
}

int refuse_outsider() {
    std::fputs("via: you are not in group via, whose members may use via\n"
               "hint: ask root to run 'usermod -aG via $USER', then log in again; 'via check' says what else "
               "is missing\n",
               stderr);
    return owned::exit_failure;
}

}  // namespace via::commands
