// via UPLINK -- PROGRAM: run PROGRAM so that all of its traffic leaves by UPLINK.
//
// Check privileges, find PROGRAM and validate the uplink (nothing changes
// before this point), ensure the uplink's routing, firewall and socket
// marking, tag via's own process with the uplink, drop every capability,
// exec. The program is not moved to another cgroup: it stays in the
// caller's session.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <variant>
#include <vector>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launch/accounts.hpp"
#include "launch/checks.hpp"
#include "launch/config.hpp"
#include "launch/dns.hpp"
#include "launch/ensure.hpp"
#include "launch/error.hpp"
#include "launch/exec.hpp"
#include "launch/grant.hpp"
#include "launch/handle.hpp"
#include "launch/instances.hpp"
#include "launch/launch.hpp"
#include "launch/privilege.hpp"
#include "launch/report.hpp"
#include "launch/served.hpp"
#include "launch/sockmark.hpp"
#include "launch/stages.hpp"
#include "owned.hpp"

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

// `sudo via ...` runs the program as root: rarely what was meant, since
// members of group via need no sudo.
void note_sudo(const std::vector<std::string>& env, const std::string& program) {
    const bool sudo = std::any_of(env.begin(), env.end(), [](const std::string& e) { return e.starts_with("SUDO_UID="); });
    if (!sudo) return;
    std::fprintf(stderr,
                 "via: note: %s runs as root, because via was started with sudo\n"
                 "hint: to run it as yourself, leave out sudo (members of group via need none)\n",
                 program.c_str());
}

// A launch from a menu has no terminal: the failure is also shown as a
// desktop notification (notify-send, as the caller: every capability is
// dropped by now). Best effort.
void notify(const std::vector<std::string>& env, const std::string& summary, const std::string& body) {
    const auto found = exec::resolve("notify-send", exec::find_path(env));
    const auto* path = std::get_if<std::string>(&found);
    if (!path) return;
    const pid_t child = ::fork();
    if (child == 0) {
        exec::run(*path, {"notify-send", "--app-name=via", "--urgency=critical", "--icon=network-error", summary, body},
                  env);
        ::_exit(127);
    }
    if (child > 0) ::waitpid(child, nullptr, 0);
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

// A program run as an uplink's dedicated user shares that uid with the
// user's services and with every as-user member's programs, any of which
// may ptrace it: it must not hold the caller's controlling terminal, through
// which they could push keystrokes into the caller's shell (TIOCSTI). It
// keeps the terminal as its stdin, stdout and stderr, and its process
// group (Ctrl-C still reaches it).
void give_up_terminal() {
    UniqueFd tty(::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!tty) return;  // none to give up
    if (::ioctl(tty.get(), TIOCNOTTY) < 0) throw errno_error("giving up the caller's controlling terminal");
}

// How long a launch may take before it decides again under the lock.
constexpr std::chrono::milliseconds stale_after{500};

}  // namespace

