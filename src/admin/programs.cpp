#include "admin/programs.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <tuple>

#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include <bpf/libbpf.h>

#include "kernel/bpfsys.hpp"
#include "launch/error.hpp"
#include "launch/files.hpp"
#include "launch/handle.hpp"
#include "launch/pins.hpp"
#include "launch/sockmark.hpp"
#include "launch/text.hpp"
#include "owned.hpp"
#include "sockmark.skel.h"
#include "tag.h"

namespace via::programs {
namespace {

using owned::LinkSpec;
using owned::links;
using owned::maps;
using owned::retired_pins;
using namespace sockmark;

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

// systemd mounts a bpffs at /sys/fs/bpf; elsewhere via mounts one there, as
// iproute2 does for its pinned programs.
void ensure_bpffs(const Report& report) {
    struct statfs st {};
    if (::statfs(owned::bpffs, &st) == 0 && st.f_type == BPF_FS_MAGIC) return;
    if (::mount("bpf", owned::bpffs, "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700") < 0)
        throw errno_error(std::string("mounting a bpf file system at ") + owned::bpffs,
                          std::string("via pins its programs there; in a container, bind-mount a bpffs to ") +
                              owned::bpffs);
    report.ensured(std::string("bpf file system at ") + owned::bpffs, Outcome::created);
}

// True when it made the directory.
bool ensure_dir(const Report& report) {
    if (::mkdir(owned::bpf_dir, 0700) == 0) {
        report.ensured(owned::bpf_dir, Outcome::created);
        return true;
    }
    if (errno != EEXIST) throw errno_error(std::string("creating ") + owned::bpf_dir, permission_hint(errno));
    return false;
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
    Handle<DIR, closedir> dir(::opendir(owned::bpf_dir));
    if (!dir) throw errno_error(std::string("reading ") + owned::bpf_dir);
    while (const dirent* e = ::readdir(dir.get())) {
        const std::string name = e->d_name;
        bool other = std::any_of(std::begin(retired_pins), std::end(retired_pins),
                                 [&](const char* retired) { return name == retired; });
        for (const auto& link : links)
            if (name.rfind(std::string(link.name) + "-", 0) == 0 && name != pin_name(link.name, stamp())) other = true;
        if (!other) continue;
        const std::string path = std::string(owned::bpf_dir) + "/" + name;
        if (::unlink(path.c_str()) < 0) throw errno_error("removing the old pin " + path);
        report.ensured("removed old pin " + path, Outcome::replaced);
    }
}

// The id of each link's attached program, by the order of links[] (none:
// not attached).
using ProgramIds = std::array<std::optional<std::uint32_t>, std::size(links)>;

// What attached_as_recorded() compares with.
void record_programs(const ProgramIds& ids) {
    const UniqueFd state = open_map(owned::bpf_state_pin);
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

namespace {

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
        if (made_dir) ::rmdir(owned::bpf_dir);
        throw;
    }
    report.ensured(maps_what(), have_maps ? Outcome::present : Outcome::created);

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

}  // namespace via::programs
