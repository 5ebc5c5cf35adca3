#include <catch2/catch.hpp>

#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "admin/routing.hpp"
#include "owned.hpp"

using namespace via;

namespace {

std::vector<std::string> described(const routing::Plan& p) {
    std::vector<std::string> out;
    for (const auto& r : p.routes) out.push_back("route " + routing::describe(r));
    for (const auto& r : p.rules) out.push_back("rule " + routing::describe(r));
    return out;
}

// wlan1 (ifindex 3, 10.0.1.2/24) beside eth0 (ifindex 2, 192.168.1.0/24).
uplink::Uplink wlan1_v4_only() {
    uplink::Uplink up;
    up.name = "wlan1";
    up.ifindex = 3;
    up.ipv4 = {"10.0.1.2"};
    up.next_hop = uplink::NextHop{std::string("10.0.1.1")};
    up.connected = {uplink::Network{3, "wlan1", AF_INET, {10, 0, 1, 0}, 24},
                    uplink::Network{2, "eth0", AF_INET, {192, 168, 1, 0}, 24}};
    return up;
}

}  // namespace

TEST_CASE("an IPv4-only uplink: its table with the LANs and the kill switch, IPv6 refused") {
    auto p = routing::plan(wlan1_v4_only(), *ids::for_ifindex(3), true, owned::pref);
    CHECK(described(p) == std::vector<std::string>{
                              "route default via 10.0.1.1 dev wlan1 table 1447624707 metric 100",
                              "route 10.0.1.0/24 dev wlan1 table 1447624707 metric 100",
                              "route 192.168.1.0/24 dev eth0 table 1447624707 metric 100",
                              "route unreachable default table 1447624707 metric 4294967295",
                              "route -6 unreachable default table 1447624707 metric 4294967295",
                              "rule 31900: fwmark 0x56490003 lookup 1447624707",
                              "rule -6 31900: fwmark 0x56490003 lookup 1447624707",
                          });
}

TEST_CASE("one rule per mark and family, at via's priority") {
    CHECK(owned::pref == 31900);
    auto p = routing::plan(wlan1_v4_only(), *ids::for_ifindex(3), true, owned::pref);
    REQUIRE(p.rules.size() == 2);
    for (const auto& r : p.rules) CHECK(r.table == r.mark);  // table number = mark
}

TEST_CASE("without the kill switch: the open mark's own table, without the unreachable route") {
    auto p = routing::plan(wlan1_v4_only(), *ids::for_ifindex(3), false, owned::pref);
    CHECK(described(p) == std::vector<std::string>{
                              "route default via 10.0.1.1 dev wlan1 table 1447624707 metric 100",
                              "route 10.0.1.0/24 dev wlan1 table 1447624707 metric 100",
                              "route 192.168.1.0/24 dev eth0 table 1447624707 metric 100",
                              "route unreachable default table 1447624707 metric 4294967295",
                              "route default via 10.0.1.1 dev wlan1 table 1447559171 metric 100",
                              "route 10.0.1.0/24 dev wlan1 table 1447559171 metric 100",
                              "route 192.168.1.0/24 dev eth0 table 1447559171 metric 100",
                              "route -6 unreachable default table 1447624707 metric 4294967295",
                              "route -6 unreachable default table 1447559171 metric 4294967295",
                              "rule 31900: fwmark 0x56490003 lookup 1447624707",
                              "rule 31900: fwmark 0x56480003 lookup 1447559171",
                              "rule -6 31900: fwmark 0x56490003 lookup 1447624707",
                              "rule -6 31900: fwmark 0x56480003 lookup 1447559171",
                          });
}

TEST_CASE("a dual-stack uplink gets the same shape in both families") {
    auto up = wlan1_v4_only();
    up.ipv6 = {"2001:db8:1::2"};
    up.next_hop6 = uplink::NextHop{std::string("fe80::1")};
    up.connected.push_back(uplink::Network{3, "wlan1", AF_INET6, {0xfe, 0x80}, 64});
    auto p = routing::plan(up, *ids::for_ifindex(3), true, owned::pref);
    CHECK(described(p) == std::vector<std::string>{
                              "route default via 10.0.1.1 dev wlan1 table 1447624707 metric 100",
                              "route 10.0.1.0/24 dev wlan1 table 1447624707 metric 100",
                              "route 192.168.1.0/24 dev eth0 table 1447624707 metric 100",
                              "route unreachable default table 1447624707 metric 4294967295",
                              "route -6 default via fe80::1 dev wlan1 table 1447624707 metric 100",
                              "route -6 fe80::/64 dev wlan1 table 1447624707 metric 100",
                              "route -6 unreachable default table 1447624707 metric 4294967295",
                              "rule 31900: fwmark 0x56490003 lookup 1447624707",
                              "rule -6 31900: fwmark 0x56490003 lookup 1447624707",
                          });
}

