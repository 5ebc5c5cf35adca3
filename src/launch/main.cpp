// via's launcher: the file users run as `via`. It does a launch, `via
// [OPTION...] UPLINK -- PROGRAM [ARGS...]` with any of the launch's
// options, on the fast path alone: the stamp of the uplink's last full
// ensure still matches what the kernel shows, and via's programs are in
// place (ensure::fast). It is linked statically, with no iostream,
// NSS, sd-bus, libnftnl or BPF loader in it: it starts in a
// fraction of via's time and maps a fraction of its pages.
//
// Everything else it hands to via itself (libexec/via/via beside it, see
// CMakeLists.txt), with the same arguments and the caller's environment,
// after dropping every capability: other commands, help and version, a
// command line that is not valid, a caller outside group via, a stamp that
// does not match, names that /etc/passwd and /etc/group do not have, and
// any failure before the uplink is ensured (via then says what failed).
// via does the launch as it would have without the launcher.
#include <cstdio>
#include <cstring>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "launch/early.hpp"
#include "launch/ensure.hpp"
#include "launch/error.hpp"
#include "launch/exec.hpp"
#include "launch/files.hpp"
#include "launch/launch.hpp"
#include "launch/privilege.hpp"
#include "launch/stages.hpp"

#ifndef VIA_LAUNCHER_TO_VIA
#error "VIA_LAUNCHER_TO_VIA: via's path relative to the launcher's directory (CMakeLists.txt)"
#endif

namespace {

std::vector<std::string> arguments;
mode_t caller_umask = 022;  // as main() found it

// via itself: beside the launcher's own file, as installed.
std::string via_path() {
    const std::string self = via::own_file();
    if (self.empty()) return {};
    return self.substr(0, self.rfind('/') + 1) + VIA_LAUNCHER_TO_VIA;
}

[[noreturn]] void hand_over() {
    std::string path;
    try {
        const auto env = via::privilege::caller_environment();
        // The caller's ids, should the launcher be installed setuid (via
        // then refuses what it must).
        if (::setresgid(::getgid(), ::getgid(), ::getgid()) < 0 || ::setresuid(::getuid(), ::getuid(), ::getuid()) < 0)
            throw via::errno_error("taking back the caller's ids");
        via::privilege::drop_all();  // via gets its own capabilities from its file
        // The caller's umask, which the launch had set aside for its own
        // files: via gives it to the program.
        ::umask(caller_umask);
        path = via_path();
        if (!path.empty()) {
            const auto failure = via::exec::run(path, arguments, env);
            std::fprintf(stderr, "via: the launcher cannot start via at %s: %s\n", path.c_str(),
                         failure.message.c_str());
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "via: the launcher cannot start via: %s\n", e.what());
    }
    std::fputs("hint: reinstall via; 'via check' (as root) says what is missing\n", stderr);
    std::exit(125);
}

via::ensure::Converged fast_or_hand_over(const via::ensure::Request& request, const via::Report& report,
                                         const std::function<void(const via::ensure::Target&)>& while_locked,
                                         const via::ensure::Recheck& recheck) {
    auto converged = via::ensure::fast(request, report, while_locked, recheck);
    if (!converged) hand_over();
    return std::move(*converged);
}

}  // namespace

int main(int argc, char** argv) {
    VIA_STAGE("start");
    caller_umask = ::umask(0);
    ::umask(caller_umask);
    arguments.assign(argv, argv + argc);
    if (via::early::outsider()) hand_over();
    const auto options = via::cli::parse_launch(arguments);
    if (!options) hand_over();
    VIA_STAGE("arguments");
    return via::commands::launch(*options, fast_or_hand_over, hand_over);
}
