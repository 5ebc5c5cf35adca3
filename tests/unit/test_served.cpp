#include <catch2/catch.hpp>

#include "launch/served.hpp"

using namespace via;

TEST_CASE("a served uplink's notes, written and read back") {
    served::Uplink u{"usb0", std::string("192.168.8.1"), std::string("fe80::1"), true};
    CHECK(served::render(u) == "gateway=192.168.8.1\ngateway6=fe80::1\nopen=1\n");
    CHECK(served::parse("usb0", served::render(u)) == u);
    CHECK(served::render(served::Uplink{"wlan1"}).empty());
    CHECK(served::parse("wlan1", "") == served::Uplink{"wlan1"});
    CHECK_FALSE(served::parse("wlan1", "gone=1\n"));
}

TEST_CASE("unknown lines in the notes are ignored") {
    auto u = served::parse("wg0", "# comment\nfuture=1\ngateway=10.0.0.1\nnonsense\n");
    REQUIRE(u);
    CHECK(u->gateway == std::optional<std::string>("10.0.0.1"));
    CHECK_FALSE(u->open);
}

TEST_CASE("a launch records its gateways; open stays once any launch was open") {
    const served::Uplink before{"usb0", std::string("192.168.8.1"), std::nullopt, true};
    const auto after = served::merge(before, served::Uplink{"usb0"});
    CHECK_FALSE(after.gateway);
    CHECK(after.open);
    CHECK_FALSE(served::merge(std::nullopt, served::Uplink{"usb0"}).open);
}

TEST_CASE("the note files: NAME:GENERATION, no temporary file") {
    using E = served::Entry;
    CHECK(served::entry_of("wlan1:7") == E{"wlan1", 7});
    CHECK(served::entry_of("eth0.100:12") == E{"eth0.100", 12});
    CHECK(served::entry_of("usb0:18446744073709551615") == E{"usb0", 18446744073709551615u});
    for (const char* not_a_note : {".", "..", "", "wlan1", "wlan1:0", "wlan1:new.4242", "wlan1.new.4242", "wlan1:", ":3", "wlan1:07",
                                   "wlan1:3x", "usb0:18446744073709551616"})
        CHECK_FALSE(served::entry_of(not_a_note));
}
