#include <catch2/catch.hpp>

#include <linux/rtnetlink.h>

#include "via/constants.hpp"
#include "via/routing.hpp"

using namespace via;

TEST_CASE("the routing plan for an uplink with a gateway") {
    uplink::Uplink up{"wlan1", 3, {"10.0.1.2"}, uplink::NextHop{std::string("10.0.1.1")}};
    auto p = routing::plan(up, *ids::for_ifindex(3));
    CHECK(routing::describe(p.route) == "default via 10.0.1.1 dev wlan1 table 1447624707");
    REQUIRE(p.rules.size() == 2);
    // The table's rule is added before the rule that lets marked traffic
    // use the main table's LAN routes.
    CHECK(routing::describe(p.rules[0]) == "31901: fwmark 0x56490003 lookup 1447624707");
    CHECK(routing::describe(p.rules[1]) == "31900: fwmark 0x56490003 lookup main suppress_prefixlength 0");
    CHECK(p.rules[1].table == RT_TABLE_MAIN);
    for (const auto& r : p.rules) {
        CHECK(r.pref >= constants::pref_min);
        CHECK(r.pref <= constants::pref_max);
    }
}

TEST_CASE("a point-to-point uplink routes to the device") {
    uplink::Uplink up{"tun0", 12, {"10.8.0.6"}, uplink::NextHop{}};
    auto p = routing::plan(up, *ids::for_ifindex(12));
    CHECK(routing::describe(p.route) == "default dev tun0 table 1447624716");
    CHECK_FALSE(p.route.gateway);
    CHECK(p.route.ifindex == 12);
}
