#include <catch2/catch.hpp>

#include <sys/socket.h>

#include "admin/inventory.hpp"

using namespace via;
using inventory::State;

namespace {
rtnl::Rule rule(std::uint32_t mark) {
    rtnl::Rule r;
    r.pref = 31900;
    r.fwmark = mark;
    r.fwmask = 0xffffffff;
    r.table = mark;
    r.via = true;
    r.family = AF_INET;
    return r;
}
routing::RouteSpec route(std::uint32_t table, bool unreachable, std::optional<std::string> gw = std::nullopt) {
    routing::RouteSpec r;
    r.family = AF_INET;
    r.table = table;
    r.unreachable = unreachable;
    r.gateway = std::move(gw);
    return r;
}
inventory::Process process(pid_t pid, const std::string& uplink) {
    inventory::Process p;
    p.pid = p.launch = pid;
    p.uplink = uplink;
    return p;
}
State state() {
    State s;
    s.links = {{1, "lo", true, true, {}}, {5, "wlan1", true, true, {"10.0.1.2/24"}}, {9, "usb0", true, true, {}}};
    s.rules = {rule(0x56490005), rule(0x56490009), rule(0x56490007)};  // 7: a usb0 that was made again
    s.routes = {route(0x56490005, false, "10.0.1.1"), route(0x56490005, true), route(0x56490007, true),
                route(0x56490009, true)};
    s.served = {{"wlan1", {}, {}, false}, {"usb0", {}, {}, false}};
    s.marks = {{"wlan1", 0x56490005}, {"usb0", 0x56490007}};
    s.nft = {{"postrouting", 1, "via uplink wlan1: masquerade marks 0x56490005 and 0x56480005 leaving wlan1"}};
    s.processes = {process(100, "wlan1")};
    return s;
}
}  // namespace

TEST_CASE("inventory: state grouped by interface, the ids of one made again apart") {
    const auto v = inventory::view(state());
    REQUIRE(v.size() == 3);
    CHECK(v[0].name == "usb0");
    CHECK(v[0].ifindex == 9);
    CHECK(v[0].present);
    CHECK(v[0].served);
    CHECK(v[1].name == "wlan1");
    CHECK(v[1].present);
    CHECK(v[1].next_hops == std::vector<std::string>{"10.0.1.1"});
    CHECK(v[1].kill_switch);
    CHECK(v[1].masquerade);
    CHECK(v[1].processes.size() == 1);
    CHECK(v[1].mark == 0x56490005);
    // ifindex 7: no interface has it any more, and no name goes by it.
    CHECK(v[2].name.empty());
    CHECK(v[2].ifindex == 7);
    CHECK_FALSE(v[2].present);
}

TEST_CASE("inventory: gc removes what is unused or gone, keeps what runs") {
    const auto v = inventory::view(state());
    const auto r = inventory::plan_removal(v, std::nullopt, false);
    REQUIRE(r.remove.size() == 2);
    CHECK(r.remove[0].name == "usb0");
    CHECK(r.remove[1].ifindex == 7);
    CHECK(r.kept == std::vector<std::string>{"wlan1: 1 program runs through it (pid 100)"});
    CHECK(r.names == std::vector<std::string>{"usb0"});
    CHECK(r.owners == std::vector<std::string>{"uplink usb0"});
    CHECK_FALSE(r.table);  // wlan1 stays
}

TEST_CASE("inventory: down is refused while a program runs, unless forced") {
    const auto v = inventory::view(state());
    const auto refused = inventory::plan_removal(v, std::string("wlan1"), false);
    CHECK(refused.remove.empty());
    CHECK(refused.kept.size() == 1);
    const auto forced = inventory::plan_removal(v, std::string("wlan1"), true);
    REQUIRE(forced.remove.size() == 1);
    CHECK(forced.names == std::vector<std::string>{"wlan1"});
    CHECK(forced.owners == std::vector<std::string>{"uplink wlan1"});
}

TEST_CASE("inventory: a dedicated user keeps its uplink in gc; the last removal takes the table") {
    auto s = state();
    s.processes.clear();
    s.users = {{990, sockmark::Tag{"wlan1", 0x56490005, false, {}}}};
    auto r = inventory::plan_removal(inventory::view(s), std::nullopt, false);
    CHECK(r.kept == std::vector<std::string>{"wlan1: it has a dedicated user (uid 990)"});
    s.users.clear();
    r = inventory::plan_removal(inventory::view(s), std::nullopt, false);
    CHECK(r.remove.size() == 3);
    CHECK(r.table);
}

TEST_CASE("inventory: sizes for people") {
    CHECK(inventory::bytes(512) == "512 B");
    CHECK(inventory::bytes(1536) == "1.5 KiB");
    CHECK(inventory::bytes(3ull << 30) == "3.0 GiB");
}
