#include "via/lock.hpp"

#include <cerrno>
#include <ctime>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "via/constants.hpp"
#include "via/error.hpp"

namespace via::lock {

namespace {
constexpr const char* file = "/run/via/lock";

int open_file() { return ::open(file, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600); }
}  // namespace

UniqueFd acquire() {
    UniqueFd fd(open_file());
    // /run/via is made once per boot, by the first via to lock.
    if (!fd && errno == ENOENT) {
        if (::mkdir(constants::run_dir, 0755) < 0 && errno != EEXIST)
            throw errno_error(std::string("creating ") + constants::run_dir);
        fd.reset(open_file());
    }
    if (!fd) throw errno_error(std::string("opening ") + file);
    // flock() has no timeout: try, then sleep a little longer each time
    // (1 ms doubling up to 16 ms) until the patience is spent.
    const auto deadline = std::chrono::steady_clock::now() + patience;
    for (long pause_ms = 1;; pause_ms = pause_ms < 16 ? pause_ms * 2 : 16) {
        if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) return fd;
        if (errno != EWOULDBLOCK && errno != EINTR) throw errno_error(std::string("locking ") + file);
        if (std::chrono::steady_clock::now() >= deadline) return UniqueFd{};
        const timespec pause{0, pause_ms * 1'000'000};
        ::nanosleep(&pause, nullptr);
    }
}

}  // namespace via::lock
