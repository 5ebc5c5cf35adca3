#include <catch2/catch.hpp>

#include <linux/rtnetlink.h>

#include "via/constants.hpp"
#include "via/routing.hpp"

using namespace via;

namespace {

std::vector<std::string> described(const routing::Plan& p) {
    std::vector<std::string> out;
    for (const auto& r : p.routes) out.push_back("route " + routing::describe(r));
    for (const auto& r : p.rules) out.push_back("rule " + routing::describe(r));
    return out;
}

uplink::Uplink wlan1_v4_only() {
    uplink::Uplink up;
    up.name = "wlan1";
    up.ifindex = 3;
    up.ipv4 = {"10.0.1.2"};
    up.next_hop = uplink::NextHop{std::string("10.0.1.1")};
    return up;
}

}  // namespace

TEST_CASE("an IPv4-only uplink: its table, the kill switch, and IPv6 refused") {
    auto p = routing::plan(wlan1_v4_only(), *ids::for_ifindex(3), true);
    // Order matters: the kill switch before the table's rule, the table's
    // rule before the one that lets LAN routes of main through.
    CHECK(described(p) == std::vector<std::string>{
                              "route default via 10.0.1.1 dev wlan1 table 1447624707",
                              "rule 31902: fwmark 0x56490003 unreachable",
                              "rule 31901: fwmark 0x56490003 lookup 1447624707",
                              "rule 31900: fwmark 0x56490003 lookup main suppress_prefixlength 0",
                              "rule -6 31902: fwmark 0x56490003 unreachable",
                          });
    for (const auto& r : p.rules) {
        CHECK(r.pref >= constants::pref_min);
        CHECK(r.pref <= constants::pref_max);
    }
}

TEST_CASE("without the kill switch: the open mark's rules beside the uplink's, no IPv4 unreachable for it") {
    auto p = routing::plan(wlan1_v4_only(), *ids::for_ifindex(3), false);
    CHECK(described(p) == std::vector<std::string>{
                              "route default via 10.0.1.1 dev wlan1 table 1447624707",
                              "rule 31902: fwmark 0x56490003 unreachable",
                              "rule 31901: fwmark 0x56490003 lookup 1447624707",
                              "rule 31900: fwmark 0x56490003 lookup main suppress_prefixlength 0",
                              "rule 31901: fwmark 0x56480003 lookup 1447624707",
                              "rule 31900: fwmark 0x56480003 lookup main suppress_prefixlength 0",
                              "rule -6 31902: fwmark 0x56490003 unreachable",
                              "rule -6 31902: fwmark 0x56480003 unreachable",
                          });
}

TEST_CASE("a dual-stack uplink gets the same shape in both families") {
    auto up = wlan1_v4_only();
    up.ipv6 = {"2001:db8:1::2"};
    up.next_hop6 = uplink::NextHop{std::string("fe80::1")};
    auto p = routing::plan(up, *ids::for_ifindex(3), true);
    CHECK(described(p) == std::vector<std::string>{
                              "route default via 10.0.1.1 dev wlan1 table 1447624707",
                              "route -6 default via fe80::1 dev wlan1 table 1447624707",
                              "rule 31902: fwmark 0x56490003 unreachable",
                              "rule 31901: fwmark 0x56490003 lookup 1447624707",
                              "rule 31900: fwmark 0x56490003 lookup main suppress_prefixlength 0",
                              "rule -6 31902: fwmark 0x56490003 unreachable",
                              "rule -6 31901: fwmark 0x56490003 lookup 1447624707",
                              "rule -6 31900: fwmark 0x56490003 lookup main suppress_prefixlength 0",
                          });
    CHECK(p.rules[2].table == RT_TABLE_MAIN);
}

TEST_CASE("a point-to-point uplink routes to the device") {
    uplink::Uplink up;
    up.name = "tun0";
    up.ifindex = 12;
    up.next_hop = uplink::NextHop{};
    auto p = routing::plan(up, *ids::for_ifindex(12), true);
    REQUIRE_FALSE(p.routes.empty());
    CHECK(routing::describe(p.routes[0]) == "default dev tun0 table 1447624716");
    CHECK_FALSE(p.routes[0].gateway);
}
