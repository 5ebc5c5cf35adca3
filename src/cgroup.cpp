#include "via/cgroup.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "via/constants.hpp"
#include "via/error.hpp"
#include "via/handle.hpp"

namespace via::cgroup {
namespace {

std::vector<std::string_view> split(std::string_view line, char sep) {
    std::vector<std::string_view> out;
    while (!line.empty()) {
        auto pos = line.find(sep);
        auto piece = line.substr(0, pos);
        if (!piece.empty()) out.push_back(piece);
        if (pos == std::string_view::npos) break;
        line.remove_prefix(pos + 1);
    }
    return out;
}

// mkdir that counts "already there" as success; returns whether it created.
bool make_dir(const std::string& path) {
    if (::mkdir(path.c_str(), 0755) == 0) return true;
    if (errno == EEXIST) return false;
    throw errno_error("creating cgroup " + path, permission_hint(errno));
}

// The cgroup id is the kernfs node id, which the kernel hands out as the
// directory's file handle (what systemd does too); it is what
// `socket cgroupv2` compares with.
std::uint64_t cgroup_id(const std::string& path) {
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

}  // namespace

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
    for (auto line : split(mountinfo, '\n')) {
        // id parent major:minor root mount-point options [optional...] - type source super-options
        auto fields = split(line, ' ');
        std::size_t dash = 0;
        while (dash < fields.size() && fields[dash] != "-") ++dash;
        if (dash < 5 || dash + 1 >= fields.size()) continue;
        if (fields[dash + 1] == "cgroup2") return Mount{unescape(fields[3]), unescape(fields[4])};
    }
    return std::nullopt;
}

std::uint32_t level_of(std::string_view mount_root) {
    return static_cast<std::uint32_t>(split(mount_root, '/').size()) + 2;
}

Mount find_mount() {
    std::ifstream in("/proc/self/mountinfo");
    std::stringstream text;
    text << in.rdbuf();
    if (auto m = find_cgroup2(text.str())) return *m;
    throw Error("no cgroup v2 hierarchy is mounted",
                "via needs cgroup2 (Linux 4.5+); mount it, e.g. at /sys/fs/cgroup/unified");
}

Cgroup ensure(const Mount& mount, const std::string& uplink, const Report& report) {
    const std::string parent = mount.point + "/" + std::string(constants::cgroup_parent);
    make_dir(parent);
    Cgroup cg;
    cg.path = parent + "/" + uplink;
    bool created = make_dir(cg.path);
    cg.id = cgroup_id(cg.path);
    cg.level = level_of(mount.root);
    report.ensured("cgroup " + cg.path + " (id " + std::to_string(cg.id) + ")",
                   created ? Outcome::created : Outcome::present);
    return cg;
}

void join(const Cgroup& cg) {
    const std::string procs = cg.path + "/cgroup.procs";
    UniqueFd fd(::open(procs.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) throw errno_error("opening " + procs);
    // "0" is the writing process itself.
    if (::write(fd.get(), "0\n", 2) != 2) throw errno_error("moving via into cgroup " + cg.path);
}

}  // namespace via::cgroup
