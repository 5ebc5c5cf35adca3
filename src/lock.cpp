#include "via/lock.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "via/error.hpp"

namespace via::lock {

namespace {
constexpr const char* dir = "/run/via";
constexpr const char* file = "/run/via/lock";

void make_dir(const char* path) {
    if (::mkdir(path, 0755) < 0 && errno != EEXIST) throw errno_error(std::string("creating ") + path);
}
}  // namespace

UniqueFd acquire() {
    make_dir(dir);
    UniqueFd fd(::open(file, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) throw errno_error(std::string("opening ") + file);
    while (::flock(fd.get(), LOCK_EX) < 0) {
        if (errno != EINTR) throw errno_error(std::string("locking ") + file);
    }
    return fd;
}

}  // namespace via::lock
