// What via and its launcher do before any library's constructor runs.
#include "launch/early.hpp"

#include <cstring>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include "launch/accounts.hpp"
#include "launch/privilege.hpp"

namespace via::early {
namespace {

// libnl reads these in its constructors, before main, and would then print
// netlink messages on stderr (NLDBG, NLCB) or read files the caller names
// (NLSYSCONFDIR) inside this privileged process. A .preinit_array function
// runs before any shared library's constructor: they are gone from environ
// by then. The program still gets them: only their pointers go, and
// privilege::caller_environment reads the strings. libc itself is not set
// up yet, so the entries are taken out of the array the kernel passed, in
// place: libc's environ is that array.
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
// via is installed mode 0755 with its capabilities, like ping, so that a
// user outside its group gets a message rather than "Permission denied".
// Such a user's via drops every capability here, before any library's
// constructor runs: it can then only explain (and run `via check`).
bool is_outsider = false;

void drop_outsiders() {
    struct stat self {};
    if (::getuid() == 0 || (::stat("/proc/self/exe", &self) == 0 && via::accounts::in_group(self.st_gid))) return;
    is_outsider = true;
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct none[2]{};
    if (::syscall(SYS_capset, &header, none) != 0) ::_exit(125);
}

void early(int argc, char** argv, char** envp) {
    via::privilege::remember_strings(argc, argv);
    clear_library_environment(argc, argv, envp);
    drop_outsiders();
}
[[gnu::section(".preinit_array"), gnu::used]] void (*const clear_early)(int, char**, char**) = early;

}  // namespace

bool outsider() { return is_outsider; }

}  // namespace via::early
