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
constexpr const char* served = "/run/via/uplinks";

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

void note_served(const std::string& uplink) {
    make_dir(served);
    const std::string path = std::string(served) + "/" + uplink;  // a valid interface name: no '/'
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
    if (!fd) throw errno_error("creating " + path);
}

}  // namespace via::lock
