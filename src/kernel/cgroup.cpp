#include "kernel/cgroup.hpp"

#include <linux/magic.h>
#include <sys/vfs.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>
#include <vector>

#include "launch/error.hpp"
#include "launch/files.hpp"
#include "launch/text.hpp"

namespace via::cgroup {
std::string unescape(std::string_view field) {
    std::string out;
    for (std::size_t i = 0; i < field.size(); ++i) {
        if (field[i] == '\\' && i + 3 < field.size()) {
            auto digits = field.substr(i + 1, 3);
            if (digits.find_first_not_of("01234567") == std::string_view::npos) {
                out += static_cast<char>((digits[0] - '0') * 64 + (digits[1] - '0') * 8 + (digits[2] - '0'));
                i += 3;
                continue;
            }
        }
        out += field[i];
    }
    return out;
}

std::optional<Mount> find_cgroup2(std::string_view mountinfo) {
    std::optional<Mount> first, whole;
    for (auto line : text::split(mountinfo, '\n')) {
        // id parent major:minor root mount-point options [optional...] - type source super-options
        auto fields = text::split(line, ' ');
        std::size_t dash = 0;
        while (dash < fields.size() && fields[dash] != "-") ++dash;
        if (dash < 5 || dash + 1 >= fields.size() || fields[dash + 1] != "cgroup2") continue;
        Mount m{unescape(fields[3]), unescape(fields[4])};
        if (!first) first = m;
        // Later lines are mounted over earlier ones; in a cgroup namespace an
        // inherited mount shows a root outside it ("/..").
        if (m.root == "/") whole = m;
    }
    return whole ? whole : first;
}

Mount find_mount() {
    if (auto m = find_cgroup2(read_file("/proc/self/mountinfo"))) return *m;
    throw Error("no cgroup v2 hierarchy is mounted",
                "via needs cgroup2 (Linux 4.5+); mount it, e.g. at /sys/fs/cgroup/unified");
}

// The kernel hands the node id out as the directory's file handle (what
// systemd does too).
std::uint64_t id_of(const std::string& path) {
    alignas(file_handle) unsigned char storage[sizeof(file_handle) + sizeof(std::uint64_t)] = {};
    auto* fh = reinterpret_cast<file_handle*>(storage);
    fh->handle_bytes = sizeof(std::uint64_t);
    int mount_id = 0;
    if (::name_to_handle_at(AT_FDCWD, path.c_str(), fh, &mount_id, 0) < 0)
        throw errno_error("reading the id of cgroup " + path);
    std::uint64_t id = 0;
    std::memcpy(&id, fh->f_handle, sizeof id);
    return id;
}

Mount mount_or_find(const Mount& last, std::uint64_t last_id) {
    struct statfs st {};
    if (last_id && ::statfs(last.point.c_str(), &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC) try {
            if (id_of(last.point) == last_id) return last;
        } catch (const Error&) {
        }
    return find_mount();
}

}  // namespace via::cgroup
