#include "launch/accounts.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <grp.h>  // setgroups
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "launch/error.hpp"
#include "launch/names.hpp"
#include "launch/privilege.hpp"
#include "owned.hpp"

namespace via::accounts {

std::string group_name(gid_t gid) {
    return names::group_name(gid).value_or(std::to_string(gid));
}

bool in_group(gid_t gid) {
    if (::getgid() == gid || ::getegid() == gid) return true;
    static gid_t groups[NGROUPS_MAX];  // static: 256 KiB is no stack's business
    const int n = ::getgroups(NGROUPS_MAX, groups);
    for (int i = 0; i < n; ++i)
        if (groups[i] == gid) return true;
    return false;
}

config::Caller caller(config::Names names) {
    config::Caller c;
    c.uid = ::getuid();
    if (names.user) {
        const auto user = names::user_by_uid(c.uid);
        c.user = user ? user->name : std::to_string(c.uid);
    }
    if (!names.groups) return c;
    const int n = ::getgroups(0, nullptr);
    std::vector<gid_t> gids(n > 0 ? static_cast<std::size_t>(n) : 0);
    if (n > 0 && ::getgroups(n, gids.data()) < 0) throw errno_error("reading the caller's groups");
    if (std::find(gids.begin(), gids.end(), ::getgid()) == gids.end()) gids.push_back(::getgid());
    for (const gid_t g : gids) c.groups.push_back(group_name(g));
    return c;
}

std::optional<Account> find_user(const std::string& name) {
    const auto user = names::user_by_name(name);
    if (!user) return std::nullopt;
    return Account{user->name, user->uid, user->gid};
}

Account dedicated_user(const std::string& uplink) {
    const std::string name = owned::user_of(uplink);
    auto account = find_user(name);
    if (!account)
        throw Error("uplink '" + uplink + "' has no dedicated user '" + name + "'",
                    "make it once, as root: via adduser " + uplink);
    if (account->uid == 0 || account->gid == 0)
        throw Error("user '" + name + "' has uid or gid 0: via will not run programs as it",
                    "remove it and run 'via adduser " + uplink + "' again");
    return *account;
}

void become(const Account& account) {
    {
        privilege::Effective ids({CAP_SETUID, CAP_SETGID});
        if (::setgroups(0, nullptr) < 0 || ::setresgid(account.gid, account.gid, account.gid) < 0 ||
            ::setresuid(account.uid, account.uid, account.uid) < 0)
            throw errno_error("becoming user '" + account.name + "'");
    }
    uid_t r, e, s;
    gid_t rg, eg, sg;
    if (::getresuid(&r, &e, &s) < 0 || ::getresgid(&rg, &eg, &sg) < 0 || r != account.uid || e != account.uid ||
        s != account.uid || rg != account.gid || eg != account.gid || sg != account.gid ||
        ::getgroups(0, nullptr) != 0)
        throw Error("the kernel did not make via user '" + account.name + "'");
}

bool add_dedicated_user(const std::string& uplink) {
    const std::string name = owned::user_of(uplink);
    if (find_user(name)) return false;
    const std::string comment = "programs of uplink " + uplink;  // no ':', a passwd field separator
    const pid_t pid = ::fork();
    if (pid < 0) throw errno_error("starting useradd");
    if (pid == 0) {
        const char* argv[] = {"useradd",  "--system", "--user-group",        "--no-create-home", "--home-dir",
                              "/nonexistent", "--shell", "/usr/sbin/nologin", "--comment",
                              comment.c_str(), name.c_str(), nullptr};
        const char* envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", nullptr};
        ::execve("/usr/sbin/useradd", const_cast<char* const*>(argv), const_cast<char* const*>(envp));
        ::_exit(127);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) throw errno_error("waiting for useradd");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw Error("useradd could not make user '" + name + "' (exit status " +
                    std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)) + ")",
                    "see its message above");
    return true;
}

}  // namespace via::accounts
