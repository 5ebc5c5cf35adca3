#include "launch/pins.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iterator>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel/bpfsys.hpp"
#include "launch/error.hpp"
#include "launch/stages.hpp"
#include "sockmark_stamp.h"
#include "tag.h"

namespace via::sockmark {

using owned::LinkSpec;
using owned::MapSpec;
using owned::links;
using owned::maps;

std::string pin_name(const std::string& what, const std::string& stamp) { return what + "-" + stamp; }

const std::string& stamp() {
    static const std::string s = sockmark_stamp;
    return s;
}

std::string pin_path(const LinkSpec& link) { return std::string(owned::bpf_dir) + "/" + pin_name(link.name, stamp()); }

std::optional<std::uint32_t> attached(const LinkSpec& link, std::uint64_t root_id) {
    UniqueFd fd(bpfsys::obj_get(pin_path(link).c_str()));
    if (!fd) return std::nullopt;
    bpf_link_info info{};
    std::uint32_t len = sizeof info;
    if (bpfsys::obj_get_info_by_fd(fd.get(), &info, &len) < 0) return std::nullopt;
    const bool ok = link.cgroup_hook ? info.type == BPF_LINK_TYPE_CGROUP && info.cgroup.cgroup_id == root_id &&
                                           info.cgroup.attach_type == *link.cgroup_hook
                                     : info.type == BPF_LINK_TYPE_RAW_TRACEPOINT;  // how tp_btf attaches
    if (!ok || info.prog_id == 0) return std::nullopt;
    return info.prog_id;
}

namespace {

// via's pin directory is root's and writable by nobody else, or via
// refuses it: where /sys/fs/bpf is open to all (mode 1777), a member could
// make it first and, owning it, remove via's pins, detaching everyone's
// programs. Checked on the directory read, so at every launch.
void check_owner(int dir_fd) {
    struct stat st {};
    if (::fstat(dir_fd, &st) < 0) throw errno_error(std::string("reading ") + owned::bpf_dir);
    if (S_ISDIR(st.st_mode) && st.st_uid == 0 && (st.st_mode & (S_IWGRP | S_IWOTH)) == 0) return;
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    errno = 0;
    throw Error(std::string(owned::bpf_dir) + " belongs to uid " + std::to_string(st.st_uid) + " with mode " +
                    mode + ", not to root alone: via does not pin its programs where another user may remove them",
                std::string("as root, remove it (rm -r ") + owned::bpf_dir + "); via makes it again, root's, 0700");
}

}  // namespace

std::vector<std::string> pins() {
    std::vector<std::string> names;
    // (Not through a symbolic link, which its owner could point elsewhere.)
    const int fd = ::open(owned::bpf_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) return names;
    if (fd < 0 && (errno == ELOOP || errno == ENOTDIR))
        throw Error(std::string(owned::bpf_dir) + " is not a directory of root's: via does not pin its programs there",
                    std::string("as root, remove it (rm ") + owned::bpf_dir + "); via makes it, root's, 0700");
    Handle<DIR, closedir> dir(fd < 0 ? nullptr : ::fdopendir(fd));
    if (!dir) {
        if (fd >= 0) ::close(fd);
        throw errno_error(std::string("reading ") + owned::bpf_dir, permission_hint(errno));
    }
    check_owner(::dirfd(dir.get()));
    while (const dirent* e = ::readdir(dir.get())) names.emplace_back(e->d_name);
    return names;
}

bool listed(const std::vector<std::string>& names, std::string_view name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

const char* pin_file(const MapSpec& m) { return std::strrchr(m.pin, '/') + 1; }

bool maps_pinned(const std::vector<std::string>& names) {
    return std::all_of(std::begin(maps), std::end(maps), [&](const MapSpec& m) { return listed(names, pin_file(m)); });
}

std::optional<std::size_t> marker_pinned(const std::vector<std::string>& names) {
    for (std::size_t i = 0; i < std::size(links); ++i)
        if (links[i].marker && listed(names, pin_name(links[i].name, stamp()))) return i;
    return std::nullopt;
}

bool links_pinned(const std::vector<std::string>& names) {
    return marker_pinned(names) && std::all_of(std::begin(links), std::end(links), [&](const LinkSpec& l) {
               return l.marker || listed(names, pin_name(l.name, stamp()));
           });
}

UniqueFd open_map(const char* pin, bool may_be_missing) {
    UniqueFd fd(bpfsys::obj_get(pin));
    if (!fd && !(may_be_missing && errno == ENOENT))
        throw errno_error(std::string("opening via's bpf map ") + pin, permission_hint(errno));
    return fd;
}

namespace {

static_assert(1 + std::size(links) <= VIA_STATE_ENTRIES, "via_state has an entry per link");

std::optional<std::array<std::uint64_t, VIA_STATE_ENTRIES>> read_state() {
    const UniqueFd state = open_map(owned::bpf_state_pin, true);
    if (!state) return std::nullopt;
    std::array<std::uint32_t, VIA_STATE_ENTRIES> keys{};
    std::array<std::uint64_t, VIA_STATE_ENTRIES> values{};
    std::uint32_t batch = 0, count = VIA_STATE_ENTRIES;
    // The whole array in one call; the kernel says ENOENT for its end.
    if (bpfsys::map_lookup_batch(state.get(), nullptr, &batch, keys.data(), values.data(), &count) < 0 &&
        errno != ENOENT)
        return std::nullopt;
    if (count != VIA_STATE_ENTRIES) return std::nullopt;
    for (std::uint32_t i = 0; i < VIA_STATE_ENTRIES; ++i)
        if (keys[i] != i) return std::nullopt;
    return values;
}

// The quick check of a launch: the cgroup root lists, at each hook, the
// program via recorded for it, and the fork program's link is attached. A
// query per hook instead of opening each link's pin; anything else sends
// the caller to the full check.
bool attached_as_recorded(const cgroup::Mount& mount) {
    const auto state = read_state();
    if (!state) return false;
    UniqueFd root(::open(mount.point.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root) return false;
    bool marked = false;
    for (std::size_t i = 0; i < std::size(links); ++i) {
        const LinkSpec& link = links[i];
        const std::uint64_t recorded = (*state)[program_entry(i)];
        if (link.marker && recorded == 0) continue;  // the marker via did not load
        marked = marked || link.marker;
        if (!link.cgroup_hook) {
            if (attached(link, 0) != recorded) return false;
            continue;
        }
        std::array<std::uint32_t, 64> ids{};
        std::uint32_t count = ids.size();
        if (recorded == 0 || bpfsys::prog_query(root.get(), *link.cgroup_hook, ids.data(), &count) < 0 ||
            std::find(ids.begin(), ids.begin() + count, recorded) == ids.begin() + count)
            return false;
    }
    return marked;
}

}  // namespace

std::string maps_what() { return std::string("bpf maps in ") + owned::bpf_dir; }

std::string where(const LinkSpec& link, const cgroup::Mount& mount) {
    return std::string(link.what) + (link.cgroup_hook ? ", on cgroup " + mount.point : "");
}

bool all_present(const cgroup::Mount& mount, std::size_t marker, const Report& report) {
    report.ensured(maps_what(), Outcome::present);
    for (std::size_t i = 0; i < std::size(links); ++i)
        if (!links[i].marker || i == marker) report.ensured(where(links[i], mount), Outcome::present);
    return true;
}

bool intact_as_listed(const std::vector<std::string>& names, const cgroup::Mount& mount, const Report& report) {
    VIA_STAGE("bpf pins listed");
    const bool attached = maps_pinned(names) && links_pinned(names) && attached_as_recorded(mount);
    VIA_STAGE("bpf programs attached");
    return attached && all_present(mount, *marker_pinned(names), report);
}

bool intact(const cgroup::Mount& mount, const Report& report) { return intact_as_listed(pins(), mount, report); }


}  // namespace via::sockmark
