// via desktop UPLINK APP: writes a menu entry that starts APP via UPLINK to
// ~/.local/share/applications, as the caller, with no capability.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "via/commands.hpp"
#include "via/constants.hpp"
#include "via/desktop.hpp"
#include "via/error.hpp"
#include "via/files.hpp"
#include "via/handle.hpp"
#include "via/privilege.hpp"

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

void make_dirs(const std::string& path) {
    for (std::size_t at = 1; (at = path.find('/', at)) != std::string::npos; ++at)
        if (::mkdir(path.substr(0, at).c_str(), 0755) < 0 && errno != EEXIST)
            throw errno_error("creating " + path.substr(0, at));
    if (::mkdir(path.c_str(), 0755) < 0 && errno != EEXIST) throw errno_error("creating " + path);
}

void write_atomically(const std::string& path, const std::string& text) {
    const std::string tmp = path + ".new";
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644));
    if (!fd || ::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
        throw errno_error("writing " + tmp);
    if (::rename(tmp.c_str(), path.c_str()) < 0) throw errno_error("writing " + path);
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
        make_dirs(dirs.front());
        const std::string target = dirs.front() + "/" + desktop::wrapped_id(options.uplink, app_id);
        write_atomically(target, wrapped.entry);
        std::printf("wrote %s\nIts menu entry starts %s via %s; remove the file to remove it.\n", target.c_str(),
                    app_id.c_str(), options.uplink.c_str());
    } catch (const std::exception& e) {
        return failed(e);
    }
    return 0;
}

}  // namespace via::commands
