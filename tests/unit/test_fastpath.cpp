#include <catch2/catch.hpp>

#include <sys/socket.h>

#include "launch/ensure.hpp"
#include "launch/fastpath.hpp"

using namespace via;

namespace {

fastpath::Stamp sample() {
    fastpath::Stamp s;
    s.request = "usb0 gateway=- gateway6=- kill_switch=1";
    s.digest = 0x0afa53b0f6ab46e4ull;
    s.sysctl_writes = 0xfedcba9876543210ull;
    s.up.name = "usb0";
    s.up.ifindex = 7;
    s.up.ipv4 = {"192.168.8.100"};
    s.up.next_hop = uplink::NextHop{std::string("192.168.8.1")};
    s.up.no_ipv6 = "interface 'usb0' has no global IPv6 address";
    uplink::Network lan;
    lan.ifindex = 7;
    lan.dev = "usb0";
    lan.family = AF_INET;
    lan.addr = {192, 168, 8, 0};
    lan.prefixlen = 24;
    uplink::Network home = lan;
    home.ifindex = 2;
    home.dev = "eth0";
    home.addr = {192, 168, 1, 0};
    s.up.connected = {lan, home};
    s.cgroup = {"/", "/sys/fs/cgroup"};
    s.cgroup_id = 1;
    return s;
}

}  // namespace

TEST_CASE("a stamp is written and read back whole") {
    const auto s = sample();
    const auto back = fastpath::parse(fastpath::render(s));
    REQUIRE(back);
    CHECK(back->request == s.request);
    CHECK(back->digest == s.digest);
    CHECK(back->sysctl_writes == s.sysctl_writes);
    CHECK(back->up.name == "usb0");
    CHECK(back->up.ifindex == 7);
    CHECK(back->up.ipv4 == s.up.ipv4);
    CHECK(back->up.next_hop == s.up.next_hop);
    CHECK_FALSE(back->up.next_hop6);
    CHECK(back->up.no_ipv6 == s.up.no_ipv6);
    REQUIRE(back->up.connected.size() == 2);
    CHECK(uplink::prefix_of(back->up.connected[0]) == "192.168.8.0/24");
    CHECK(back->up.connected[0].dev == "usb0");
    CHECK(uplink::prefix_of(back->up.connected[1]) == "192.168.1.0/24");
    // The devices via sets src_valid_mark on: the uplink and those of its LANs.
    CHECK(uplink::devices(back->up) == std::vector<std::string>{"usb0", "eth0"});
    CHECK(back->cgroup.root == "/");
    CHECK(back->cgroup.point == "/sys/fs/cgroup");
    CHECK(back->cgroup_id == 1);
}

TEST_CASE("a stamp without its cgroup mount, or with a mount point that is not one line, has no cgroup id") {
    auto s = sample();
    s.cgroup = {};
    CHECK(fastpath::parse(fastpath::render(s))->cgroup_id == 0);
    s.cgroup = {"/", "/sys/fs/cgroup\nx"};
    CHECK(fastpath::parse(fastpath::render(s))->cgroup_id == 0);
    CHECK(fastpath::parse("request r\ndigest 1\nsysctl_writes 0\nname u\nifindex 3\nhop 10.0.0.1\ncgroup_id 5\n")->cgroup_id ==
          0);
}

TEST_CASE("a point-to-point uplink's next hop (the device) and an IPv6 hop survive the round trip") {
    auto s = sample();
    s.up.next_hop = uplink::NextHop{};
    s.up.next_hop6 = uplink::NextHop{std::string("fe80::1")};
    s.up.no_ipv6.clear();
    const auto back = fastpath::parse(fastpath::render(s));
    REQUIRE(back);
    CHECK_FALSE(back->up.next_hop.gateway);
    REQUIRE(back->up.next_hop6);
    CHECK(back->up.next_hop6->gateway == std::optional<std::string>("fe80::1"));
}

