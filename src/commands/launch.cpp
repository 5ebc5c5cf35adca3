// via UPLINK -- PROGRAM: run PROGRAM so that all of its traffic leaves by UPLINK.
//
// Check privileges, find PROGRAM and validate the uplink (nothing changes
// before this point), ensure the uplink's routing, firewall and socket
// marking, tag via's own process with the uplink, drop every capability,
// exec. The program is not moved to another cgroup: it stays in the
// caller's session.
#include <cstdio>
#include <string>
#include <variant>
#include <vector>

#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "via/accounts.hpp"
#include "via/checks.hpp"
#include "via/config.hpp"
#include "via/commands.hpp"
#include "via/constants.hpp"
#include "via/dns.hpp"
#include "via/ensure.hpp"
#include "via/error.hpp"
#include "via/exec.hpp"
#include "via/instances.hpp"
#include "via/privilege.hpp"
#include "via/report.hpp"
#include "via/served.hpp"
#include "via/sockmark.hpp"

namespace via::commands {
namespace {

int fail(const std::string& message, int code) {
    std::fprintf(stderr, "via: %s\n", message.c_str());
    return code;
}

// A program launched via an uplink never leaves it: not by calling via
// again for another one.
void refuse_switching(const std::string& uplink) {
    privilege::RootFiles as_root;
    privilege::Effective sys_admin({CAP_SYS_ADMIN});
    if (const auto tag = sockmark::tag_of(::getpid()); tag && tag->uplink != uplink)
        throw Error("this process already runs via " + tag->uplink +
                        ", and a program launched via an uplink never leaves it",
                    "run via " + uplink + " from a shell that was not itself started by via");
}

// A running instance of the program that is not on the uplink may take
// this launch's request (a URL for a browser) and send it by its own route.
void note_running_instance(const std::string& program, const std::string& uplink) {
    const auto comm = instances::comm_of(program);
    if (!comm) return;
    for (const pid_t pid : instances::find(*comm, ::getuid())) {
        std::optional<sockmark::Tag> tag;
        try {
            privilege::RootFiles as_root;
            privilege::Effective sys_admin({CAP_SYS_ADMIN});
            tag = sockmark::tag_of(pid);
        } catch (const Error&) {
            continue;  // gone meanwhile
        }
        if (tag && tag->uplink == uplink) continue;
        const std::string how = instances::recipe(*comm);
        std::fprintf(stderr,
                     "via: note: %s already runs (pid %d), not via %s: it may take this request and send it by "
                     "its own route\nhint: %s\n",
                     comm->c_str(), static_cast<int>(pid), uplink.c_str(),
                     how.empty() ? "quit it first, or start this one with a profile or socket of its own"
                                 : ("start a separate instance: " + how).c_str());
        return;
    }
}

// Once per boot, briefly: what on this machine will break via.
void say_what_breaks(const std::vector<std::string>& warnings) {
    if (warnings.empty()) return;
    std::vector<std::string> fresh;
    {
        privilege::RootFiles as_root;
        fresh = checks::unsaid(warnings);
    }
    for (const auto& w : fresh) std::fprintf(stderr, "via: warning: %s\n", w.substr(w.find('\t') + 1).c_str());
}

struct Decision {
    config::Grant grant;
    std::optional<ensure::DedicatedUser> dedicated;  // the uplink's, if it has one
};

// What the configuration lets this caller do with this command line.
Decision decide(const cli::Options& options) {
    config::Config conf;
    {
        privilege::RootFiles as_root;  // /etc/via may be closed to members
        conf = config::load();
    }
    const config::Ask ask{options.uplink, options.gateway, options.gateway6, options.dns, !options.kill_switch,
                          options.as_user};
    auto decision = config::decide(conf, accounts::caller(), ask);
    if (const auto* no = std::get_if<config::Refusal>(&decision)) throw Error(no->message, no->hint);
    Decision d{std::get<config::Grant>(decision), std::nullopt};
    // The uplink's dedicated user, for the kernel to mark its sockets by
    // uid: made by `via adduser`, never here.
    if (const config::Uplink* section = config::find(conf, d.grant.uplink)) d.dedicated = ensure::dedicated_user(*section);
    return d;
}

// The request for the uplink: the granted gateways, else those root (or
// an admin) gave an earlier launch, which hold for everybody's.
ensure::Request request_for(const config::Grant& grant, const std::optional<ensure::DedicatedUser>& dedicated) {
    ensure::Request r{grant.interface, grant.gateway, grant.gateway6, grant.kill_switch, dedicated};
    if (r.gateway && r.gateway6) return r;
    std::optional<served::Uplink> before;
    {
        privilege::RootFiles as_root;
        before = served::read(grant.interface);
    }
    if (before) {
        if (!r.gateway) r.gateway = before->gateway;
        if (!r.gateway6) r.gateway6 = before->gateway6;
    }
    return r;
}

// The launch's name servers: its own, else the uplink's.
std::vector<std::string> name_servers(const config::Grant& grant, int ifindex) {
    if (!grant.dns.empty()) return grant.dns;
    return dns::resolved_servers(ifindex);
}

std::vector<dns::Lan> lans_of(const uplink::Uplink& up) {
    std::vector<dns::Lan> out;
    for (const auto& n : up.connected) out.push_back({n.dev, uplink::prefix_of(n)});
    return out;
}

}  // namespace

int launch(const cli::Options& options) {
    // What via creates (/run/via, its pins) gets the same modes whatever the
    // caller's umask; the program gets the caller's umask back.
    const mode_t caller_umask = ::umask(constants::umask);
    const Report report(options.verbose);
    std::vector<std::string> env;
    std::string program;
    try {
        privilege::check();
        {
            privilege::RootFiles as_root;
            env = privilege::caller_environment();
        }
        // Who may do what (nothing changes before the program is found).
        const auto [grant, dedicated] = decide(options);
        const std::optional<accounts::Account> as_user =
            grant.as_user ? std::optional(accounts::dedicated_user(grant.uplink)) : std::nullopt;
        // Found before anything changes, so a typo leaves no state behind;
        // checked as the caller (no capability is effective here).
        auto found = exec::resolve(options.command[0], exec::find_path(env));
        if (const auto* f = std::get_if<exec::Failure>(&found)) {
            privilege::drop_all();
            return fail(f->message, f->exit_code);
        }
        program = std::get<std::string>(found);

        const ensure::Request request = request_for(grant, dedicated);
        const auto target = ensure::validate(request, report);
        refuse_switching(target.up.name);
        const auto applied = ensure::apply(target, request, report);
        const auto servers = name_servers(grant, target.up.ifindex);
        {
            privilege::RootFiles as_root;
            privilege::Effective sys_admin({CAP_SYS_ADMIN});
            sockmark::tag_self({target.up.name, target.ids.mark, grant.kill_switch, servers});
        }
        note_running_instance(program, target.up.name);
        say_what_breaks(checks::gather(target.ids.mark, applied.pref, applied.rules));
        if (servers.empty()) {
            dns::warn_if_elsewhere(target.up.name, lans_of(target.up));
        } else {
            privilege::RootFiles as_root;
            privilege::Effective sys_admin({CAP_SYS_ADMIN});
            dns::isolate(servers);
        }
        if (as_user) accounts::become(*as_user);
        privilege::drop_all();
        // A resolver the caller chose must not reach setuid programs.
        if (grant.dns_from_caller && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) throw errno_error("setting no_new_privs");
    } catch (const std::exception& e) {
        return failed(e);
    }

    ::umask(caller_umask);
    const auto failure = exec::run(program, options.command, env);
    return fail(failure.message, failure.exit_code);
}

int failed(const std::exception& e) {
    try {
        privilege::drop_all();
    } catch (const std::exception&) {
        // Exiting anyway; the error that brought us here is the one to show.
    }
    const auto* ours = dynamic_cast<const Error*>(&e);
    std::fputs(ours ? render(*ours).c_str() : ("via: " + std::string(e.what()) + "\n").c_str(), stderr);
    return constants::exit_failure;
}

}  // namespace via::commands
