#include "launch/grant.hpp"

#include "launch/accounts.hpp"
#include "launch/dns.hpp"
#include "launch/error.hpp"
#include "launch/privilege.hpp"
#include "launch/served.hpp"

namespace via::commands {

config::Config root_config() {
    privilege::RootFiles as_root;
    return config::load();
}

Decision decide(const cli::Options& options) {
    const config::Config conf = root_config();
    const config::Ask ask{options.uplink, options.gateway, options.gateway6, options.dns, !options.kill_switch,
                          options.as_user};
    auto decision = config::decide(conf, accounts::caller(config::names_needed(conf, ask)), ask);
    if (const auto* no = std::get_if<config::Refusal>(&decision)) throw Error(no->message, no->hint);
    Decision d{std::get<config::Grant>(decision), std::nullopt};
    // The uplink's dedicated user, for the kernel to mark its sockets by
    // uid: made by `via adduser`, never here.
    if (const config::Uplink* section = config::find(conf, d.grant.uplink)) d.dedicated = ensure::dedicated_user(*section);
    return d;
}

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

std::vector<std::string> name_servers(const config::Grant& grant) {
    if (!grant.dns.empty()) return grant.dns;
    return dns::resolved_servers(grant.interface);
}

}  // namespace via::commands