TEST_CASE("anything but a whole stamp is no stamp") {
    const std::string good = fastpath::render(sample());
    CHECK_FALSE(fastpath::parse(""));
    CHECK_FALSE(fastpath::parse("garbage\n"));
    CHECK_FALSE(fastpath::parse(good.substr(0, good.size() - 1)));  // cut short
    CHECK_FALSE(fastpath::parse(good + "future line\n"));
    CHECK_FALSE(fastpath::parse(good + "net 1 2 zz 24 eth0\n"));
    const std::string net = " 2 00000000000000000000000000000000 24 eth0\n";
    CHECK(fastpath::parse(good + "net 3" + net));
    CHECK_FALSE(fastpath::parse(good + "net 3" + net.substr(0, net.size() - 6) + "\n"));  // no device
    CHECK_FALSE(fastpath::parse(good + "net 3x" + net));
    CHECK_FALSE(fastpath::parse(good + "net 3" + net.substr(0, net.size() - 1) + " more\n"));
    // Numbers whole and in range, or no stamp.
    const auto replaced = [&](const std::string& key, const std::string& value) {
        const auto at = good.find("\n" + key + " ") + 1, end = good.find('\n', at);
        return good.substr(0, at) + key + " " + value + good.substr(end);
    };
    CHECK(fastpath::parse(replaced("sysctl_writes", "18446744073709551615")));
    CHECK_FALSE(fastpath::parse(replaced("sysctl_writes", "18446744073709551616")));
    CHECK_FALSE(fastpath::parse(replaced("sysctl_writes", "-1")));
    CHECK_FALSE(fastpath::parse(replaced("ifindex", "3 ")));
    CHECK_FALSE(fastpath::parse(replaced("digest", "0x12")));
    CHECK_FALSE(fastpath::parse("digest 12\nsysctl_writes 0\nname usb0\nhop -\n"));  // no ifindex
    // An older via's stamp, without the count of sysctl writes.
    std::string older = good;
    older.erase(older.find("sysctl_writes "), older.find('\n', older.find("sysctl_writes ")) + 1 - older.find("sysctl_writes "));
    CHECK(fastpath::parse(good));
    CHECK_FALSE(fastpath::parse(older));
}

TEST_CASE("requests that plan differently have different keys") {
    ensure::Request a{"usb0", std::nullopt, std::nullopt, true, std::nullopt};
    auto b = a;
    b.kill_switch = false;
    auto c = a;
    c.gateway = "192.168.8.1";
    auto d = a;
    d.user = ensure::DedicatedUser{1001, true, {"9.9.9.9"}};
    auto e = d;
    e.user->dns = {"1.1.1.1"};
    const std::vector<std::string> keys{ensure::key(a), ensure::key(b), ensure::key(c), ensure::key(d), ensure::key(e)};
    for (std::size_t i = 0; i < keys.size(); ++i)
        for (std::size_t j = i + 1; j < keys.size(); ++j) CHECK(keys[i] != keys[j]);
    CHECK(ensure::key(a) == ensure::key(ensure::Request{"usb0", std::nullopt, std::nullopt, true, std::nullopt}));
}

TEST_CASE("a stamp covers its own request, and with the kill switch off, the same with it on") {
    ensure::Request kill{"usb0", std::nullopt, std::nullopt, true, std::nullopt};
    auto open = kill;
    open.kill_switch = false;
    // The same request: the open table watched as the request has it.
    CHECK(ensure::covered_by(ensure::key(kill), kill) == std::optional<bool>(false));
    CHECK(ensure::covered_by(ensure::key(open), open) == std::optional<bool>(true));
    // The open ensure made all that the kill switch needs, and more.
    CHECK(ensure::covered_by(ensure::key(open), kill) == std::optional<bool>(true));
    // Not the other way: the kill switch's ensure made no open table.
    CHECK_FALSE(ensure::covered_by(ensure::key(kill), open));
    // Anything else that plans differently is no cover.
    auto gateway = open;
    gateway.gateway = "192.168.8.1";
    CHECK_FALSE(ensure::covered_by(ensure::key(gateway), kill));
    CHECK_FALSE(ensure::covered_by(ensure::key(open), gateway));
    auto user = kill;
    user.user = ensure::DedicatedUser{1001, true, {}};
    CHECK_FALSE(ensure::covered_by(ensure::key(open), user));
    CHECK_FALSE(ensure::covered_by(ensure::key(kill), user));
    auto open_user = user;
    open_user.kill_switch = false;
    CHECK(ensure::covered_by(ensure::key(open_user), user) == std::optional<bool>(true));
    // A dedicated user without the kill switch makes the request open already.
    auto user_open = kill;
    user_open.user = ensure::DedicatedUser{1001, false, {}};
    CHECK(ensure::covered_by(ensure::key(user_open), user_open) == std::optional<bool>(true));
    auto other = kill;
    other.uplink = "usb1";
    CHECK_FALSE(ensure::covered_by(ensure::key(open), other));
}
