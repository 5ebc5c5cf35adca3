// Users and groups: who called via, and the uplinks' dedicated users.
#pragma once

#include <optional>
#include <string>
#include <sys/types.h>

#include "launch/config.hpp"

namespace via::accounts {

// Whether the calling process is in group `gid` (real, effective or
// supplementary): no NSS, no allocation, so that it may run before libc's
// own set-up is done (early.cpp's .preinit_array).
bool in_group(gid_t gid);

// A group's name, or its number when it has none.
std::string group_name(gid_t gid);

// The caller (real uid and gid, supplementary groups), with the names
// asked for (without a name, a list entry cannot match it).
config::Caller caller(config::Names names = {true, true});

struct Account {
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0;
};

// A user by name, if it exists.
std::optional<Account> find_user(const std::string& name);

// The dedicated user of an uplink, or an error that says how to make it.
Account dedicated_user(const std::string& uplink);

// Makes this process's real, effective and saved uid and gid the account's,
// with no supplementary group, and checks the kernel agrees. Raises
// CAP_SETUID and CAP_SETGID for it; call last, before privilege::drop_all().
void become(const Account& account);

// via adduser: creates the uplink's dedicated user, a system user with no
// home, no shell and no password (useradd, as root). Returns false if it
// existed.
bool add_dedicated_user(const std::string& uplink);

}  // namespace via::accounts
