#include <catch2/catch.hpp>

#include <sys/sysmacros.h>

#include "launch/lock.hpp"

using namespace via;

TEST_CASE("the lock's holder, as /proc/locks names it") {
    const std::string locks =
        "1: POSIX  ADVISORY  WRITE 812 00:1a:1177 0 EOF\n"
        "2: FLOCK  ADVISORY  WRITE 4242 00:19:5120 0 EOF\n"
        "3: FLOCK  ADVISORY  WRITE 77 fd:01:5120 0 EOF\n"
        "4: FLOCK  ADVISORY  WRITE 99 00:1a:1177 0 EOF\n";
    CHECK(lock::holder_in(locks, makedev(0, 0x19), 5120) == 4242);
    CHECK(lock::holder_in(locks, makedev(0xfd, 1), 5120) == 77);
    CHECK(lock::holder_in(locks, makedev(0, 0x1a), 1177) == 99);  // the flock, not the POSIX lock
    CHECK_FALSE(lock::holder_in(locks, makedev(0, 0x19), 5121));
    CHECK_FALSE(lock::holder_in("", makedev(0, 0x19), 5120));
    // A waiter behind the holder ("->") is not the holder.
    CHECK_FALSE(lock::holder_in("2: -> FLOCK  ADVISORY  WRITE 4243 00:19:5120 0 EOF\n", makedev(0, 0x19), 5120));
}

TEST_CASE("a holder stopped, traced or frozen is not waited for") {
    CHECK(lock::stopped("4242 (via) T 1 4242 4242 0 -1", ""));
    CHECK(lock::stopped("4242 (via) t 1 4242 4242 0 -1", ""));
    CHECK_FALSE(lock::stopped("4242 (via) R 1 4242 4242 0 -1", ""));
    CHECK_FALSE(lock::stopped("4242 (via) S 1 4242 4242 0 -1", "populated 1\nfrozen 0\n"));
    CHECK(lock::stopped("4242 (via) S 1 4242 4242 0 -1", "populated 1\nfrozen 1\n"));
    // A command name with a parenthesis and a space in it.
    CHECK(lock::stopped("4242 (a) T (b) T 1", ""));
    CHECK_FALSE(lock::stopped("4242 (a) T (b) R 1", ""));
    CHECK_FALSE(lock::stopped("", ""));
}
