#include "launch/lock.hpp"

#include <cerrno>
#include <ctime>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "kernel/cgroup.hpp"
#include "launch/error.hpp"
#include "launch/files.hpp"
#include "launch/text.hpp"
#include "owned.hpp"

namespace via::lock {

namespace {
constexpr const char* file = owned::lock_file;

int open_file() { return ::open(file, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600); }

}  // namespace

std::optional<pid_t> holder_in(std::string_view locks, dev_t dev, ino_t ino) {
    // "1: FLOCK  ADVISORY  WRITE 1234 00:1a:5678 0 EOF" (device in hex).
    char id[64];
    std::snprintf(id, sizeof id, "%02x:%02x:%lu", major(dev), minor(dev), static_cast<unsigned long>(ino));
    for (const auto line : text::lines(locks)) {
        const auto w = text::words(line);
        if (w.size() < 6 || w[1] != "FLOCK" || w[5] != id) continue;
        pid_t pid = 0;
        if (text::number(w[4], pid) && pid > 0) return pid;
    }
    return std::nullopt;
}

bool stopped(std::string_view stat, std::string_view events) {
    // The state follows the command's closing parenthesis: T stopped, t traced.
    const std::size_t paren = stat.rfind(')');
    if (paren != std::string_view::npos && paren + 2 < stat.size() && (stat[paren + 2] == 'T' || stat[paren + 2] == 't'))
        return true;
    for (const auto line : text::lines(events))
        if (line == "frozen 1") return true;
    return false;
}

namespace {

// Whether the process holding the lock is stopped or frozen (its caller
// can do that to it), as far as this process can see.
bool holder_stopped(int fd) {
    struct stat st {};
    if (::fstat(fd, &st) < 0) return false;
    const auto pid = holder_in(read_file("/proc/locks"), st.st_dev, st.st_ino);
    if (!pid) return false;
    const std::string proc = "/proc/" + std::to_string(*pid);
    std::string events;
    try {
        for (const auto line : text::lines(read_file(proc + "/cgroup")))
            if (line.starts_with("0::"))
                events = read_file(cgroup::find_mount().point + std::string(line.substr(3)) + "/cgroup.events");
    } catch (const Error&) {
        // No cgroup2 mount to look in: the process's own state only.
    }
    return stopped(read_file(proc + "/stat"), events);
}

}  // namespace

UniqueFd acquire() {
    UniqueFd fd(open_file());
    // /run/via is made once per boot, by the first via to lock.
    if (!fd && errno == ENOENT) {
        if (::mkdir(owned::run_dir, 0755) < 0 && errno != EEXIST)
            throw errno_error(std::string("creating ") + owned::run_dir);
        // 0755 whatever the umask of the command that came first.
        if (::chmod(owned::run_dir, 0755) < 0) throw errno_error(std::string("setting the mode of ") + owned::run_dir);
        fd.reset(open_file());
    }
    if (!fd) throw errno_error(std::string("opening ") + file);
    // flock() has no timeout: try, then sleep a little longer each time
    // (1 ms doubling up to 16 ms). Past the patience, each try also looks
    // at the holder: stopped or frozen, it is not waited for; busy (a slow
    // machine, many launches at once), up to `limit`.
    const auto start = std::chrono::steady_clock::now();
    for (long pause_ms = 1;; pause_ms = pause_ms < 16 ? pause_ms * 2 : 16) {
        if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) return fd;
        if (errno != EWOULDBLOCK && errno != EINTR) throw errno_error(std::string("locking ") + file);
        const auto waited = std::chrono::steady_clock::now() - start;
        if (waited >= limit || (waited >= patience && holder_stopped(fd.get()))) return UniqueFd{};
        const timespec pause{0, pause_ms * 1'000'000};
        ::nanosleep(&pause, nullptr);
    }
}

}  // namespace via::lock
