// The user and group database, as accounts.cpp asks it. via asks NSS
// (src/admin/names_nss.cpp). The launcher reads /etc/passwd and /etc/group alone
// (src/launch/names_files.cpp): a static binary cannot load NSS modules, and
// what it cannot find there makes it hand the launch to via
// (src/launch/main.cpp).
#pragma once

#include <optional>
#include <string>
#include <sys/types.h>

namespace via::names {

struct User {
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0;
};

std::optional<User> user_by_uid(uid_t uid);
std::optional<User> user_by_name(const std::string& name);
std::optional<std::string> group_name(gid_t gid);

}  // namespace via::names
