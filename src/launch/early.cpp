// What via and its launcher do before any library's constructor runs.
#include "launch/early.hpp"

#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include "launch/accounts.hpp"
#include "launch/privilege.hpp"

namespace via::early {
namespace {

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

void early(int argc, char** argv, char**) {
    via::privilege::remember_strings(argc, argv);
    drop_outsiders();
}
[[gnu::section(".preinit_array"), gnu::used]] void (*const clear_early)(int, char**, char**) = early;

}  // namespace

bool outsider() { return is_outsider; }

}  // namespace via::early
