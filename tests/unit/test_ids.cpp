#include <catch2/catch.hpp>

#include "launch/ids.hpp"
#include "owned.hpp"

using namespace via;

TEST_CASE("ids are derived from the ifindex, in via's range") {
    auto a = ids::for_ifindex(3);
    REQUIRE(a);
    CHECK(a->mark == 0x56490003u);
    CHECK(a->table == a->mark);
    CHECK(ids::is_via_mark(a->mark));
    // Distinct interfaces never share ids.
    auto b = ids::for_ifindex(4);
    REQUIRE(b);
    CHECK(b->mark != a->mark);
    CHECK(ids::for_ifindex(0xffff)->mark == 0x5649ffffu);
}

TEST_CASE("a --no-kill-switch launch has its own mark, in the sibling range") {
    auto a = ids::for_ifindex(3);
    REQUIRE(a);
    CHECK(a->open_mark == 0x56480003u);
    CHECK(ids::is_via_mark(a->open_mark));
    CHECK(a->open_mark != a->mark);
    CHECK_FALSE(ids::is_via_mark(owned::open_mark_base));
    CHECK_FALSE(ids::is_via_mark(0x56470003));
    CHECK_FALSE(ids::is_via_mark(0x564a0003));
}

TEST_CASE("ifindexes outside the range are refused, not folded") {
    CHECK_FALSE(ids::for_ifindex(0));
    CHECK_FALSE(ids::for_ifindex(-1));
    CHECK_FALSE(ids::for_ifindex(0x10000));
}

TEST_CASE("other tools' marks are not via's") {
    CHECK_FALSE(ids::is_via_mark(0));
    CHECK_FALSE(ids::is_via_mark(1));
    CHECK_FALSE(ids::is_via_mark(51820));       // wg-quick
    CHECK_FALSE(ids::is_via_mark(0x80000));     // Tailscale
    CHECK_FALSE(ids::is_via_mark(0x6d6f6c65));  // Mullvad
    CHECK_FALSE(ids::is_via_mark(owned::mark_base));
}
