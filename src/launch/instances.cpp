#include "launch/instances.hpp"

#include <functional>

#include <algorithm>
#include <array>
#include <cctype>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launch/handle.hpp"

namespace via::instances {
namespace {

// Commands that many unrelated programs run as: a match says nothing.
constexpr std::array<std::string_view, 17> generic = {
    "sh", "bash", "dash", "zsh", "fish", "env", "python", "python3", "perl", "ruby", "node",
    "java", "sudo", "xdg-open", "gio", "flatpak", "true"};

struct Recipe {
    std::string_view prefix;  // of the comm
    std::string_view how;
};

// Browsers, Electron apps, and the tools that multiplex over one process.
constexpr std::array<Recipe, 11> recipes = {{
    {"firefox", "firefox --new-instance --profile DIR (a profile of its own for this uplink)"},
    {"librewolf", "librewolf --new-instance --profile DIR"},
    {"thunderbird", "thunderbird --new-instance --profile DIR"},
    {"chrom", "chromium --user-data-dir=DIR (Chrome, Brave, Electron apps: the same option)"},
    {"google-chrome", "google-chrome --user-data-dir=DIR"},
    {"brave", "brave-browser --user-data-dir=DIR"},
    {"code", "code --user-data-dir=DIR"},
    {"ssh", "ssh -S none (or -o ControlPath=none): no shared master connection"},
    {"tmux", "tmux -L via (a server of its own)"},
    {"gnome-terminal", "a terminal that does not hand windows to a running server, e.g. xterm"},
    {"kitty", "kitty --single-instance=no"},
}};

}  // namespace

std::optional<std::string> comm_of(std::string_view program) {
    const auto slash = program.rfind('/');
    std::string name(slash == std::string_view::npos ? program : program.substr(slash + 1));
    name = name.substr(0, 15);  // TASK_COMM_LEN - 1
    if (name.empty() || std::find(generic.begin(), generic.end(), name) != generic.end()) return std::nullopt;
    return name;
}

std::string recipe(std::string_view comm) {
    for (const auto& r : recipes)
        if (comm.substr(0, r.prefix.size()) == r.prefix) return std::string(r.how);
    return {};
}

void each_process(const std::function<void(pid_t, uid_t)>& f) {
    Handle<DIR, closedir> proc(::opendir("/proc"));
    if (!proc) return;
    const pid_t self = ::getpid();
    while (const dirent* e = ::readdir(proc.get())) {
        if (!std::isdigit(static_cast<unsigned char>(e->d_name[0]))) continue;
        const pid_t pid = static_cast<pid_t>(std::stol(e->d_name));
        struct stat st {};
        if (pid != self && ::fstatat(::dirfd(proc.get()), e->d_name, &st, 0) == 0) f(pid, st.st_uid);
    }
}

std::vector<pid_t> find(const std::string& comm, uid_t uid) {
    std::vector<pid_t> out;  // a hint only: never an error
    each_process([&](pid_t pid, uid_t owner) {
        if (owner != uid) return;
        const std::string path = "/proc/" + std::to_string(pid) + "/comm";
        UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        char buf[32] = {};
        const ssize_t n = fd ? ::read(fd.get(), buf, sizeof buf - 1) : -1;
        if (n <= 0) return;
        std::string name(buf, static_cast<std::size_t>(n));
        if (!name.empty() && name.back() == '\n') name.pop_back();
        if (name == comm) out.push_back(pid);
    });
    return out;
}

}  // namespace via::instances