int launch(const cli::Options& options, Ensure how, HandOver hand_over) {
    const auto started = std::chrono::steady_clock::now();
    // What via creates (/run/via, its pins) gets the same modes whatever the
    // caller's umask; the program gets the caller's umask back.
    const mode_t caller_umask = ::umask(owned::umask);
    const Report report(options.verbose);
    std::vector<std::string> env;
    std::string program;
    bool ensured = false;
    bool checked = false;  // a launcher lacking its own privileges says so itself
    try {
        privilege::check();
        checked = true;
        env = privilege::caller_environment();
        VIA_STAGE("privileges and environment");
        // Who may do what (nothing changes before the program is found).
        const Decision decision = decide(options);
        const config::Grant& grant = decision.grant;  // (no structured binding: lambdas below capture it)
        const auto& dedicated = decision.dedicated;
        VIA_STAGE("configuration and grant");
        const std::optional<accounts::Account> as_user =
            grant.as_user ? std::optional(accounts::dedicated_user(grant.uplink)) : std::nullopt;
        // Found before anything changes, so a typo leaves no state behind;
        // checked as the caller (no capability is effective here).
        auto found = exec::resolve(options.command[0], exec::find_path(env));
        if (const auto* f = std::get_if<exec::Failure>(&found)) {
            if (hand_over) hand_over();
            privilege::drop_all();
            if (options.notify) notify(env, "via could not start " + options.command[0], f->message);
            return fail(f->message, f->exit_code);
        }
        program = std::get<std::string>(found);
        VIA_STAGE("program found");

        // Asked before the lock is taken (resolved may be slow); a name
        // that is no interface gets its error from the ensure.
        const auto servers = name_servers(grant);
        VIA_STAGE("name servers");
        ensure::Converged converged;
        // What this launch decided, decided again (under the lock): when it
        // took long enough to have been stopped (SIGSTOP) before the lock,
        // or when another via wrote the uplink's note meanwhile. Changed, it
        // stops there: it would write back what root has replaced, or
        // launch what root has revoked.
        ensure::Recheck recheck;
        {
            // Root's file identity once for these three (their own scopes nest).
            privilege::RootFiles as_root;
            const ensure::Request request = request_for(grant, dedicated);
            VIA_STAGE("request");
            refuse_switching(request.uplink);
            VIA_STAGE("own tag read");
            recheck = [&options, &started, grant, key = ensure::key(request)](bool others_wrote) {
                if (!others_wrote && std::chrono::steady_clock::now() - started < stale_after) return;
                const Decision again = decide(options);  // throws a refusal
                if (again.grant != grant || ensure::key(request_for(again.grant, again.dedicated)) != key)
                    throw Error("the configuration or the uplink's gateways changed while this launch waited",
                                "run it again");
            };
            // Tagged under the lock: from then on `via gc` sees the uplink in use.
            converged = how(request, report, [&](const ensure::Target& target) {
                privilege::Effective sys_admin({CAP_SYS_ADMIN});
                sockmark::tag_self({target.up.name, target.ids.mark, grant.kill_switch, servers});
                VIA_STAGE("tagged");
            }, recheck);
        }
        // A launch stopped after the lock: root may have revoked its grant
        // since (it runs nothing then, as if it had been stopped before).
        if (std::chrono::steady_clock::now() - started >= stale_after) {
            privilege::RootFiles as_root;
            recheck(true);
        }
        ensured = true;
        VIA_STAGE("unlocked");
        const auto& target = converged.target;
        note_running_instance(program, target.up.name);
        VIA_STAGE("running instances");
        // Verified by the stamp, the ip rules are those of the last full
        // ensure, whose warnings about them were said then; what the
        // machine's files say is looked at every time.
        const ensure::Applied none;
        const ensure::Applied& applied = converged.applied ? *converged.applied : none;
        say_what_breaks(checks::gather(target.ids.mark, applied.pref, applied.rules));
        VIA_STAGE("warnings");
        if (servers.empty()) {
            dns::warn_if_elsewhere(target.up);
        } else {
            privilege::RootFiles as_root;
            privilege::Effective sys_admin({CAP_SYS_ADMIN});
            dns::isolate(servers);
        }
        VIA_STAGE("dns");
        if (as_user) {
            give_up_terminal();
            accounts::become(*as_user);
        }
        privilege::drop_all();
        // A resolver the caller chose must not reach setuid programs.
        if (grant.dns_from_caller && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) throw errno_error("setting no_new_privs");
        if (::getuid() == 0) note_sudo(env, program);
        VIA_STAGE("privileges dropped");
    } catch (const std::exception& e) {
        if (hand_over && checked && !ensured) hand_over();
        std::string shown;
        const int code = failed(e, &shown);
        std::fprintf(stderr, "hint: 'via check %s' says what works and what to fix\n", options.uplink.c_str());
        if (options.notify) notify(env, "via could not start " + options.command[0], shown);
        return code;
    }

    VIA_STAGES_PRINT();
    ::umask(caller_umask);
    const auto failure = exec::run(program, options.command, env);
    if (options.notify) notify(env, "via could not start " + options.command[0], failure.message);
    return fail(failure.message, failure.exit_code);
}

int failed(const std::exception& e, std::string* shown) {
    try {
        privilege::drop_all();
    } catch (const std::exception&) {
        // Exiting anyway; the error that brought us here is the one to show.
    }
    const auto* ours = dynamic_cast<const Error*>(&e);
    const std::string text = ours ? render(*ours) : ("via: " + std::string(e.what()) + "\n");
    std::fputs(text.c_str(), stderr);
    if (shown) *shown = text;
    return owned::exit_failure;
}

}  // namespace via::commands
