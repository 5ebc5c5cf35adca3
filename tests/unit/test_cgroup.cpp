#include <catch2/catch.hpp>

#include "kernel/cgroup.hpp"

using namespace via;

TEST_CASE("cgroup2 on a hybrid system (v1 controllers beside /unified)") {
    const char* mountinfo =
        "23 1 0:21 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
        "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
        "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
        "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
        "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
    auto m = cgroup::find_cgroup2(mountinfo);
    REQUIRE(m);
    CHECK(m->point == "/sys/fs/cgroup/unified");
    CHECK(m->root == "/");
}

TEST_CASE("cgroup2 on a unified system, with optional fields") {
    const char* mountinfo =
        "26 20 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 master:2 - cgroup2 cgroup2 "
        "rw,nsdelegate,memory_recursiveprot\n";
    auto m = cgroup::find_cgroup2(mountinfo);
    REQUIRE(m);
    CHECK(m->point == "/sys/fs/cgroup");
}

TEST_CASE("no cgroup2, and a cgroup v1 named like one, are not taken") {
    CHECK_FALSE(cgroup::find_cgroup2(""));
    CHECK_FALSE(cgroup::find_cgroup2("32 31 0:29 / /sys/fs/cgroup/cgroup2 rw - cgroup cgroup rw,cpu\n"));
    CHECK_FALSE(cgroup::find_cgroup2("garbage line\n"));
}

TEST_CASE("mount points with spaces are unescaped") {
    CHECK(cgroup::unescape("/mnt/my\\040cgroups") == "/mnt/my cgroups");
    CHECK(cgroup::unescape("/plain") == "/plain");
    CHECK(cgroup::unescape("/end\\04") == "/end\\04");
    auto m = cgroup::find_cgroup2("41 31 0:38 / /mnt/my\\040cg rw - cgroup2 none rw\n");
    REQUIRE(m);
    CHECK(m->point == "/mnt/my cg");
}

TEST_CASE("in a cgroup namespace, a fresh mount over the inherited one is taken") {
    const char* mountinfo =
        "41 31 0:38 /.. /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
        "77 41 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
    auto m = cgroup::find_cgroup2(mountinfo);
    REQUIRE(m);
    CHECK(m->root == "/");
    CHECK(m->point == "/sys/fs/cgroup/unified");
    auto only = cgroup::find_cgroup2("41 31 0:38 /.. /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
    REQUIRE(only);
    CHECK(only->root == "/..");
}
