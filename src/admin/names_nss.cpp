// The user and group database by NSS (names.hpp).
#include "launch/names.hpp"

#include <grp.h>
#include <pwd.h>

namespace via::names {
namespace {

std::optional<User> user_of(const passwd* pw) {
    if (!pw) return std::nullopt;
    return User{pw->pw_name, pw->pw_uid, pw->pw_gid};
}

}  // namespace

std::optional<User> user_by_uid(uid_t uid) { return user_of(::getpwuid(uid)); }

std::optional<User> user_by_name(const std::string& name) { return user_of(::getpwnam(name.c_str())); }

std::optional<std::string> group_name(gid_t gid) {
    const group* g = ::getgrgid(gid);
    if (!g) return std::nullopt;
    return std::string(g->gr_name);
}

}  // namespace via::names
