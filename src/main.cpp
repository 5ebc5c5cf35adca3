// via UPLINK -- PROGRAM: run PROGRAM so that all of its traffic leaves by UPLINK.
//
// Reads top to bottom: parse, check privileges, validate (nothing changes
// before this point), ensure routing / firewall / socket marking under the
// lock, tag via's own process with the uplink, drop every capability, exec.
#include <cstdio>
#include <exception>
#include <string>
#include <variant>
#include <vector>

#include <sys/capability.h>
#include <unistd.h>

#include "via/cgroup.hpp"
#include "via/cli.hpp"
#include "via/constants.hpp"
#include "via/dns.hpp"
#include "via/error.hpp"
#include "via/exec.hpp"
#include "via/firewall.hpp"
#include "via/ids.hpp"
#include "via/lock.hpp"
#include "via/netlink.hpp"
#include "via/privilege.hpp"
#include "via/report.hpp"
#include "via/routing.hpp"
#include "via/sockmark.hpp"
#include "via/uplink.hpp"

namespace {

int fail(const std::string& message, int code) {
    std::fprintf(stderr, "via: %s\n", message.c_str());
    return code;
}

// Validates the uplink; then, one via at a time, ensures its routing,
// firewall and the BPF programs that mark sockets, tags via's own process
// with the uplink's mark (what it execs inherits the tag) and, with --dns,
// moves it into a private mount namespace. The program is not moved to
// another cgroup: it stays in the caller's session.
void ensure_uplink(const via::cli::Options& options, const via::Report& report) {
    using namespace via;
    using privilege::Effective;
    using privilege::RootFiles;

    // --- read-only: validate the uplink before anything is changed --------
    const auto mount = cgroup::find_mount();
    auto sock = netlink::connect_route();
    const auto up = uplink::discover(sock.get(), options.uplink, options.gateway, options.gateway6);
    if (!up.next_hop6) report.note(up.no_ipv6 + ": the program's IPv6 is refused");
    const auto ids = ids::for_ifindex(up.ifindex);
    if (!ids) throw Error("interface '" + up.name + "' has ifindex " + std::to_string(up.ifindex) +
                          ", beyond via's range of " + std::to_string(constants::max_ifindex));
    {
        RootFiles as_root;
        Effective sys_admin({CAP_SYS_ADMIN});
        if (const auto tag = sockmark::tag_of(::getpid()); tag && tag->uplink != up.name)
            throw Error("this process already runs via " + tag->uplink +
                            ", and a program launched via an uplink never leaves it",
                        "run via " + up.name + " from a shell that was not itself started by via");
    }

    // --- privileged, one via at a time ------------------------------------
    UniqueFd lock;
    {
        RootFiles as_root;
        lock = lock::acquire();
        lock::note_served(up.name);
    }
    {
        Effective net_admin({CAP_NET_ADMIN});
        auto admin_sock = netlink::connect_route();  // opened with CAP_NET_ADMIN effective
        routing::apply(admin_sock.get(), routing::plan(up, *ids, options.kill_switch), report);
        routing::ensure_src_valid_mark(up.name, report);
        firewall::apply(firewall::plan(up.name, *ids, options.dns), report);
    }
    {
        // Last: once sockets are marked at birth, the routing is in place.
        RootFiles as_root;
        Effective sys_admin({CAP_SYS_ADMIN});
        sockmark::ensure(mount, report);
        sockmark::set_uplink(up.name, ids->mark, report);
        sockmark::set_networks(up.connected, report);
        sockmark::tag_self(up.name, ids->mark, options.kill_switch);
    }
    if (options.dns.empty()) {
        dns::warn_if_local_stub(up.name);
    } else {
        RootFiles as_root;
        Effective sys_admin({CAP_SYS_ADMIN});
        dns::isolate(options.dns);
    }
}

}  // namespace

int main(int argc, char** argv) {
    using namespace via;
    const auto parsed = cli::parse(std::vector<std::string>(argv, argv + argc));
    if (const auto* exit = std::get_if<cli::Exit>(&parsed)) {
        std::fputs(exit->out.c_str(), stdout);
        std::fputs(exit->err.c_str(), stderr);
        return exit->code;
    }
    const auto& options = std::get<cli::Options>(parsed);
    const Report report(options.verbose);

    std::vector<std::string> env;
    std::string program;
    try {
        privilege::check();
        {
            privilege::RootFiles as_root;
            env = privilege::caller_environment();
        }
        // Found before anything changes, so a typo leaves no state behind;
        // checked as the caller (no capability is effective here).
        auto found = exec::resolve(options.command[0], exec::find_path(env));
        if (const auto* f = std::get_if<exec::Failure>(&found)) {
            privilege::drop_all();
            return fail(f->message, f->exit_code);
        }
        program = std::get<std::string>(found);

        ensure_uplink(options, report);
        privilege::drop_all();
    } catch (const std::exception& e) {
        try {
            privilege::drop_all();
        } catch (const std::exception&) {
            // Exiting anyway; the error that brought us here is the one to show.
        }
        const auto* ours = dynamic_cast<const Error*>(&e);
        std::fputs(ours ? render(*ours).c_str() : ("via: " + std::string(e.what()) + "\n").c_str(), stderr);
        return constants::exit_failure;
    }

    const auto failure = exec::run(program, options.command, env);
    return fail(failure.message, failure.exit_code);
}
