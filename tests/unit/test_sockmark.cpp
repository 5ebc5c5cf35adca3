#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>

#include <bpf/libbpf.h>

#include "sockmark.skel.h"
#include "sockmark_stamp.h"
#include "tag.h"
#include "via/handle.hpp"
#include "via/sockmark.hpp"

using namespace via;

namespace {
using Skeleton = Handle<sockmark_bpf, sockmark_bpf__destroy>;
}

// Opening the object parses it without the kernel: what is checked here is
// what via will ask the kernel to load.
TEST_CASE("the bpf object holds a task-storage map of tags, a map of uplinks and two programs") {
    Skeleton skel(sockmark_bpf__open());
    REQUIRE(skel);

    const bpf_map* tags = skel->maps.via_tags;
    CHECK(bpf_map__type(tags) == BPF_MAP_TYPE_TASK_STORAGE);
    CHECK(bpf_map__key_size(tags) == sizeof(int));  // a pidfd from user space
    CHECK(bpf_map__value_size(tags) == sizeof(via_tag));
    CHECK((bpf_map__map_flags(tags) & BPF_F_NO_PREALLOC) != 0);

    const bpf_map* uplinks = skel->maps.via_uplinks;
    CHECK(bpf_map__type(uplinks) == BPF_MAP_TYPE_HASH);
    CHECK(bpf_map__key_size(uplinks) == sizeof(via_uplink));
    CHECK(bpf_map__value_size(uplinks) == sizeof(std::uint32_t));  // the mark

    const bpf_program* fork = skel->progs.via_fork;
    CHECK(bpf_program__type(fork) == BPF_PROG_TYPE_TRACING);
    CHECK(bpf_program__expected_attach_type(fork) == BPF_TRACE_RAW_TP);
    CHECK(std::string(bpf_program__section_name(fork)) == "tp_btf/sched_process_fork");

    const bpf_program* sock = skel->progs.via_sock_create;
    CHECK(bpf_program__type(sock) == BPF_PROG_TYPE_CGROUP_SOCK);
    CHECK(bpf_program__expected_attach_type(sock) == BPF_CGROUP_INET_SOCK_CREATE);
}

TEST_CASE("the pinned maps' formats: an interface name, NUL-padded, and a mark") {
    CHECK(sizeof(via_uplink) == 16);  // IFNAMSIZ
    CHECK(sizeof(via_tag) == 20);
    CHECK(offsetof(via_tag, mark) == 16);
}

TEST_CASE("links are pinned under a name with the object's stamp, without dots") {
    CHECK(sockmark::stamp() == sockmark_stamp);
    CHECK(sockmark::stamp().size() == 16);
    CHECK(sockmark::stamp().find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(sockmark::pin_name("fork", "0123456789abcdef") == "fork-0123456789abcdef");
    CHECK(sockmark::pin_name("sock_create", sockmark::stamp()).find('.') == std::string::npos);
}
