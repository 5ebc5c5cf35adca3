#include "via/sockmark.hpp"

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "sockmark.skel.h"
#include "sockmark_stamp.h"
#include "tag.h"
#include "via/constants.hpp"
#include "via/error.hpp"
#include "via/handle.hpp"
#include "via/ids.hpp"

namespace via::sockmark {
namespace {

using Skeleton = Handle<sockmark_bpf, sockmark_bpf__destroy>;
using Link = Handle<bpf_link, bpf_link__destroy>;

// libbpf's warnings, kept to explain a failure instead of printed: via
// writes nothing on the caller's stderr but its own messages.
std::string libbpf_log;

int keep_warnings(libbpf_print_level level, const char* format, va_list args) {
    if (level != LIBBPF_WARN) return 0;
    char line[512];
    const int n = std::vsnprintf(line, sizeof line, format, args);
    if (n > 0) libbpf_log += line;
    return n;
}

Error bpf_error(int err, const std::string& what) {
    std::string context = what;
    if (!libbpf_log.empty()) {
        while (!libbpf_log.empty() && libbpf_log.back() == '\n') libbpf_log.pop_back();
        context += " (libbpf: " + libbpf_log + ")";
        libbpf_log.clear();
    }
    errno = err < 0 ? -err : err;
    return errno_error(context, permission_hint(errno));
}

// The pins of one program's link, by the name it is pinned under.
struct Pin {
    const char* what;  // "fork" or "sock_create"
    std::string path() const { return std::string(constants::bpf_dir) + "/" + pin_name(what, stamp()); }
};

constexpr Pin fork_pin{"fork"};
constexpr Pin sock_create_pin{"sock_create"};

// systemd mounts a bpffs at /sys/fs/bpf; elsewhere via mounts one there, as
// iproute2 does for its pinned programs.
void ensure_bpffs(const Report& report) {
    struct statfs st {};
    if (::statfs(constants::bpffs, &st) == 0 && st.f_type == BPF_FS_MAGIC) return;
    if (::mount("bpf", constants::bpffs, "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700") < 0)
        throw errno_error(std::string("mounting a bpf file system at ") + constants::bpffs,
                          std::string("via pins its programs there; in a container, bind-mount a bpffs to ") +
                              constants::bpffs);
    report.ensured(std::string("bpf file system at ") + constants::bpffs, Outcome::created);
}

void ensure_dir(const Report& report) {
    if (::mkdir(constants::bpf_dir, 0700) == 0) {
        report.ensured(constants::bpf_dir, Outcome::created);
        return;
    }
    if (errno != EEXIST) throw errno_error(std::string("creating ") + constants::bpf_dir, permission_hint(errno));
}

// A pinned link that is still attached: to the hierarchy's root for
// sock_create (a cgroup link detached by `bpftool link detach` reports
// cgroup 0), to its tracepoint for fork.
bool attached(const std::string& path, std::uint64_t root_id) {
    UniqueFd fd(bpf_obj_get(path.c_str()));
    if (!fd) return false;
    bpf_link_info info{};
    std::uint32_t len = sizeof info;
    if (bpf_obj_get_info_by_fd(fd.get(), &info, &len) < 0) return false;
    if (info.type == BPF_LINK_TYPE_CGROUP) return info.cgroup.cgroup_id == root_id;
    return info.type == BPF_LINK_TYPE_RAW_TRACEPOINT && info.prog_id != 0;  // how tp_btf attaches
}

void pin(Link link, const std::string& path, const std::string& what) {
    if (!link) throw bpf_error(errno, "attaching " + what);
    ::unlink(path.c_str());  // a stale pin of a detached link
    if (int err = bpf_link__pin(link.get(), path.c_str()); err < 0) throw bpf_error(err, "pinning " + what + " at " + path);
}

// Links of other stamps: what an older (or newer) via attached. Removing the
// pin detaches the program; the map, and with it the tags, stays.
void remove_other_stamps(const Report& report) {
    Handle<DIR, closedir> dir(::opendir(constants::bpf_dir));
    if (!dir) throw errno_error(std::string("reading ") + constants::bpf_dir);
    const std::string ours_fork = pin_name(fork_pin.what, stamp());
    const std::string ours_sock = pin_name(sock_create_pin.what, stamp());
    while (const dirent* e = ::readdir(dir.get())) {
        const std::string name = e->d_name;
        const bool link = name.rfind(std::string(fork_pin.what) + "-", 0) == 0 ||
                          name.rfind(std::string(sock_create_pin.what) + "-", 0) == 0;
        if (!link || name == ours_fork || name == ours_sock) continue;
        const std::string path = std::string(constants::bpf_dir) + "/" + name;
        if (::unlink(path.c_str()) < 0) throw errno_error("removing the old pin " + path);
        report.ensured("removed old pin " + path, Outcome::replaced);
    }
}

UniqueFd open_map(const char* pin) {
    UniqueFd fd(bpf_obj_get(pin));
    if (!fd) throw errno_error(std::string("opening via's bpf map ") + pin, permission_hint(errno));
    return fd;
}

via_uplink key_of(const std::string& uplink) {
    via_uplink key{};
    uplink.copy(key.name, sizeof key.name - 1);
    return key;
}

UniqueFd pidfd_of(pid_t pid) {
    UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (!fd) throw errno_error("opening a pidfd for process " + std::to_string(pid));
    return fd;
}

}  // namespace

std::string pin_name(const std::string& what, const std::string& stamp) { return what + "-" + stamp; }

const std::string& stamp() {
    static const std::string s = sockmark_stamp;
    return s;
}

void ensure(const cgroup::Mount& mount, const Report& report) {
    libbpf_set_print(keep_warnings);
    ensure_bpffs(report);
    ensure_dir(report);

    const std::uint64_t root_id = cgroup::id_of(mount.point);
    const std::string fork_path = fork_pin.path(), sock_path = sock_create_pin.path();
    struct stat st {};
    const bool have_maps = ::stat(constants::bpf_tags_pin, &st) == 0 && ::stat(constants::bpf_uplinks_pin, &st) == 0;
    const bool have_fork = attached(fork_path, root_id);
    const bool have_sock = attached(sock_path, root_id);
    const std::string fork_what = "bpf program copying via's tags to new tasks";
    const std::string sock_what = "bpf program marking the sockets of tagged tasks, on cgroup " + mount.point;
    const std::string maps_what = std::string("bpf maps ") + constants::bpf_tags_pin + " and " + constants::bpf_uplinks_pin;
    if (have_maps && have_fork && have_sock) {
        report.ensured(maps_what, Outcome::present);
        report.ensured(fork_what, Outcome::present);
        report.ensured(sock_what, Outcome::present);
        return;
    }

    Skeleton skel(sockmark_bpf__open());
    if (!skel) throw bpf_error(errno, "opening via's bpf object");
    // Reused when pinned already (the tags of running programs are in
    // them), created and pinned otherwise.
    for (auto [map, pin] : {std::pair{skel->maps.via_tags, constants::bpf_tags_pin},
                            std::pair{skel->maps.via_uplinks, constants::bpf_uplinks_pin}})
        if (int err = bpf_map__set_pin_path(map, pin); err < 0) throw bpf_error(err, std::string("pinning at ") + pin);
    if (int err = sockmark_bpf__load(skel.get()); err < 0)
        throw bpf_error(err, "loading via's bpf programs");
    report.ensured(maps_what, have_maps ? Outcome::present : Outcome::created);

    // The fork program first: once sockets are marked, children must be
    // tagged too.
    if (!have_fork) {
        pin(Link(bpf_program__attach_trace(skel->progs.via_fork)), fork_path, fork_what);
        report.ensured(fork_what, Outcome::created);
    } else {
        report.ensured(fork_what, Outcome::present);
    }
    if (!have_sock) {
        UniqueFd root(::open(mount.point.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!root) throw errno_error("opening cgroup " + mount.point);
        // A link attaches with BPF_F_ALLOW_MULTI: beside the programs others
        // attached, and it replaces none of them.
        pin(Link(bpf_program__attach_cgroup(skel->progs.via_sock_create, root.get())), sock_path, sock_what);
        report.ensured(sock_what, Outcome::created);
    } else {
        report.ensured(sock_what, Outcome::present);
    }
    remove_other_stamps(report);
}

void set_uplink(const std::string& uplink, std::uint32_t mark, const Report& report) {
    UniqueFd uplinks = open_map(constants::bpf_uplinks_pin);
    const via_uplink key = key_of(uplink);
    const std::string what = "uplink " + uplink + " with mark " + ids::hex(mark) + " for running programs";
    std::uint32_t current = 0;
    const bool known = bpf_map_lookup_elem(uplinks.get(), &key, &current) == 0;
    if (known && current == mark) {
        report.ensured(what, Outcome::present);
        return;
    }
    if (bpf_map_update_elem(uplinks.get(), &key, &mark, BPF_ANY) < 0)
        throw errno_error("recording " + what, permission_hint(errno));
    report.ensured(what, known ? Outcome::replaced : Outcome::created);
}

void tag_self(const std::string& uplink, std::uint32_t mark) {
    UniqueFd tags = open_map(constants::bpf_tags_pin);
    UniqueFd self = pidfd_of(::getpid());
    const int key = self.get();
    const via_tag tag{key_of(uplink), mark};
    if (bpf_map_update_elem(tags.get(), &key, &tag, BPF_ANY) < 0)
        throw errno_error("tagging via's process with uplink " + uplink);
}

std::optional<Tag> tag_of(pid_t pid) {
    UniqueFd tags(bpf_obj_get(constants::bpf_tags_pin));
    if (!tags && errno == ENOENT) return std::nullopt;  // nothing was ever tagged
    if (!tags) throw errno_error(std::string("opening via's bpf map ") + constants::bpf_tags_pin, permission_hint(errno));
    UniqueFd process = pidfd_of(pid);
    const int key = process.get();
    via_tag tag{};
    if (bpf_map_lookup_elem(tags.get(), &key, &tag) == 0)
        return Tag{std::string(tag.uplink.name, strnlen(tag.uplink.name, sizeof tag.uplink.name)), tag.mark};
    if (errno == ENOENT) return std::nullopt;
    throw errno_error("reading the tag of process " + std::to_string(pid));
}

}  // namespace via::sockmark
