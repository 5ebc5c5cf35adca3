#include "launch/exec.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "owned.hpp"

namespace via::exec {
namespace {

// glibc's execvp searches this when PATH is unset.
constexpr const char* default_path = "/bin:/usr/bin";

enum class Probe { runnable, not_runnable, missing };

Probe probe(const std::string& file) {
    struct stat st {};
    if (::stat(file.c_str(), &st) < 0) return Probe::missing;
    if (!S_ISREG(st.st_mode)) return Probe::not_runnable;
    return ::faccessat(AT_FDCWD, file.c_str(), X_OK, AT_EACCESS) == 0 ? Probe::runnable : Probe::not_runnable;
}

Failure cannot_run(const std::string& name, int err) {
    return Failure{owned::exit_cannot_run, "cannot run '" + name + "': " + std::strerror(err)};
}

std::vector<char*> pointers(const std::vector<std::string>& strings) {
    std::vector<char*> out;
    out.reserve(strings.size() + 1);
    for (const auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
    out.push_back(nullptr);
    return out;
}

}  // namespace

const std::string* find_path(const std::vector<std::string>& env) {
    for (const auto& entry : env)
        if (entry.rfind("PATH=", 0) == 0) return &entry;
    return nullptr;
}

std::variant<std::string, Failure> resolve(const std::string& name, const std::string* path_env) {
    if (name.empty()) return Failure{owned::exit_not_found, "'': command not found"};
    if (name.find('/') != std::string::npos) {
        switch (probe(name)) {
            case Probe::runnable: return name;
            case Probe::missing: return Failure{owned::exit_not_found, "'" + name + "': No such file or directory"};
            case Probe::not_runnable: break;
        }
        struct stat st {};
        return cannot_run(name, ::stat(name.c_str(), &st) == 0 && S_ISDIR(st.st_mode) ? EISDIR : EACCES);
    }

    std::string path = path_env ? path_env->substr(5) : default_path;
    bool found_unrunnable = false;
    std::size_t start = 0;
    for (;;) {
        const std::size_t end = path.find(':', start);
        std::string dir = path.substr(start, end == std::string::npos ? std::string::npos : end - start);
        const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
        switch (probe(candidate)) {
            case Probe::runnable: return candidate;
            case Probe::not_runnable: found_unrunnable = true; break;
            case Probe::missing: break;
        }
        if (end == std::string::npos) break;
        start = end + 1;
    }
    if (found_unrunnable) return cannot_run(name, EACCES);
    return Failure{owned::exit_not_found, "'" + name + "': command not found in PATH"};
}

Failure run(const std::string& path, const std::vector<std::string>& argv, const std::vector<std::string>& env) {
    auto args = pointers(argv);
    auto envp = pointers(env);
    ::execve(path.c_str(), args.data(), envp.data());
    if (errno == ENOEXEC) {
        std::vector<std::string> sh{"/bin/sh", path};
        sh.insert(sh.end(), argv.begin() + 1, argv.end());
        auto sh_args = pointers(sh);
        ::execve("/bin/sh", sh_args.data(), envp.data());
    }
    const int err = errno;
    if (err == ENOENT) return Failure{owned::exit_not_found, "'" + argv[0] + "': " + std::strerror(err)};
    return cannot_run(argv[0], err);
}

}  // namespace via::exec
