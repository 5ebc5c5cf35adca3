#include <catch2/catch.hpp>

#include <net/if.h>

#include "launch/uplink.hpp"

using via::uplink::choose_next_hop;
using via::uplink::DefaultRoute;
using via::uplink::NextHop;

TEST_CASE("an explicit gateway wins over everything") {
    auto hop = choose_next_hop(std::string("10.0.2.1"), {{std::string("10.0.2.254"), 100}}, IFF_UP, "usb0");
    REQUIRE(std::holds_alternative<NextHop>(hop));
    CHECK(std::get<NextHop>(hop).gateway == std::optional<std::string>("10.0.2.1"));
}

TEST_CASE("the uplink's own default route, lowest metric first") {
    std::vector<DefaultRoute> routes{{std::string("10.0.1.254"), 600}, {std::string("10.0.1.1"), 100}};
    auto hop = choose_next_hop(std::nullopt, routes, IFF_UP, "wlan1");
    REQUIRE(std::holds_alternative<NextHop>(hop));
    CHECK(std::get<NextHop>(hop).gateway == std::optional<std::string>("10.0.1.1"));
}

TEST_CASE("a device default route has no gateway") {
    auto hop = choose_next_hop(std::nullopt, {{std::nullopt, 50}}, IFF_UP, "ppp0");
    REQUIRE(std::holds_alternative<NextHop>(hop));
    CHECK_FALSE(std::get<NextHop>(hop).gateway);
}

TEST_CASE("point-to-point and NOARP links route straight to the device") {
    for (unsigned flags : {IFF_UP | IFF_POINTOPOINT, IFF_UP | IFF_NOARP}) {
        auto hop = choose_next_hop(std::nullopt, {}, flags, "tun0");
        REQUIRE(std::holds_alternative<NextHop>(hop));
        CHECK_FALSE(std::get<NextHop>(hop).gateway);
    }
}

TEST_CASE("a broadcast link without default route needs --gateway") {
    auto hop = choose_next_hop(std::nullopt, {}, IFF_UP | IFF_BROADCAST, "eth1");
    REQUIRE(std::holds_alternative<std::string>(hop));
    CHECK_THAT(std::get<std::string>(hop), Catch::Contains("eth1") && Catch::Contains("no default route"));
}

TEST_CASE("a gateway must lie on one of the uplink's connected subnets") {
    using via::uplink::on_link;
    const std::vector<std::string> subnets{"10.0.2.0/24", "192.168.8.0/22"};
    CHECK(on_link("10.0.2.1", subnets));
    CHECK(on_link("10.0.2.254", subnets));
    CHECK(on_link("192.168.11.1", subnets));
    CHECK_FALSE(on_link("192.168.12.1", subnets));
    CHECK_FALSE(on_link("10.0.3.1", subnets));
    CHECK_FALSE(on_link("10.0.2.1", {}));
    CHECK(on_link("10.9.9.9", {"10.9.9.9/32"}));
    CHECK_FALSE(on_link("not-an-address", subnets));
}

TEST_CASE("IPv6 gateways: link-local and global subnets") {
    using via::uplink::on_link;
    const std::vector<std::string> subnets{"fe80::/64", "2001:db8:1::/64"};
    CHECK(on_link("fe80::1", subnets));
    CHECK(on_link("2001:db8:1::1", subnets));
    CHECK_FALSE(on_link("2001:db8:2::1", subnets));
    CHECK_FALSE(on_link("2001:db8:1::1", {"10.0.0.0/8"}));
    CHECK(on_link("2001:db8::7", {"2001:db8::/33"}));
    CHECK_FALSE(on_link("2001:db8:8000::7", {"2001:db8::/33"}));
}
