#include "via/privilege.hpp"

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <iterator>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "via/error.hpp"
#include "via/handle.hpp"

namespace via::privilege {
namespace {

using Caps = Handle<void, cap_free>;

const std::string install_hint =
    std::string("install via with its capabilities: setcap ") + file_capabilities + " $(command -v via); see README";

Caps current() {
    Caps caps(cap_get_proc());
    if (!caps) throw errno_error("reading via's capabilities");
    return caps;
}

void set_effective(const std::vector<cap_value_t>& list, cap_flag_value_t value, const char* what) {
    Caps caps = current();
    auto* raw = static_cast<cap_t>(caps.get());
    if (cap_set_flag(raw, CAP_EFFECTIVE, static_cast<int>(list.size()), list.data(), value) < 0 ||
        cap_set_proc(raw) < 0)
        throw errno_error(what, install_hint);
}

std::string cap_name(cap_value_t cap) {
    using Text = Handle<char, cap_free>;
    Text name(cap_to_name(cap));
    return name ? name.get() : "capability " + std::to_string(cap);
}

// The running kernel may know more capabilities than the headers via was built with.
cap_value_t last_cap() { return static_cast<cap_value_t>(cap_max_bits()) - 1; }

bool is_needed(cap_value_t cap) {
    return std::find(std::begin(needed), std::end(needed), cap) != std::end(needed);
}

}  // namespace

void check() {
    if (getuid() != geteuid() || getgid() != getegid())
        throw Error("via is installed setuid or setgid, which it refuses", install_hint);
    if (getuid() == 0) return;  // root holds everything via needs
    Caps caps = current();
    auto* raw = static_cast<cap_t>(caps.get());
    for (cap_value_t cap = 0; cap <= last_cap(); ++cap) {
        cap_flag_value_t permitted = CAP_CLEAR;
        cap_get_flag(raw, cap, CAP_PERMITTED, &permitted);
        if (permitted == CAP_SET && !is_needed(cap))
            throw Error("via holds " + cap_name(cap) + ", which it must not", install_hint);
        if (permitted == CAP_CLEAR && is_needed(cap))
            throw Error("via lacks " + cap_name(cap), install_hint);
    }
}

Effective::Effective(std::initializer_list<cap_value_t> caps) : caps_(caps) {
    set_effective(caps_, CAP_SET, "raising capabilities");
}

Effective::~Effective() {
    // Best effort: drop_all() clears and verifies everything before exec.
    try {
        set_effective(caps_, CAP_CLEAR, "lowering capabilities");
    } catch (...) {
    }
}

RootFiles::RootFiles() {
    {
        Effective ids({CAP_SETUID, CAP_SETGID});
        setfsgid(0);
        setfsuid(0);
    }
    // setfsuid() and setfsgid() report no error; ask for the values to be sure.
    if (setfsuid(static_cast<uid_t>(-1)) != 0 || setfsgid(static_cast<gid_t>(-1)) != 0) {
        restore_ids();
        throw Error("switching to root's file identity failed", install_hint);
    }
}

RootFiles::~RootFiles() { restore_ids(); }

void RootFiles::restore_ids() noexcept {
    // Back to the caller's own ids: allowed without any capability.
    setfsuid(getuid());
    setfsgid(getgid());
}

std::vector<std::string> caller_environment() {
    std::ifstream in("/proc/self/environ", std::ios::binary);
    if (!in) throw errno_error("reading the caller's environment from /proc/self/environ");
    std::vector<std::string> env;
    for (std::string entry; std::getline(in, entry, '\0');) env.push_back(entry);
    return env;
}

void drop_all() {
    Caps none(cap_init());
    if (!none || cap_set_proc(static_cast<cap_t>(none.get())) < 0)
        throw errno_error("dropping capabilities");
    if (CAP_AMBIENT_SUPPORTED() && cap_reset_ambient() < 0) throw errno_error("clearing ambient capabilities");
    RootFiles::restore_ids();

    // Verify what the kernel now says, as bubblewrap does after each drop.
    Caps now = current();
    if (cap_compare(static_cast<cap_t>(now.get()), static_cast<cap_t>(none.get())) != 0)
        throw Error("capabilities remain after dropping them");
    for (cap_value_t cap = 0; cap <= last_cap() && CAP_AMBIENT_SUPPORTED(); ++cap)
        if (cap_get_ambient(cap) > 0) throw Error("ambient " + cap_name(cap) + " remains after dropping it");
    if (geteuid() != getuid() || setfsuid(static_cast<uid_t>(-1)) != static_cast<int>(getuid()) ||
        getegid() != getgid() || setfsgid(static_cast<gid_t>(-1)) != static_cast<int>(getgid()))
        throw Error("via's user identity is not the caller's after dropping privileges");
}

}  // namespace via::privilege
