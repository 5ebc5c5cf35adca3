#include "launch/privilege.hpp"

#include <algorithm>
#include <cerrno>
#include <iterator>
#include <optional>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <sys/auxv.h>
#include <linux/capability.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "launch/error.hpp"
#include "launch/files.hpp"
#include "launch/handle.hpp"

namespace via::privilege {
namespace {

const std::string install_hint =
    std::string("install via with its capabilities: setcap ") + file_capabilities +
    " on $(command -v via) and on via itself, libexec/via/via beside it (scripts/setup does both); see README";

// The three sets, 64 bits each, straight from capget(2): one system call
// where libcap walks every capability with prctl.
struct Sets {
    std::uint64_t effective = 0, permitted = 0, inheritable = 0;
};

constexpr std::uint64_t bit(cap_value_t cap) { return std::uint64_t{1} << cap; }

Sets read_sets() {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    if (::syscall(SYS_capget, &header, data) < 0) throw errno_error("reading via's capabilities");
    const auto join = [](std::uint32_t low, std::uint32_t high) { return low | (std::uint64_t{high} << 32); };
    return {join(data[0].effective, data[1].effective), join(data[0].permitted, data[1].permitted),
            join(data[0].inheritable, data[1].inheritable)};
}

// What via last read or set: only via changes its own capabilities, so
// raising and lowering need no capget each time.
std::optional<Sets> known;

Sets current_sets() {
    if (!known) known = read_sets();
    return *known;
}

void write_sets(const Sets& s, const char* what) {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    for (int i = 0; i < 2; ++i) {
        data[i].effective = static_cast<std::uint32_t>(s.effective >> (32 * i));
        data[i].permitted = static_cast<std::uint32_t>(s.permitted >> (32 * i));
        data[i].inheritable = static_cast<std::uint32_t>(s.inheritable >> (32 * i));
    }
    known.reset();  // unknown until it succeeded
    if (::syscall(SYS_capset, &header, data) < 0) throw errno_error(what, install_hint);
    known = s;
}

template <typename List>
std::uint64_t mask_of(const List& list) {
    std::uint64_t m = 0;
    for (const auto cap : list) m |= bit(cap);
    return m;
}

std::string cap_name(cap_value_t cap) {
    using Text = Handle<char, cap_free>;
    Text name(cap_to_name(cap));
    return name ? name.get() : "capability " + std::to_string(cap);
}

}  // namespace

void check() {
    if (getuid() != geteuid() || getgid() != getegid())
        throw Error("via is installed setuid or setgid, which it refuses", install_hint);
    if (getuid() == 0) return;  // root holds everything via needs
    const std::uint64_t permitted = current_sets().permitted;
    const std::uint64_t wanted = mask_of(needed);
    for (cap_value_t cap = 0; cap < 64; ++cap) {
        if ((permitted & bit(cap)) && !(wanted & bit(cap)))
            throw Error("via holds " + cap_name(cap) + ", which it must not", install_hint);
        if (!(permitted & bit(cap)) && (wanted & bit(cap))) throw Error("via lacks " + cap_name(cap), install_hint);
    }
}

Effective::Effective(std::initializer_list<cap_value_t> caps) {
    Sets s = current_sets();
    raised_ = mask_of(caps) & ~s.effective;
    if (!raised_) return;
    s.effective |= raised_;
    write_sets(s, "raising capabilities");
}

Effective::~Effective() {
    if (!raised_) return;
    // Best effort: drop_all() clears and verifies everything before exec.
    try {
        Sets s = current_sets();
        s.effective &= ~raised_;
        write_sets(s, "lowering capabilities");
    } catch (...) {
    }
}

RootFiles::RootFiles() {
    if (depth_ > 0) {
        ++depth_;
        return;
    }
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
    depth_ = 1;
}

RootFiles::~RootFiles() {
    if (--depth_ == 0) restore_ids();
}

void RootFiles::restore_ids() noexcept {
    // Back to the caller's own ids: allowed without any capability.
    setfsuid(getuid());
    setfsgid(getgid());
}

namespace {

const char* environment_strings = nullptr;

std::vector<std::string> split_environment(std::string_view text) {
    std::vector<std::string> env;
    for (std::size_t start = 0; start < text.size();) {  // NUL-terminated entries
        const std::size_t end = std::min(text.find('\0', start), text.size());
        env.emplace_back(text.substr(start, end - start));
        start = end + 1;
    }
    return env;
}

}  // namespace

void remember_strings(int argc, char** argv) noexcept {
    if (argc > 0 && argv[argc - 1]) environment_strings = argv[argc - 1] + std::strlen(argv[argc - 1]) + 1;
}

std::vector<std::string> caller_environment() {
    const auto* end = reinterpret_cast<const char*>(::getauxval(AT_EXECFN));
    const char* begin = environment_strings;
    constexpr std::ptrdiff_t most = 32 * 1024 * 1024;  // beyond what exec accepts
    if (begin && end && end >= begin && end - begin < most && (end == begin || end[-1] == '\0'))
        return split_environment(std::string_view(begin, static_cast<std::size_t>(end - begin)));
    RootFiles as_root;  // the file is root's while via is privileged
    const auto text = read_whole("/proc/self/environ");
    if (!text) throw errno_error("reading the caller's environment from /proc/self/environ");
    return split_environment(*text);
}

void drop_all() {
    // One capset empties all three sets, and with them the ambient set,
    // which the kernel keeps within permitted and inheritable.
    write_sets(Sets{}, "dropping capabilities");
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        throw errno_error("clearing ambient capabilities");
    RootFiles::restore_ids();

    // Verify what the kernel now says, as bubblewrap does after each drop.
    const Sets now = read_sets();
    if (now.effective || now.permitted || now.inheritable) throw Error("capabilities remain after dropping them");
    if (geteuid() != getuid() || setfsuid(static_cast<uid_t>(-1)) != static_cast<int>(getuid()) ||
        getegid() != getgid() || setfsgid(static_cast<gid_t>(-1)) != static_cast<int>(getgid()))
        throw Error("via's user identity is not the caller's after dropping privileges");
}

}  // namespace via::privilege
