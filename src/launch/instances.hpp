// "An already running instance takes the request": `via wlan1 -- firefox
// URL` while Firefox runs hands URL to the running Firefox, which loads it
// over its own route, and exits 0 at once. via cannot stop that, but it can
// say so: before exec, when a process of the same user and the same
// command runs and is not on the uplink, it prints a note and, where one
// is known, the way to start a separate instance.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace via::instances {

// The kernel's name for a process running PROGRAM (what /proc/PID/comm
// shows: the file name, cut to 15 bytes), or nullopt for commands that
// are not one application (shells, interpreters, env).
std::optional<std::string> comm_of(std::string_view program);

// How to start PROGRAM as a separate instance, if via knows; "" otherwise.
std::string recipe(std::string_view comm);

// Calls f(pid, uid) for every process in /proc but via itself (uid: its
// /proc directory's owner, the effective uid). Needs no privilege.
void each_process(const std::function<void(pid_t, uid_t)>& f);

// The processes of the caller's uid whose comm is `comm`, other than via
// itself, from /proc. Needs no privilege.
std::vector<pid_t> find(const std::string& comm, uid_t uid);

}  // namespace via::instances
