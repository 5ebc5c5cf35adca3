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

#include "kernel/bpfsys.hpp"
#include "launch/error.hpp"
#include "launch/files.hpp"
#include "launch/handle.hpp"
#include "launch/ids.hpp"
#include "launch/pins.hpp"
#include "launch/stages.hpp"
#include "launch/text.hpp"
#include "owned.hpp"
#include "tag.h"

namespace via::sockmark {
namespace {

via_uplink key_of(const std::string& uplink) {
    via_uplink key{};
    uplink.copy(key.name, sizeof key.name - 1);
    return key;
}

via_uplink_key key_here(const std::string& uplink) { return {ids::own_netns(), key_of(uplink)}; }

std::string name_of(const via_uplink& key) { return std::string(key.name, strnlen(key.name, sizeof key.name)); }

Tag tag_from(const via_tag& t) {
    Tag tag{name_of(t.uplink), t.mark, (t.flags & VIA_TAG_OPEN) != 0, {},
            (t.flags & VIA_TAG_RULE) ? t.flags >> VIA_TAG_RULE_SHIFT : 0u};
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

}  // namespace

std::optional<std::uint64_t> sysctl_writes() {
    const UniqueFd map = open_map(owned::bpf_state_pin, true);
    const std::uint32_t key = VIA_STATE_SYSCTL_WRITES;
    std::uint64_t count = 0;
    if (!map || bpfsys::map_lookup_elem(map.get(), &key, &count) < 0) return std::nullopt;
    return count;
}

void set_uplink(const std::string& uplink, std::uint32_t mark, const Report& report) {
    UniqueFd uplinks = open_map(owned::bpf_uplinks_pin);
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
    UniqueFd lans = open_map(owned::bpf_lans_pin);
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
    if (launch.rule) tag.flags |= VIA_TAG_RULE | (launch.rule << VIA_TAG_RULE_SHIFT);
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
    UniqueFd tags = open_map(owned::bpf_tags_pin);
    UniqueFd self = pidfd_of(::getpid());
    const int key = self.get();
    const via_tag tag = make_tag(launch);
    if (bpfsys::map_update_elem(tags.get(), &key, &tag, BPF_ANY) < 0)
        throw errno_error("tagging via's process with uplink " + launch.uplink);
    prove_marked(launch);
    // This launch's id, for its counters; those of an earlier launch with
    // this pid are not the program's.
    const std::uint32_t id = static_cast<std::uint32_t>(::getpid());
    UniqueFd launches = open_map(owned::bpf_launches_pin);
    if (bpfsys::map_update_elem(launches.get(), &key, &id, BPF_ANY) < 0)
        throw errno_error("recording via's launch for its traffic counters");
    if (UniqueFd traffic = open_map(owned::bpf_traffic_pin, true)) bpfsys::map_delete_elem(traffic.get(), &id);
}

void set_user(uid_t uid, const Launch& launch, const Report& report) {
    UniqueFd users = open_map(owned::bpf_users_pin);
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
    UniqueFd tags = open_map(owned::bpf_tags_pin, true);
    if (!tags) return std::nullopt;  // nothing was ever tagged
    UniqueFd process = pidfd_of(pid);
    const int key = process.get();
    via_tag tag{};
    if (bpfsys::map_lookup_elem(tags.get(), &key, &tag) == 0) return tag_from(tag);
    if (errno == ENOENT) return std::nullopt;
    throw errno_error("reading the tag of process " + std::to_string(pid));
}

std::optional<pid_t> launch_of(pid_t pid) {
    UniqueFd launches = open_map(owned::bpf_launches_pin, true);
    if (!launches) return std::nullopt;
    UniqueFd process = pidfd_of(pid);
    const int key = process.get();
    std::uint32_t launch = 0;
    if (bpfsys::map_lookup_elem(launches.get(), &key, &launch) == 0) return static_cast<pid_t>(launch);
    return std::nullopt;
}

std::optional<Traffic> traffic_of(pid_t pid) {
    UniqueFd traffic = open_map(owned::bpf_traffic_pin, true);
    if (!traffic) return std::nullopt;
    const std::uint32_t key = static_cast<std::uint32_t>(pid);
    via_traffic t{};
    if (bpfsys::map_lookup_elem(traffic.get(), &key, &t) < 0) return std::nullopt;
    return Traffic{t.packets, t.bytes};
}

std::optional<Traffic> traffic_of_rule(std::uint32_t rule) {
    return traffic_of(static_cast<pid_t>(owned::rule_owner_bit | rule));
}

std::vector<std::pair<std::string, std::uint32_t>> uplinks() {
    std::vector<std::pair<std::string, std::uint32_t>> out;
    UniqueFd map = open_map(owned::bpf_uplinks_pin, true);
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
    UniqueFd map = open_map(owned::bpf_users_pin, true);
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
    UniqueFd map = open_map(owned::bpf_users_pin, true);
    if (!map) return;
    const std::uint32_t key = uid;
    if (bpfsys::map_delete_elem(map.get(), &key) == 0)
        report.ensured("sockets of uid " + std::to_string(uid) + " no longer marked", Outcome::replaced);
    else if (errno != ENOENT)
        throw errno_error("removing uid " + std::to_string(uid) + " from via's bpf map", permission_hint(errno));
}

void forget_uplink(const std::string& uplink, const Report& report) {
    UniqueFd map = open_map(owned::bpf_uplinks_pin, true);
    if (!map) return;
    const via_uplink_key key = key_here(uplink);
    if (bpfsys::map_delete_elem(map.get(), &key) == 0)
        report.ensured("removed uplink " + uplink + " from the running programs' map", Outcome::replaced);
    else if (errno != ENOENT)
        throw errno_error("removing uplink " + uplink + " from via's bpf map", permission_hint(errno));
}

}  // namespace via::sockmark
