// via desktop UPLINK APP: writes a menu entry that starts APP via UPLINK to
// ~/.local/share/applications, as the caller, with no capability.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "admin/commands.hpp"
#include "admin/desktop.hpp"
#include "launch/error.hpp"
#include "launch/files.hpp"
#include "launch/privilege.hpp"
#include "owned.hpp"

namespace via::commands {
namespace {

bool is_file(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string find_entry(const std::string& app, const std::vector<std::string>& dirs) {
    if (app.find('/') != std::string::npos) {
        if (!is_file(app)) throw Error("no desktop entry at " + app);
        return app;
    }
    const std::string file = app.ends_with(".desktop") ? app : app + ".desktop";
    for (const auto& d : dirs)
        if (is_file(d + "/" + file)) return d + "/" + file;
    std::string where;
    for (const auto& d : dirs) where += (where.empty() ? "" : ", ") + d;
    throw Error("no application '" + desktop::app_id_of(app) + "' in " + where,
                "name it by its desktop file id (ls /usr/share/applications), or give the .desktop file's path");
}

}  // namespace

int desktop(const cli::Desktop& options) {
    try {
        privilege::drop_all();  // the caller's files, as the caller
        const char* home = std::getenv("HOME");
        if (!home || *home != '/') throw Error("HOME is not set", "run via desktop from your session");
        const auto dirs = desktop::search_dirs(std::getenv("XDG_DATA_HOME"), std::getenv("XDG_DATA_DIRS"), home);
        const std::string source = find_entry(options.app, dirs);
        const std::string app_id = desktop::app_id_of(source);
        const std::string data = dirs.front().substr(0, dirs.front().rfind('/'));  // $XDG_DATA_HOME
        const auto wrapped =
            desktop::wrap(read_file(source), {options.uplink, app_id, "via", data + "/via/profiles"});
        if (!wrapped.error.empty()) throw Error(source + ": " + wrapped.error);
        const std::string target = dirs.front() + "/" + desktop::wrapped_id(options.uplink, app_id);
        make_parents(target);
        replace_file(target, wrapped.entry);
        std::printf("wrote %s\nIts menu entry starts %s via %s; remove the file to remove it.\n", target.c_str(),
                    app_id.c_str(), options.uplink.c_str());
    } catch (const std::exception& e) {
        return failed(e);
    }
    return 0;
}

}  // namespace via::commands