TEST_CASE("the rule's priority: 31900, or just ahead of another tool's rule that would take the packets") {
    const std::initializer_list<std::uint32_t> marks{0x56490003, 0x56480003};
    CHECK(routing::choose_pref({}, marks) == 31900);
    const rtnl::Rule local{0, false, 0, 0, false, true, RT_TABLE_LOCAL};
    const rtnl::Rule main{32766, false, 0, 0, false, true, RT_TABLE_MAIN};
    CHECK(routing::choose_pref({local, main}, marks) == 31900);
    const rtnl::Rule tailscale{5270, false, 0, 0, false, true, 52};
    CHECK(routing::choose_pref({local, tailscale, main}, marks) == 5269);
    const rtnl::Rule wg_suppress{31898, false, 0, 0, false, true, RT_TABLE_MAIN, true};
    const rtnl::Rule wg_catch_all{31899, false, 0xca6c, 0xffffffff, true, true, 51820};
    CHECK(routing::choose_pref({local, wg_suppress, wg_catch_all, main}, marks) == 31898);
    const rtnl::Rule own_mark_only{100, false, 0x1, 0xffffffff, false, true, 1};
    CHECK(routing::choose_pref({local, own_mark_only, main}, marks) == 31900);
    // Never below the floor, so that the rule after "lookup local" never
    // reaches 0: there, the packets fail closed.
    const rtnl::Rule low{500, false, 0, 0, false, true, 9};
    CHECK(routing::choose_pref({local, low, tailscale, main}, marks) == 31900);
    const rtnl::Rule at_floor{1001, false, 0, 0, false, true, 9};
    CHECK(routing::choose_pref({at_floor}, marks) == 1000);
    // Only the open mark is taken (a rule for it alone): still ahead.
    const rtnl::Rule open_only{7000, false, 0x56480003, 0xffffffff, false, true, 9};
    CHECK(routing::choose_pref({open_only}, marks) == 6999);
}

TEST_CASE("a point-to-point uplink routes to the device") {
    uplink::Uplink up;
    up.name = "tun0";
    up.ifindex = 12;
    up.next_hop = uplink::NextHop{};
    auto p = routing::plan(up, *ids::for_ifindex(12), true, owned::pref);
    REQUIRE_FALSE(p.routes.empty());
    CHECK(routing::describe(p.routes[0]) == "default dev tun0 table 1447624716 metric 100");
    CHECK_FALSE(p.routes[0].gateway);
}

TEST_CASE("skip pairs: one per family and priority via's mark rules use, none where another tool's rule would be jumped over") {
    // {pref, selects_more, fwmark, fwmask, invert, lookup, table, suppresses, via, family}
    const rtnl::Rule local{0, false, 0, 0, false, true, RT_TABLE_LOCAL, false, false, AF_INET};
    const rtnl::Rule wlan1{31900, false, 0x56490003, 0xffffffff, false, true, 0x56490003, false, true, AF_INET};
    const rtnl::Rule usb0{31900, false, 0x56490004, 0xffffffff, false, true, 0x56490004, false, true, AF_INET};
    const rtnl::Rule wlan1_6{31900, false, 0x56490003, 0xffffffff, false, true, 0x56490003, false, true, AF_INET6};
    const rtnl::Rule moved{5269, false, 0x56490005, 0xffffffff, false, true, 0x56490005, false, true, AF_INET};
    CHECK(routing::skips({}).empty());
    CHECK(routing::skips({local}).empty());
    CHECK(routing::skips({local, wlan1, usb0, wlan1_6, moved}) ==
          std::vector<routing::SkipSpec>{{AF_INET, 31900}, {AF_INET6, 31900}, {AF_INET, 5269}});

    // Another tool's rule at P or P-1 would be jumped over too: no pair
    // there (the other family keeps its own).
    for (const std::uint32_t pref : {31899u, 31900u}) {
        const rtnl::Rule foreign{pref, false, 0, 0, false, true, 100, false, false, AF_INET};
        CHECK(routing::skips({wlan1, wlan1_6, foreign}) == std::vector<routing::SkipSpec>{{AF_INET6, 31900}});
    }
    // At P+1, or elsewhere, it is not.
    const rtnl::Rule after{31901, false, 0, 0, false, true, 100, false, false, AF_INET};
    CHECK(routing::skips({wlan1, after}) == std::vector<routing::SkipSpec>{{AF_INET, 31900}});

    // The pair itself is via's, and no mark rule: it calls for nothing.
    rtnl::Rule jump{31899, false, 0x56480000, 0xfffe0000, true, false, 0, false, true, AF_INET};
    jump.action = FR_ACT_GOTO;
    jump.target = 31901;
    rtnl::Rule nop{31901, false, 0, 0, false, false, 0, false, true, AF_INET};
    nop.action = FR_ACT_NOP;
    CHECK(routing::is_skip_rule(jump));
    CHECK(routing::is_skip_rule(nop));
    CHECK_FALSE(routing::is_skip_rule(wlan1));
    CHECK_FALSE(routing::is_mark_rule(jump));
    CHECK(routing::skips({jump, nop}).empty());
    CHECK(routing::skips({jump, nop, wlan1}) == std::vector<routing::SkipSpec>{{AF_INET, 31900}});
    CHECK(routing::describe(jump) == "31899: not fwmark 0x56480000/0xfffe0000 goto 31901");
    CHECK(routing::describe(nop) == "31901: nop");
}
