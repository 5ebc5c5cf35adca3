#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <sys/socket.h>

#include <bpf/libbpf.h>

#include "admin/programs.hpp"
#include "launch/handle.hpp"
#include "launch/sockmark.hpp"
#include "owned.hpp"
#include "sockmark.skel.h"
#include "sockmark_stamp.h"
#include "tag.h"

using namespace via;

namespace {
using Skeleton = Handle<sockmark_bpf, sockmark_bpf__destroy>;
}

// Opening the object parses it without the kernel: what is checked here is
// what via will ask the kernel to load.
TEST_CASE("the bpf object holds its three maps and three programs") {
    Skeleton skel(sockmark_bpf__open());
    REQUIRE(skel);

    const bpf_map* tags = skel->maps.via_tags;
    CHECK(bpf_map__type(tags) == BPF_MAP_TYPE_TASK_STORAGE);
    CHECK(bpf_map__key_size(tags) == sizeof(int));  // a pidfd from user space
    CHECK(bpf_map__value_size(tags) == sizeof(via_tag));
    CHECK((bpf_map__map_flags(tags) & BPF_F_NO_PREALLOC) != 0);

    const bpf_map* uplinks = skel->maps.via_uplinks_ns;
    CHECK(bpf_map__type(uplinks) == BPF_MAP_TYPE_HASH);
    CHECK(bpf_map__key_size(uplinks) == sizeof(via_uplink_key));  // a namespace and a name
    CHECK(bpf_map__value_size(uplinks) == sizeof(std::uint32_t));  // the mark

    const bpf_program* fork = skel->progs.via_fork;
    CHECK(bpf_program__type(fork) == BPF_PROG_TYPE_TRACING);
    CHECK(bpf_program__expected_attach_type(fork) == BPF_TRACE_RAW_TP);
    CHECK(std::string(bpf_program__section_name(fork)) == "tp_btf/sched_process_fork");

    // The socket's mark is set by an LSM program attached to a cgroup (Linux
    // 6.0+), which may read task storage on every kernel via runs on.
    const bpf_program* sock = skel->progs.via_socket;
    CHECK(bpf_program__type(sock) == BPF_PROG_TYPE_LSM);
    CHECK(bpf_program__expected_attach_type(sock) == BPF_LSM_CGROUP);
    CHECK(std::string(bpf_program__section_name(sock)) == "lsm_cgroup/socket_post_create");

    const bpf_map* sock_dns = skel->maps.via_sock_dns;
    CHECK(bpf_map__type(sock_dns) == BPF_MAP_TYPE_SK_STORAGE);
    CHECK(bpf_map__value_size(sock_dns) == sizeof(via_dns));

    const bpf_map* lans = skel->maps.via_lans_ns;
    CHECK(bpf_map__type(lans) == BPF_MAP_TYPE_LPM_TRIE);
    CHECK(bpf_map__key_size(lans) == sizeof(via_lan));

    const bpf_map* sock_netns = skel->maps.via_sock_netns;
    CHECK(bpf_map__type(sock_netns) == BPF_MAP_TYPE_SK_STORAGE);
    CHECK(bpf_map__value_size(sock_netns) == sizeof(std::uint64_t));

    const bpf_program* egress = skel->progs.via_egress;
    CHECK(bpf_program__type(egress) == BPF_PROG_TYPE_CGROUP_SKB);
    CHECK(bpf_program__expected_attach_type(egress) == BPF_CGROUP_INET_EGRESS);
}

TEST_CASE("a connected IPv4 network is keyed as IPv4-mapped IPv6, after its ifindex and namespace") {
    uplink::Network n{7, "wlan1", AF_INET, {192, 168, 8, 0}, 24};
    const via_lan key = sockmark::network_key(n, 4096);
    CHECK(key.prefixlen == 32 + 64 + 96 + 24);
    CHECK(key.ifindex == 7);
    CHECK(key.netns == 4096);
    const std::uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 168, 8, 0};
    CHECK(std::memcmp(key.addr, mapped, 16) == 0);
}

TEST_CASE("a connected IPv6 network is keyed as it is, after its ifindex and namespace") {
    uplink::Network n{3, "eth0", AF_INET6, {0x20, 0x01, 0x0d, 0xb8, 0, 1}, 64};
    const via_lan key = sockmark::network_key(n, 1);
    CHECK(key.prefixlen == 32 + 64 + 64);
    CHECK(key.ifindex == 3);
    CHECK(key.netns == 1);
    CHECK(std::memcmp(key.addr, n.addr.data(), 16) == 0);
}

