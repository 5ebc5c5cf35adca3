// via: parse the command line, run the command (src/commands/).
#include <cstdio>
#include <cstring>
#include <string>
#include <variant>
#include <vector>

#include "via/cli.hpp"
#include "via/commands.hpp"

namespace {

// libnl reads these in its constructors, before main, and would then print
// netlink messages on stderr (NLDBG, NLCB) or read files the caller names
// (NLSYSCONFDIR) inside this privileged process. A .preinit_array function
// runs before any shared library's constructor: they are gone from environ
// by then. The program still gets them, from /proc/self/environ (see
// privilege::caller_environment). libc itself is not set up yet, so the
// entries are taken out of the array the kernel passed, in place: libc's
// environ is that array.
bool read_by_libnl(const char* entry) {
    for (const char* name : {"NLDBG=", "NLCB=", "NLSYSCONFDIR="})
        if (std::strncmp(entry, name, std::strlen(name)) == 0) return true;
    return false;
}
void clear_library_environment(int, char**, char** envp) {
    char** kept = envp;
    for (char** e = envp; *e; ++e)
        if (!read_by_libnl(*e)) *kept++ = *e;
    *kept = nullptr;
}
[[gnu::section(".preinit_array"), gnu::used]] void (*const clear_early)(int, char**, char**) =
    clear_library_environment;

}  // namespace

int main(int argc, char** argv) {
    using namespace via;
    const auto parsed = cli::parse(std::vector<std::string>(argv, argv + argc));
    if (const auto* exit = std::get_if<cli::Exit>(&parsed)) {
        std::fputs(exit->out.c_str(), stdout);
        std::fputs(exit->err.c_str(), stderr);
        return exit->code;
    }
    if (const auto* repair = std::get_if<cli::Repair>(&parsed)) return commands::repair(*repair);
    if (const auto* add = std::get_if<cli::AddUser>(&parsed)) return commands::adduser(*add);
    return commands::launch(std::get<cli::Options>(parsed));
}
