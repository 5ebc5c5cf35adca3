// via adduser UPLINK: root makes the dedicated system user of an uplink of
// /etc/via, via-UPLINK, then ensures the uplink at once when it is up: from
// then on the kernel marks every socket of that user's tasks for the
// uplink, with no launch (services: `User=via-UPLINK`, see README), and
// `via --as-user UPLINK -- PROGRAM` runs programs as it.
#include <cstdio>

#include <sys/stat.h>
#include <unistd.h>

#include "admin/commands.hpp"
#include "admin/converge.hpp"
#include "launch/accounts.hpp"
#include "launch/config.hpp"
#include "launch/error.hpp"
#include "launch/privilege.hpp"
#include "owned.hpp"

namespace via::commands {

int adduser(const cli::AddUser& options) {
    ::umask(owned::umask);
    const Report report(false);
    try {
        if (::getuid() != 0)
            throw Error("via adduser makes a system user: only root may run it", "run it as root: sudo via adduser " +
                                                                                      options.uplink);
        const config::Config conf = config::load();
        const config::Uplink* section = config::find(conf, options.uplink);
        if (!section || section->name != options.uplink)
            throw Error("'" + options.uplink + "' is not an uplink of " + config::main_file,
                        "add a section [uplink " + options.uplink + "] with its interface first; see via.conf(5)");
        const std::string name = owned::user_of(section->name);
        const bool made = accounts::add_dedicated_user(section->name);
        const auto account = accounts::dedicated_user(section->name);
        std::printf("via: %s user %s (uid %u): its programs use uplink %s (interface %s)\n",
                    made ? "made" : "kept the existing", name.c_str(), static_cast<unsigned>(account.uid),
                    section->name.c_str(), section->interface.c_str());
        const ensure::Request request = ensure::request_for(*section);
        try {
            const auto target = ensure::validate(request, report);
            ensure::apply(target, request, report);
        } catch (const Error& e) {
            std::printf("via: note: %s is not ready (%s): its user's sockets are marked once 'via repair %s' "
                        "runs with it up\n",
                        section->interface.c_str(), e.context().c_str(), section->name.c_str());
        }
    } catch (const std::exception& e) {
        return failed(e);
    }
    return 0;
}

}  // namespace via::commands