TEST_CASE("the pinned maps' formats: a namespace, an interface name, NUL-padded, a mark, name servers") {
    CHECK(sizeof(via_uplink) == 16);  // IFNAMSIZ
    CHECK(sizeof(via_uplink_key) == 8 + 16);
    // The trie's data right after its prefix length, with no hole in it.
    CHECK(offsetof(via_lan, ifindex) == 4);
    CHECK(offsetof(via_lan, netns) == 8);
    CHECK(offsetof(via_lan, addr) == 16);
    CHECK(sizeof(via_lan) == 32);
    CHECK(sizeof(via_tag) == 24 + 3 * 4 + 3 * 16);
    CHECK(offsetof(via_tag, mark) == 16);
    CHECK(offsetof(via_tag, flags) == 20);
    CHECK(offsetof(via_tag, dns.dns4) == 24);
    CHECK(offsetof(via_tag, dns.dns6) == 36);
    CHECK(VIA_MAX_DNS == owned::max_dns_servers);
    // The bit that tells the two kinds of marks apart, as via's constants say.
    CHECK((owned::mark_base ^ owned::open_mark_base) == VIA_OPEN_BIT);
    CHECK(owned::open_mark_base == VIA_ANY_MARK_BASE);
    CHECK(owned::any_mark_mask == VIA_ANY_MARK_MASK);
}

TEST_CASE("links are pinned under a name with the object's stamp, without dots") {
    CHECK(sockmark::stamp() == sockmark_stamp);
    CHECK(sockmark::stamp().size() == 16);
    CHECK(sockmark::stamp().find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(sockmark::pin_name("fork", "0123456789abcdef") == "fork-0123456789abcdef");
    CHECK(sockmark::pin_name("socket", sockmark::stamp()).find('.') == std::string::npos);
}

TEST_CASE("a launch's tag: its uplink, mark, kill switch and name servers by family") {
    const via_tag tag = sockmark::make_tag({"wg0", 0x56490007, false, {"2001:db8::53", "10.8.0.53", "10.8.0.54"}});
    CHECK(std::string(tag.uplink.name) == "wg0");
    CHECK(tag.mark == 0x56490007);
    CHECK(tag.flags == VIA_TAG_OPEN);
    const std::uint8_t first[4] = {10, 8, 0, 53}, second[4] = {10, 8, 0, 54};
    CHECK(std::memcmp(&tag.dns.dns4[0], first, 4) == 0);
    CHECK(std::memcmp(&tag.dns.dns4[1], second, 4) == 0);
    CHECK(tag.dns.dns4[2] == 0);
    const std::uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53};
    CHECK(std::memcmp(tag.dns.dns6[0], v6, 16) == 0);
    const std::uint32_t zero[4] = {};
    CHECK(std::memcmp(tag.dns.dns6[1], zero, 16) == 0);
    CHECK(sockmark::make_tag({"eth0", 1, true, {}}).flags == 0);
}

TEST_CASE("what the kernel refused: the program and the verifier's last word") {
    // As libbpf 1.1 warns when Linux 6.1 loads a cgroup socket program
    // that reads task storage.
    const std::string log =
        "libbpf: prog 'via_sock_create': BPF program load failed: Invalid argument\n"
        "libbpf: prog 'via_sock_create': -- BEGIN PROG LOAD LOG --\n"
        "0: R1=ctx(off=0,imm=0) R10=fp0\n"
        "; struct task_struct *task = bpf_get_current_task_btf();\n"
        "0: (85) call bpf_get_current_task_btf#158\n"
        "unknown func bpf_task_storage_get#156\n"
        "processed 4 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n"
        "-- END PROG LOAD LOG --\n"
        "libbpf: prog 'via_sock_create': failed to load: -22\n"
        "libbpf: failed to load object 'sockmark_bpf'\n";
    CHECK(programs::refusal(log, EINVAL) == "program via_sock_create: unknown func bpf_task_storage_get#156");
    // Refused before the verifier ran: no log, the error alone.
    CHECK(programs::refusal("libbpf: prog 'via_socket': BPF program load failed: Operation not permitted\n"
                            "libbpf: prog 'via_socket': failed to load: -1\n",
                            EPERM) == "program via_socket: Operation not permitted");
    CHECK(programs::refusal("", ENOMEM) == "loading via's bpf programs: Cannot allocate memory");
}
