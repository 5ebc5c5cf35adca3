// The launcher's user and group database (names.hpp): /etc/passwd and
// /etc/group, read by libc without NSS, which a static binary cannot load.
// A user or group they do not have may still be NSS's (systemd-homed,
// LDAP): the caller's, or the name of a group of theirs, hands the launch
// to via, which asks NSS. A dedicated user they do not have makes a request
// without one, which the stamp of via's request (with one) does not match.
#include "launch/names.hpp"

#include <cstdio>
#include <grp.h>
#include <pwd.h>

#include "launch/error.hpp"
#include "launch/handle.hpp"

namespace via::names {
namespace {

template <class Match>
std::optional<User> find_user(Match match) {
    Handle<FILE, std::fclose> file(std::fopen("/etc/passwd", "re"));
    if (!file) return std::nullopt;
    passwd entry{};
    passwd* found = nullptr;
    char buf[4096];
    while (::fgetpwent_r(file.get(), &entry, buf, sizeof buf, &found) == 0)
        if (match(*found)) return User{found->pw_name, found->pw_uid, found->pw_gid};
    return std::nullopt;
}

}  // namespace

std::optional<User> user_by_uid(uid_t uid) {
    auto user = find_user([&](const passwd& pw) { return pw.pw_uid == uid; });
    if (!user) throw Error("uid " + std::to_string(uid) + " is not in /etc/passwd: via asks NSS");
    return user;
}

std::optional<User> user_by_name(const std::string& name) {
    return find_user([&](const passwd& pw) { return name == pw.pw_name; });
}

std::optional<std::string> group_name(gid_t gid) {
    Handle<FILE, std::fclose> file(std::fopen("/etc/group", "re"));
    if (file) {
        group entry{};
        group* found = nullptr;
        char buf[16384];  // a group's line lists its members
        while (::fgetgrent_r(file.get(), &entry, buf, sizeof buf, &found) == 0)
            if (found->gr_gid == gid) return std::string(found->gr_name);
    }
    throw Error("gid " + std::to_string(gid) + " is not in /etc/group: via asks NSS");
}

}  // namespace via::names
