#include "launch/sockmark.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <iterator>
#include <optional>
#include <string_view>
#include <tuple>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/magic.h>

#include <bpf/libbpf.h>

#include "kernel/bpfsys.hpp"
#include "launch/error.hpp"
#include "launch/files.hpp"
#include "launch/handle.hpp"
#include "launch/ids.hpp"
#include "launch/stages.hpp"
#include "launch/text.hpp"
#include "owned.hpp"
#include "sockmark.skel.h"
#include "sockmark_stamp.h"
#include "tag.h"

namespace via::sockmark {
namespace {

using Skeleton = Handle<sockmark_bpf, sockmark_bpf__destroy>;
using Link = Handle<bpf_link, bpf_link__destroy>;

// libbpf's warnings, kept to explain a failure instead of printed: via
// writes nothing on the caller's stderr but its own messages.
std::string libbpf_log;

int keep_warnings(libbpf_print_level level, const char* format, va_list args) {
    if (level != LIBBPF_WARN) return 0;
    va_list again;
    va_copy(again, args);
    const int n = std::vsnprintf(nullptr, 0, format, args);
    if (n > 0) {
        std::string line(static_cast<std::size_t>(n) + 1, '\0');
        std::vsnprintf(line.data(), line.size(), format, again);
        line.pop_back();
        libbpf_log += line;
    }
    va_end(again);
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

// via's links, in the order they are attached: the fork program first, so
// that once sockets are marked, children are tagged too; the guard last.
struct LinkSpec {
    const char* name;  // of the pin, before the stamp; the program is via_NAME
    const char* what;
    std::optional<bpf_attach_type> cgroup_hook;  // none: a tracepoint
    // One of the two programs that mark sockets, of which via loads the
    // first the kernel accepts (src/bpf/sockmark.bpf.c says which kernels
    // take which): the other is neither loaded nor attached.
    bool marker = false;
};

const LinkSpec links[] = {
    {"fork", "bpf program copying via's tags to new tasks", std::nullopt},
    {"sock_create", "bpf program marking the sockets of tagged tasks (cgroup/sock_create)",
     BPF_CGROUP_INET_SOCK_CREATE, true},
    {"socket", "bpf program marking the sockets of tagged tasks (lsm_cgroup/socket_post_create)", BPF_LSM_CGROUP,
     true},
    {"egress", "bpf program dropping what via's sockets send by another interface", BPF_CGROUP_INET_EGRESS},
    {"connect4", "bpf program sending a launch's IPv4 DNS to its servers (connect)", BPF_CGROUP_INET4_CONNECT},
    {"connect6", "bpf program sending a launch's IPv6 DNS to its servers (connect)", BPF_CGROUP_INET6_CONNECT},
    {"sendmsg4", "bpf program sending a launch's IPv4 DNS to its servers (sendmsg)", BPF_CGROUP_UDP4_SENDMSG},
    {"sendmsg6", "bpf program sending a launch's IPv6 DNS to its servers (sendmsg)", BPF_CGROUP_UDP6_SENDMSG},
    {"recvmsg4", "bpf program showing DNS replies from the address asked (IPv4)", BPF_CGROUP_UDP4_RECVMSG},
    {"recvmsg6", "bpf program showing DNS replies from the address asked (IPv6)", BPF_CGROUP_UDP6_RECVMSG},
    {"sysctl", "bpf program counting writes to src_valid_mark sysctls", BPF_CGROUP_SYSCTL},
};

// Pins of older vias' maps, whose format has changed: removed.
const char* const retired_pins[] = {"tags", "uplinks", "lans"};

std::string pin_path(const LinkSpec& link) { return std::string(constants::bpf_dir) + "/" + pin_name(link.name, stamp()); }

struct MapSpec {
    const char* pin;
    const char* map;  // its name in the object
};

const MapSpec maps[] = {
    {constants::bpf_tags_pin, "via_tags"},
    {constants::bpf_uplinks_pin, "via_uplinks_ns"},
    {constants::bpf_lans_pin, "via_lans_ns"},
    {constants::bpf_sock_netns_pin, "via_sock_netns"},
    {constants::bpf_users_pin, "via_users"},
    {constants::bpf_dns_peers_pin, "via_dns_peers"},
    {constants::bpf_sock_dns_pin, "via_sock_dns"},
    {constants::bpf_launches_pin, "via_launches"},
    {constants::bpf_owners_pin, "via_owners"},
    {constants::bpf_traffic_pin, "via_traffic"},
    {constants::bpf_state_pin, "via_state"},
};

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

// True when it made the directory.
bool ensure_dir(const Report& report) {
    if (::mkdir(constants::bpf_dir, 0700) == 0) {
        report.ensured(constants::bpf_dir, Outcome::created);
        return true;
    }
    if (errno != EEXIST) throw errno_error(std::string("creating ") + constants::bpf_dir, permission_hint(errno));
    return false;
}

// The id of the program of a pinned link that is still attached: at its
// hook of the hierarchy's root for a cgroup link (one detached by `bpftool
// link detach` reports cgroup 0), to its tracepoint otherwise.
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

// via's pin directory is root's and writable by nobody else, or via
// refuses it: where /sys/fs/bpf is open to all (mode 1777), a member could
// make it first and, owning it, remove via's pins, detaching everyone's
// programs. Checked on the directory read, so at every launch.
void check_owner(int dir_fd) {
    struct stat st {};
    if (::fstat(dir_fd, &st) < 0) throw errno_error(std::string("reading ") + constants::bpf_dir);
    if (S_ISDIR(st.st_mode) && st.st_uid == 0 && (st.st_mode & (S_IWGRP | S_IWOTH)) == 0) return;
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    errno = 0;
    throw Error(std::string(constants::bpf_dir) + " belongs to uid " + std::to_string(st.st_uid) + " with mode " +
                    mode + ", not to root alone: via does not pin its programs where another user may remove them",
                std::string("as root, remove it (rm -r ") + constants::bpf_dir + "); via makes it again, root's, 0700");
}

// The names in via's pin directory: one read of it, not a call per pin.
std::vector<std::string> pins() {
    std::vector<std::string> names;
    // (Not through a symbolic link, which its owner could point elsewhere.)
    const int fd = ::open(constants::bpf_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) return names;
    if (fd < 0 && (errno == ELOOP || errno == ENOTDIR))
        throw Error(std::string(constants::bpf_dir) + " is not a directory of root's: via does not pin its programs there",
                    std::string("as root, remove it (rm ") + constants::bpf_dir + "); via makes it, root's, 0700");
    Handle<DIR, closedir> dir(fd < 0 ? nullptr : ::fdopendir(fd));
    if (!dir) {
        if (fd >= 0) ::close(fd);
        throw errno_error(std::string("reading ") + constants::bpf_dir, permission_hint(errno));
    }
    check_owner(::dirfd(dir.get()));
    while (const dirent* e = ::readdir(dir.get())) names.emplace_back(e->d_name);
    return names;
}

bool listed(const std::vector<std::string>& names, std::string_view name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

// A map's pin, as listed in via's pin directory.
const char* pin_file(const MapSpec& m) { return std::strrchr(m.pin, '/') + 1; }

bool maps_pinned(const std::vector<std::string>& names) {
    return std::all_of(std::begin(maps), std::end(maps), [&](const MapSpec& m) { return listed(names, pin_file(m)); });
}

// The socket marker whose pin is listed, if any.
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

void pin(Link link, const std::string& path, const std::string& what) {
    if (!link) throw bpf_error(errno, "attaching " + what);
    ::unlink(path.c_str());  // a stale pin of a detached link
    if (int err = bpf_link__pin(link.get(), path.c_str()); err < 0) throw bpf_error(err, "pinning " + what + " at " + path);
}

// Links of other stamps: what an older (or newer) via attached. Removing the
// pin detaches the program; the map, and with it the tags, stays. And
// retired maps.
void remove_other_stamps(const Report& report) {
    Handle<DIR, closedir> dir(::opendir(constants::bpf_dir));
    if (!dir) throw errno_error(std::string("reading ") + constants::bpf_dir);
    while (const dirent* e = ::readdir(dir.get())) {
        const std::string name = e->d_name;
        bool other = std::any_of(std::begin(retired_pins), std::end(retired_pins),
                                 [&](const char* retired) { return name == retired; });
        for (const auto& link : links)
            if (name.rfind(std::string(link.name) + "-", 0) == 0 && name != pin_name(link.name, stamp())) other = true;
        if (!other) continue;
        const std::string path = std::string(constants::bpf_dir) + "/" + name;
        if (::unlink(path.c_str()) < 0) throw errno_error("removing the old pin " + path);
        report.ensured("removed old pin " + path, Outcome::replaced);
    }
}

// A pinned map of via's; with `may_be_missing`, an empty fd when it was
// never pinned.
UniqueFd open_map(const char* pin, bool may_be_missing = false) {
    UniqueFd fd(bpfsys::obj_get(pin));
    if (!fd && !(may_be_missing && errno == ENOENT))
        throw errno_error(std::string("opening via's bpf map ") + pin, permission_hint(errno));
    return fd;
}

// via's state map: the count of sysctl writes, then the id of each link's
// program as via last attached or found it.
static_assert(1 + std::size(links) <= VIA_STATE_ENTRIES, "via_state has an entry per link");
constexpr std::uint32_t program_entry(std::size_t link) { return static_cast<std::uint32_t>(1 + link); }

std::optional<std::array<std::uint64_t, VIA_STATE_ENTRIES>> read_state() {
    const UniqueFd state = open_map(constants::bpf_state_pin, true);
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

// The id of each link's attached program, by the order of links[] (none:
// not attached).
using ProgramIds = std::array<std::optional<std::uint32_t>, std::size(links)>;

// What attached_as_recorded() compares with.
void record_programs(const ProgramIds& ids) {
    const UniqueFd state = open_map(constants::bpf_state_pin);
    for (std::size_t i = 0; i < std::size(links); ++i) {
        const std::uint32_t key = program_entry(i);
        const std::uint64_t id = ids[i].value_or(0);
        if (bpfsys::map_update_elem(state.get(), &key, &id, BPF_ANY) < 0)
            throw errno_error("recording the programs via attached");
    }
}

std::optional<std::uint32_t> program_id(int prog_fd) {
    bpf_prog_info info{};
    std::uint32_t len = sizeof info;
    if (bpfsys::obj_get_info_by_fd(prog_fd, &info, &len) < 0) return std::nullopt;
    return info.id;
}

via_uplink key_of(const std::string& uplink) {
    via_uplink key{};
    uplink.copy(key.name, sizeof key.name - 1);
    return key;
}

via_uplink_key key_here(const std::string& uplink) { return {ids::own_netns(), key_of(uplink)}; }

std::string name_of(const via_uplink& key) { return std::string(key.name, strnlen(key.name, sizeof key.name)); }

Tag tag_from(const via_tag& t) {
    Tag tag{name_of(t.uplink), t.mark, (t.flags & VIA_TAG_OPEN) != 0, {}};
    char text[INET6_ADDRSTRLEN];
    for (const auto& a : t.dns.dns4)
        if (a && inet_ntop(AF_INET, &a, text, sizeof text)) tag.dns.emplace_back(text);
    for (const auto& a : t.dns.dns6)
        if ((a[0] | a[1] | a[2] | a[3]) && inet_ntop(AF_INET6, a, text, sizeof text)) tag.dns.emplace_back(text);
    return tag;
}

UniqueFd pidfd_of(pid_t pid) {
    UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (!fd) throw errno_error("opening a pidfd for process " + std::to_string(pid));
    return fd;
}

// Every key of the networks map: in batches of up to 256, one system call
// each, where the kernel has batch lookups for tries; one by one where not.
constexpr int kernel_enotsupp = 524;  // ENOTSUPP: the kernel's own, which bpf(2) may return

std::vector<via_lan> lan_keys(int fd) {
    std::vector<via_lan> keys(256);
    std::vector<std::uint8_t> values(keys.size());
    std::vector<via_lan> out;
    via_lan batch{};
    for (bool first = true;; first = false) {
        __u32 count = static_cast<__u32>(keys.size());
        const int err = bpfsys::map_lookup_batch(fd, first ? nullptr : &batch, &batch, keys.data(), values.data(), &count);
        out.insert(out.end(), keys.begin(), keys.begin() + count);
        if (err == 0) continue;
        if (errno == ENOENT) return out;  // the last batch
        if (!first || (errno != EINVAL && errno != kernel_enotsupp && errno != EOPNOTSUPP))
            throw errno_error("reading via's map of connected networks");
        break;
    }
    out.clear();
    via_lan key{}, next{};
    for (const via_lan* prev = nullptr; bpfsys::map_get_next_key(fd, prev, &next) == 0; prev = &key) {
        key = next;
        out.push_back(key);
    }
    return out;
}

// Maps whose pin was removed while via's programs still use them (only
// root can): pinned again where they were, from the programs' own list of
// maps. Creating them anew instead would leave the attached programs on
// the old ones, away from what via writes: the tag of the next launch, its
// uplink's mark. `names`, the listing of the pins, gets those pinned again.
void repin_maps(const ProgramIds& programs, std::vector<std::string>& names, const Report& report) {
    for (const auto& prog_id : programs) {
        if (!prog_id) continue;
        UniqueFd prog(bpfsys::prog_get_fd_by_id(*prog_id));
        std::array<std::uint32_t, 16> ids{};
        bpf_prog_info info{};
        info.nr_map_ids = ids.size();
        info.map_ids = reinterpret_cast<std::uintptr_t>(ids.data());
        std::uint32_t len = sizeof info;
        if (!prog || bpfsys::obj_get_info_by_fd(prog.get(), &info, &len) < 0) continue;
        for (std::uint32_t i = 0; i < std::min<std::uint32_t>(info.nr_map_ids, ids.size()); ++i) {
            UniqueFd map(bpfsys::map_get_fd_by_id(ids[i]));
            bpf_map_info map_info{};
            std::uint32_t map_len = sizeof map_info;
            if (!map || bpfsys::obj_get_info_by_fd(map.get(), &map_info, &map_len) < 0) continue;
            for (const auto& m : maps) {
                if (std::strncmp(map_info.name, m.map, sizeof map_info.name) != 0 || listed(names, pin_file(m))) continue;
                if (bpfsys::obj_pin(map.get(), m.pin) < 0) throw errno_error(std::string("pinning again ") + m.pin);
                names.emplace_back(pin_file(m));
                report.ensured(std::string("bpf map ") + m.pin + ", pinned again (via's attached programs use it)",
                               Outcome::replaced);
            }
        }
    }
}

// While the sysctl program was not attached, writes went uncounted: its
// count starts again from a random value, which no stamp holds.
void restart_count(sockmark_bpf* skel) {
    std::uint64_t start = 0;
    if (::getrandom(&start, sizeof start, 0) != sizeof start) throw errno_error("getrandom");
    const std::uint32_t key = VIA_STATE_SYSCTL_WRITES;
    if (bpf_map__update_elem(skel->maps.via_state, &key, sizeof key, &start, sizeof start, BPF_ANY) < 0)
        throw errno_error("starting the count of src_valid_mark writes");
}

}  // namespace

std::string pin_name(const std::string& what, const std::string& stamp) { return what + "-" + stamp; }

std::optional<std::string> active_lsms() {
    const auto text = read_whole("/sys/kernel/security/lsm");
    if (!text) return std::nullopt;
    return std::string(via::text::trim(text->substr(0, text->find('\n'))));
}

bool lists(const std::string& csv, const std::string& name) {
    return ("," + csv + ",").find("," + name + ",") != std::string::npos;
}

std::string refusal(std::string_view log, int err) {
    constexpr std::string_view failed = "': BPF program load failed: ";
    const std::size_t at = log.rfind(failed);
    const std::size_t name = at == std::string_view::npos ? at : log.rfind("prog '", at);
    if (name == std::string_view::npos) return std::string("loading via's bpf programs: ") + std::strerror(err);
    const std::string program(log.substr(name + 6, at - name - 6));
    const std::size_t eol = log.find('\n', at);
    std::string reason(log.substr(at + failed.size(), eol == std::string_view::npos ? eol : eol - at - failed.size()));
    // The verifier's own word, from its log: the last line before its
    // statistics.
    const std::size_t begin = log.find("-- BEGIN PROG LOAD LOG --", at);
    const std::size_t end = begin == std::string_view::npos ? begin : log.find("-- END PROG LOAD LOG --", begin);
    if (end != std::string_view::npos) {
        std::string_view verifier = log.substr(begin, end - begin);
        std::string last;
        for (std::size_t from = verifier.find('\n'); from != std::string_view::npos;) {
            const std::size_t to = verifier.find('\n', from + 1);
            std::string line(text::trim(verifier.substr(from + 1, to == std::string_view::npos ? to : to - from - 1)));
            if (line.rfind("libbpf: ", 0) == 0) line.erase(0, 8);
            const bool statistics = line.empty() || line.rfind("processed ", 0) == 0 ||
                                    line.rfind("verification time", 0) == 0 || line.rfind("stack depth", 0) == 0 ||
                                    line.rfind("mark_precise", 0) == 0;
            if (!statistics) last = line;
            from = to;
        }
        if (!last.empty()) reason = last;
    }
    return "program " + program + ": " + reason;
}

const std::string& stamp() {
    static const std::string s = sockmark_stamp;
    return s;
}

namespace {

const std::string maps_what = std::string("bpf maps in ") + constants::bpf_dir;

std::string where(const LinkSpec& link, const cgroup::Mount& mount) {
    return std::string(link.what) + (link.cgroup_hook ? ", on cgroup " + mount.point : "");
}

bool all_present(const cgroup::Mount& mount, std::size_t marker, const Report& report) {
    report.ensured(maps_what, Outcome::present);
    for (std::size_t i = 0; i < std::size(links); ++i)
        if (!links[i].marker || i == marker) report.ensured(where(links[i], mount), Outcome::present);
    return true;
}

// intact(), with the pin directory's listing in hand.
bool intact_as_listed(const std::vector<std::string>& names, const cgroup::Mount& mount, const Report& report) {
    VIA_STAGE("bpf pins listed");
    const bool attached = maps_pinned(names) && links_pinned(names) && attached_as_recorded(mount);
    VIA_STAGE("bpf programs attached");
    return attached && all_present(mount, *marker_pinned(names), report);
}

// The index in links[] of each socket marker, in the order via tries them.
std::vector<std::size_t> markers() {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < std::size(links); ++i)
        if (links[i].marker) out.push_back(i);
    return out;
}

bpf_program* program_of(sockmark_bpf* skel, const LinkSpec& link) {
    const std::string program = "via_" + std::string(link.name);
    bpf_program* prog = bpf_object__find_program_by_name(skel->obj, program.c_str());
    if (!prog) throw Error("via's bpf object has no program " + program);
    return prog;
}

// via's object, opened, with only socket marker `marker` to be loaded.
Skeleton open_with(std::size_t marker) {
    Skeleton skel(sockmark_bpf__open());
    if (!skel) throw bpf_error(errno, "opening via's bpf object");
    for (std::size_t i : markers())
        if (int err = bpf_program__set_autoload(program_of(skel.get(), links[i]), i == marker); err < 0)
            throw bpf_error(err, "choosing via's socket program");
    return skel;
}

// Loads the object with the first socket marker of `candidates` that the
// kernel accepts; throws what the kernel refused of each when none.
// `prepare` sets up each attempt's object before its load.
template <class Prepare>
std::pair<Skeleton, std::size_t> load_first(const std::vector<std::size_t>& candidates, Prepare prepare) {
    std::vector<std::string> refused;
    for (std::size_t marker : candidates) {
        // An LSM program loads and attaches where the BPF LSM is not
        // active, and never runs: not tried there, where that can be seen.
        if (links[marker].cgroup_hook == BPF_LSM_CGROUP) {
            const auto lsms = active_lsms();
            if (lsms && !lists(*lsms, "bpf")) {
                refused.push_back("program via_" + std::string(links[marker].name) +
                                  " needs the BPF LSM, which is not active (" + *lsms + ")");
                continue;
            }
        }
        Skeleton skel = open_with(marker);
        prepare(skel.get());
        libbpf_log.clear();
        if (int err = sockmark_bpf__load(skel.get()); err < 0) {
            refused.push_back(refusal(libbpf_log, -err));
            libbpf_log.clear();
            continue;
        }
        return {std::move(skel), marker};
    }
    std::string all;
    for (const auto& r : refused) all += (all.empty() ? "" : "; ") + r;
    errno = 0;
    throw Error("the kernel refuses via's bpf programs: " + all, std::string(kernel_floor));
}

}  // namespace

bool intact(const cgroup::Mount& mount, const Report& report) { return intact_as_listed(pins(), mount, report); }

bool ensure(const cgroup::Mount& mount, const Report& report) {
    libbpf_set_print(keep_warnings);
    ensure_bpffs(report);
    const bool made_dir = ensure_dir(report);
    std::vector<std::string> names = pins();
    if (intact_as_listed(names, mount, report)) return true;

    const auto where = [&](const LinkSpec& link) { return sockmark::where(link, mount); };
    bool have_maps = maps_pinned(names);

    const std::uint64_t root_id = cgroup::id_of(mount.point);
    ProgramIds ids;
    for (std::size_t i = 0; i < std::size(links); ++i) ids[i] = attached(links[i], root_id);
    const auto has = [](const auto& id) { return id.has_value(); };
    if (!have_maps && std::any_of(ids.begin(), ids.end(), has)) {
        repin_maps(ids, names, report);
        have_maps = maps_pinned(names);
    }
    // The socket marker attached already, if any: the one this boot uses.
    std::optional<std::size_t> chosen;
    for (std::size_t i : markers())
        if (ids[i] && !chosen) chosen = i;
    const auto needed = [&](std::size_t i) { return !links[i].marker || i == chosen; };
    bool complete = chosen.has_value();
    for (std::size_t i = 0; i < std::size(links); ++i) complete = complete && (!needed(i) || ids[i]);
    if (have_maps && complete) {
        for (std::size_t i : markers())
            if (i != chosen) ids[i].reset();
        record_programs(ids);  // for the next launch's quick check
        return all_present(mount, *chosen, report);
    }

    // Maps are reused when pinned already (the tags of running programs
    // are in them), created and pinned otherwise.
    const auto pin_maps = [](sockmark_bpf* s) {
        for (const auto& m : maps) {
            bpf_map* map = bpf_object__find_map_by_name(s->obj, m.map);
            if (!map) throw Error(std::string("via's bpf object has no map ") + m.map);
            if (int err = bpf_map__set_pin_path(map, m.pin); err < 0)
                throw bpf_error(err, std::string("pinning at ") + m.pin);
        }
    };
    // A kernel that refuses them keeps nothing of via's: libbpf unpins
    // the maps it pinned, and the directory goes if this call made it.
    Skeleton skel;
    try {
        std::tie(skel, chosen) = load_first(chosen ? std::vector<std::size_t>{*chosen} : markers(), pin_maps);
    } catch (const Error&) {
        if (made_dir) ::rmdir(constants::bpf_dir);
        throw;
    }
    report.ensured(maps_what, have_maps ? Outcome::present : Outcome::created);

    UniqueFd root(::open(mount.point.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw errno_error("opening cgroup " + mount.point);
    for (std::size_t i = 0; i < std::size(links); ++i) {
        const LinkSpec& link = links[i];
        if (!needed(i)) {
            ids[i].reset();
            continue;
        }
        if (ids[i]) {
            report.ensured(where(link), Outcome::present);
            continue;
        }
        // A cgroup link attaches with BPF_F_ALLOW_MULTI: beside the programs
        // others attached, and it replaces none of them.
        bpf_program* prog = program_of(skel.get(), link);
        pin(Link(link.cgroup_hook ? bpf_program__attach_cgroup(prog, root.get()) : bpf_program__attach_trace(prog)),
            pin_path(link), where(link));
        if (link.cgroup_hook == BPF_CGROUP_SYSCTL) restart_count(skel.get());
        ids[i] = program_id(bpf_program__fd(prog));
        report.ensured(where(link), Outcome::created);
    }
    remove_other_stamps(report);
    record_programs(ids);
    return false;
}

std::string trial_load() {
    libbpf_set_print(keep_warnings);
    auto [skel, marker] = load_first(markers(), [](sockmark_bpf*) {});
    return bpf_program__section_name(program_of(skel.get(), links[marker]));
}

std::optional<std::uint64_t> sysctl_writes() {
    const UniqueFd map = open_map(constants::bpf_state_pin, true);
    const std::uint32_t key = VIA_STATE_SYSCTL_WRITES;
    std::uint64_t count = 0;
    if (!map || bpfsys::map_lookup_elem(map.get(), &key, &count) < 0) return std::nullopt;
    return count;
}

void set_uplink(const std::string& uplink, std::uint32_t mark, const Report& report) {
    UniqueFd uplinks = open_map(constants::bpf_uplinks_pin);
    const via_uplink_key key = key_here(uplink);
    const std::string what = "uplink " + uplink + " with mark " + ids::hex(mark) + " for running programs";
    std::uint32_t current = 0;
    const bool known = bpfsys::map_lookup_elem(uplinks.get(), &key, &current) == 0;
    if (known && current == mark) {
        report.ensured(what, Outcome::present);
        return;
    }
    if (bpfsys::map_update_elem(uplinks.get(), &key, &mark, BPF_ANY) < 0)
        throw errno_error("recording " + what, permission_hint(errno));
    report.ensured(what, known ? Outcome::replaced : Outcome::created);
}

via_lan network_key(const uplink::Network& network, std::uint64_t netns) {
    via_lan key{};
    key.ifindex = static_cast<std::uint32_t>(network.ifindex);
    key.netns = netns;
    constexpr unsigned whole = 32 + 64;  // the ifindex and the namespace
    if (network.family == AF_INET) {
        key.addr[10] = key.addr[11] = 0xff;  // ::ffff:a.b.c.d
        std::copy_n(network.addr.begin(), 4, key.addr + 12);
        key.prefixlen = whole + 96 + network.prefixlen;
    } else {
        std::copy(network.addr.begin(), network.addr.end(), key.addr);
        key.prefixlen = whole + network.prefixlen;
    }
    return key;
}

void set_networks(const std::vector<uplink::Network>& networks, const Report& report) {
    UniqueFd lans = open_map(constants::bpf_lans_pin);
    const auto same = [](const via_lan& a, const via_lan& b) { return std::memcmp(&a, &b, sizeof a) == 0; };
    const std::uint64_t netns = ids::own_netns();
    std::vector<via_lan> wanted;
    for (const auto& n : networks) {
        const via_lan key = network_key(n, netns);
        if (std::none_of(wanted.begin(), wanted.end(), [&](const via_lan& w) { return same(w, key); }))
            wanted.push_back(key);
    }

    std::vector<via_lan> stale, present;
    for (const auto& key : lan_keys(lans.get())) {
        if (key.netns != netns) continue;  // another namespace's
        const bool is_wanted = std::any_of(wanted.begin(), wanted.end(), [&](const via_lan& w) { return same(w, key); });
        (is_wanted ? present : stale).push_back(key);
    }
    const std::size_t kept = present.size();
    // Added before the stale ones go, so that no moment lacks a network
    // that is still there.
    const std::uint8_t yes = 1;
    for (const auto& w : wanted)
        if (std::none_of(present.begin(), present.end(), [&](const via_lan& p) { return same(p, w); }) &&
            bpfsys::map_update_elem(lans.get(), &w, &yes, BPF_ANY) < 0)
            throw errno_error("recording a connected network for via's programs", permission_hint(errno));
    for (const auto& k : stale)
        if (bpfsys::map_delete_elem(lans.get(), &k) < 0 && errno != ENOENT)
            throw errno_error("forgetting a network that is no longer connected");
    const std::string what = "connected networks reachable by other interfaces (" + std::to_string(wanted.size()) + ")";
    report.ensured(what, stale.empty() && kept == wanted.size() ? Outcome::present
                         : kept == 0 && stale.empty()           ? Outcome::created
                                                                : Outcome::replaced);
}

via_tag make_tag(const Launch& launch) {
    via_tag tag{};
    tag.uplink = key_of(launch.uplink);
    tag.mark = launch.mark;
    tag.flags = launch.kill_switch ? 0u : VIA_TAG_OPEN;
    std::size_t n4 = 0, n6 = 0;
    for (const auto& server : launch.dns) {
        if (n4 < VIA_MAX_DNS && inet_pton(AF_INET, server.c_str(), &tag.dns.dns4[n4]) == 1)
            ++n4;
        else if (n6 < VIA_MAX_DNS && inet_pton(AF_INET6, server.c_str(), tag.dns.dns6[n6]) == 1)
            ++n6;
    }
    return tag;
}

std::uint32_t socket_mark(const Launch& launch) {
    return launch.kill_switch ? launch.mark : launch.mark & ~std::uint32_t{VIA_OPEN_BIT};
}

namespace {

// The proof that the kernel runs via's socket program for this task: a
// socket made now carries the launch's mark. The kernel may load and
// attach an lsm_cgroup program and never run it (the BPF LSM not among
// the active ones): the program would then be on no uplink, and the
// launch fails instead.
void prove_marked(const Launch& launch) {
    const std::uint32_t wanted = socket_mark(launch);
    UniqueFd probe(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!probe)
        throw errno_error("creating a socket as a tagged task, to see its mark",
                          errno == EPERM ? "via's socket program could not mark it: run 'via check'" : "");
    std::uint32_t mark = 0;
    socklen_t len = sizeof mark;
    if (::getsockopt(probe.get(), SOL_SOCKET, SO_MARK, &mark, &len) < 0) throw errno_error("reading a socket's mark");
    if (mark != wanted)
        throw Error("the kernel did not run via's socket program: a socket of this launch has mark " + ids::hex(mark) +
                        ", not " + ids::hex(wanted) + "; the program would leave by the main table",
                    "via needs the BPF LSM active ('bpf' in /sys/kernel/security/lsm; boot with lsm=...,bpf): "
                    "run 'via check'");
}

}  // namespace

void tag_self(const Launch& launch) {
    UniqueFd tags = open_map(constants::bpf_tags_pin);
    UniqueFd self = pidfd_of(::getpid());
    const int key = self.get();
    const via_tag tag = make_tag(launch);
    if (bpfsys::map_update_elem(tags.get(), &key, &tag, BPF_ANY) < 0)
        throw errno_error("tagging via's process with uplink " + launch.uplink);
    prove_marked(launch);
    // This launch's id, for its counters; those of an earlier launch with
    // this pid are not the program's.
    const std::uint32_t id = static_cast<std::uint32_t>(::getpid());
    UniqueFd launches = open_map(constants::bpf_launches_pin);
    if (bpfsys::map_update_elem(launches.get(), &key, &id, BPF_ANY) < 0)
        throw errno_error("recording via's launch for its traffic counters");
    if (UniqueFd traffic = open_map(constants::bpf_traffic_pin, true)) bpfsys::map_delete_elem(traffic.get(), &id);
}

void set_user(uid_t uid, const Launch& launch, const Report& report) {
    UniqueFd users = open_map(constants::bpf_users_pin);
    const std::uint32_t key = uid;
    const via_tag tag = make_tag(launch);
    via_tag current{};
    const bool known = bpfsys::map_lookup_elem(users.get(), &key, &current) == 0;
    const std::string what = "sockets of uid " + std::to_string(uid) + " marked for uplink " + launch.uplink;
    if (known && std::memcmp(&current, &tag, sizeof tag) == 0) {
        report.ensured(what, Outcome::present);
        return;
    }
    if (bpfsys::map_update_elem(users.get(), &key, &tag, BPF_ANY) < 0)
        throw errno_error("recording " + what, permission_hint(errno));
    report.ensured(what, known ? Outcome::replaced : Outcome::created);
}

std::optional<Tag> tag_of(pid_t pid) {
    UniqueFd tags = open_map(constants::bpf_tags_pin, true);
    if (!tags) return std::nullopt;  // nothing was ever tagged
    UniqueFd process = pidfd_of(pid);
    const int key = process.get();
    via_tag tag{};
    if (bpfsys::map_lookup_elem(tags.get(), &key, &tag) == 0) return tag_from(tag);
    if (errno == ENOENT) return std::nullopt;
    throw errno_error("reading the tag of process " + std::to_string(pid));
}

std::optional<pid_t> launch_of(pid_t pid) {
    UniqueFd launches = open_map(constants::bpf_launches_pin, true);
    if (!launches) return std::nullopt;
    UniqueFd process = pidfd_of(pid);
    const int key = process.get();
    std::uint32_t launch = 0;
    if (bpfsys::map_lookup_elem(launches.get(), &key, &launch) == 0) return static_cast<pid_t>(launch);
    return std::nullopt;
}

std::optional<Traffic> traffic_of(pid_t pid) {
    UniqueFd traffic = open_map(constants::bpf_traffic_pin, true);
    if (!traffic) return std::nullopt;
    const std::uint32_t key = static_cast<std::uint32_t>(pid);
    via_traffic t{};
    if (bpfsys::map_lookup_elem(traffic.get(), &key, &t) < 0) return std::nullopt;
    return Traffic{t.packets, t.bytes};
}

std::vector<std::pair<std::string, std::uint32_t>> uplinks() {
    std::vector<std::pair<std::string, std::uint32_t>> out;
    UniqueFd map = open_map(constants::bpf_uplinks_pin, true);
    if (!map) return out;
    const std::uint64_t netns = ids::own_netns();
    via_uplink_key key{}, next{};
    for (const via_uplink_key* prev = nullptr; bpfsys::map_get_next_key(map.get(), prev, &next) == 0; prev = &key) {
        key = next;
        std::uint32_t mark = 0;
        if (key.netns == netns && bpfsys::map_lookup_elem(map.get(), &key, &mark) == 0)
            out.emplace_back(name_of(key.uplink), mark);
    }
    return out;
}

std::vector<std::pair<uid_t, Tag>> users() {
    std::vector<std::pair<uid_t, Tag>> out;
    UniqueFd map = open_map(constants::bpf_users_pin, true);
    if (!map) return out;
    std::uint32_t key = 0, next = 0;
    for (const std::uint32_t* prev = nullptr; bpfsys::map_get_next_key(map.get(), prev, &next) == 0; prev = &key) {
        key = next;
        via_tag tag{};
        if (bpfsys::map_lookup_elem(map.get(), &key, &tag) == 0) out.emplace_back(key, tag_from(tag));
    }
    return out;
}

void forget_user(uid_t uid, const Report& report) {
    UniqueFd map = open_map(constants::bpf_users_pin, true);
    if (!map) return;
    const std::uint32_t key = uid;
    if (bpfsys::map_delete_elem(map.get(), &key) == 0)
        report.ensured("sockets of uid " + std::to_string(uid) + " no longer marked", Outcome::replaced);
    else if (errno != ENOENT)
        throw errno_error("removing uid " + std::to_string(uid) + " from via's bpf map", permission_hint(errno));
}

void forget_uplink(const std::string& uplink, const Report& report) {
    UniqueFd map = open_map(constants::bpf_uplinks_pin, true);
    if (!map) return;
    const via_uplink_key key = key_here(uplink);
    if (bpfsys::map_delete_elem(map.get(), &key) == 0)
        report.ensured("removed uplink " + uplink + " from the running programs' map", Outcome::replaced);
    else if (errno != ENOENT)
        throw errno_error("removing uplink " + uplink + " from via's bpf map", permission_hint(errno));
}

}  // namespace via::sockmark
