#include "launch/files.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launch/error.hpp"
#include "launch/handle.hpp"

namespace via {

std::optional<std::string> read_whole(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return std::nullopt;
    std::string text;
    char chunk[8192];
    for (;;) {
        const ssize_t n = ::read(fd.get(), chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return std::nullopt;
        if (n == 0) return text;
        text.append(chunk, static_cast<std::size_t>(n));
    }
}

bool is_dir(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string own_file() {
    char path[4096];
    const ssize_t n = ::readlink("/proc/self/exe", path, sizeof path);
    if (n <= 0 || static_cast<std::size_t>(n) == sizeof path) return {};
    return std::string(path, static_cast<std::size_t>(n));
}

void make_parents(const std::string& path) {
    for (std::size_t slash = path.find('/', 1); slash != std::string::npos; slash = path.find('/', slash + 1)) {
        const std::string dir = path.substr(0, slash);
        if (::mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST) throw errno_error("creating " + dir);
    }
}

namespace {

// All of `content` written to `path` opened for writing with `flags`, mode
// 0644, never through a symlink.
bool write_with(const std::string& path, int flags, const std::string& content) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | flags, 0644));
    return fd && ::write(fd.get(), content.data(), content.size()) == static_cast<ssize_t>(content.size()) &&
           ::fchmod(fd.get(), 0644) == 0;
}

}  // namespace

void write_file(const std::string& path, const std::string& content) {
    if (!write_with(path, O_TRUNC, content)) throw errno_error("writing " + path);
}

bool append_file(const std::string& path, const std::string& content) { return write_with(path, O_APPEND, content); }

void replace_file(const std::string& path, const std::string& content) {
    // A name of this process's own: two vias writing the same file at once
    // (one went on past a stopped lock holder) must not rename each other's.
    const std::string tmp = path + ".new." + std::to_string(::getpid());
    write_file(tmp, content);
    if (::rename(tmp.c_str(), path.c_str()) < 0) throw errno_error("writing " + path);
}

}  // namespace via
