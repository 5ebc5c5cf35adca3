// via repair [UPLINK...]: ensure again, for the programs already running,
// what via set up for the uplinks it serves (all of them, or those named):
// routes a network manager deleted with an address, ip rules networkd
// removed, an nft table a firewall reload flushed, unpinned programs. The
// network managers' hooks call it. An uplink that is gone or down is left
// alone: its kill switch holds until it comes back.
#include <algorithm>
#include <cstdio>

#include <sys/stat.h>

#include "via/commands.hpp"
#include "via/constants.hpp"
#include "via/ensure.hpp"
#include "via/error.hpp"
#include "via/privilege.hpp"
#include "via/served.hpp"

namespace via::commands {

int repair(const cli::Repair& options) {
    ::umask(constants::umask);
    const Report report(options.verbose);
    try {
        privilege::check();
        std::vector<served::Uplink> uplinks;
        {
            privilege::RootFiles as_root;
            uplinks = served::all();
        }
        if (!options.uplinks.empty())
            std::erase_if(uplinks, [&](const served::Uplink& u) {
                return std::find(options.uplinks.begin(), options.uplinks.end(), u.name) == options.uplinks.end();
            });
        for (const auto& u : uplinks) {
            const ensure::Request request{u.name, u.gateway, u.gateway6, !u.open, {}};
            std::optional<ensure::Target> target;
            try {
                target = ensure::validate(request, report);
            } catch (const Error& e) {
                report.note("not repairing " + u.name + ": " + e.context());
                continue;
            }
            ensure::apply(*target, request, report);  // (its priority: what the rules need now)
        }
        privilege::drop_all();
    } catch (const std::exception& e) {
        return failed(e);
    }
    return 0;
}

}  // namespace via::commands
