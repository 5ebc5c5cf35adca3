// The privilege plan. via is installed with file capabilities in its
// permitted set only
// (cap_net_admin,cap_setgid,cap_setuid,cap_sys_admin=p):
// it starts with an empty effective set, as the caller.
//
//   1. check()       refuse a setuid/setgid install and unexpected capabilities.
//   2. Effective     raises one capability for one scope of privileged work
//                    (and lowers, at its end, only what it raised):
//                    cap_net_admin for rtnetlink, nftables and the uplink's
//                    net sysctl; cap_sys_admin for bpf(2) (loading, pinning
//                    and attaching the programs that mark sockets, tagging
//                    via's own process), mounting a missing bpffs, and the
//                    private mount namespace of --dns.
//      RootFiles     file system access as root for one scope: fsuid and
//                    fsgid 0 (cap_setuid, cap_setgid) so that the lock, the
//                    notes in /run/via and the pins in /sys/fs/bpf/via are
//                    root's, in directories only root may write; and so
//                    that via can read its own /proc/self/environ, which
//                    the kernel gives to root while via is privileged, and
//                    a root-only /etc/via. Nested, an inner scope changes
//                    nothing: the outer one switches back.
//      accounts::become  for --as-user only: cap_setuid and cap_setgid
//                    make the program's uids and gids the uplink's
//                    dedicated user's, last, before drop_all().
//   3. drop_all()    clears every set and the ambient set, restores the fsuid,
//                    then asks the kernel and fails unless all is empty.
//   4. only then is PROGRAM searched in PATH and executed (see exec).
//
// Nothing in the environment changes what via does with its privileges.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include <sys/capability.h>

namespace via::privilege {

// The capabilities a non-root caller's via must hold, and no others.
inline constexpr cap_value_t needed[] = {CAP_NET_ADMIN, CAP_SETGID, CAP_SETUID, CAP_SYS_ADMIN};
// The same, as setcap(8) takes them for via's file.
inline constexpr const char* file_capabilities = "cap_net_admin,cap_setgid,cap_setuid,cap_sys_admin=p";

void check();

class Effective {
public:
    explicit Effective(std::initializer_list<cap_value_t> caps);
    ~Effective();
    Effective(const Effective&) = delete;
    Effective& operator=(const Effective&) = delete;

private:
    std::uint64_t raised_ = 0;  // those that were not effective already
};

class RootFiles {
public:
    RootFiles();
    ~RootFiles();
    RootFiles(const RootFiles&) = delete;
    RootFiles& operator=(const RootFiles&) = delete;

    static void restore_ids() noexcept;

private:
    static inline int depth_ = 0;
};

// The environment exactly as the caller passed it. Because via gains
// capabilities on exec, the dynamic loader runs in secure mode and deletes
// variables such as LD_LIBRARY_PATH and TMPDIR from environ; it only takes
// their pointers out, and the strings stay where the kernel put them, right
// after argv's and up to the executable's name (AT_EXECFN): the bytes
// /proc/self/environ shows. They are read there, or, should they not be
// where remember_strings() was told, from /proc/self/environ.
std::vector<std::string> caller_environment();

// Where argv's strings end, and the environment's begin. Call first thing
// (main's .preinit_array function), with the argv the kernel passed.
void remember_strings(int argc, char** argv) noexcept;

void drop_all();

}  // namespace via::privilege
