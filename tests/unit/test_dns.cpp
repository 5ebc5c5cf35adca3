#include <catch2/catch.hpp>

#include "launch/dns.hpp"

using namespace via;

TEST_CASE("a local stub or cache is recognised") {
    const auto local = [](const char* conf) { return dns::elsewhere(conf, "wlan1", {}); };
    CHECK(local("nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch lan\n") ==
          "names are resolved by the local resolver at 127.0.0.53, whose queries leave by the default uplink, not "
          "wlan1");
    CHECK_THAT(local("nameserver ::1\n"), Catch::Contains("local resolver at ::1"));
    CHECK_THAT(local("nameserver 127.0.1.1\nnameserver 9.9.9.9\n"), Catch::Contains("local resolver at 127.0.1.1"));
    CHECK(local("nameserver 192.168.1.1\nnameserver 2001:db8::1\n").empty());
    CHECK(local("# nameserver 127.0.0.53\n; nameserver 127.0.0.1\n").empty());
    CHECK(local("").empty());
}

TEST_CASE("a name server on another interface's network is reached by that interface") {
    const std::vector<dns::Lan> lans{{"eth0", "192.168.1.0/24"}, {"wlan1", "10.0.0.0/24"}, {"eth0", "2001:db8::/64"}};
    CHECK(dns::elsewhere("nameserver 192.168.1.1\n", "wlan1", lans) ==
          "names are resolved by 192.168.1.1, on the network of eth0: the program's queries leave by eth0, not wlan1");
    CHECK_THAT(dns::elsewhere("nameserver 2001:db8::1\n", "wlan1", lans), Catch::Contains("network of eth0"));
    CHECK(dns::elsewhere("nameserver 10.0.0.1\n", "wlan1", lans).empty());     // on the uplink's own network
    CHECK(dns::elsewhere("nameserver 9.9.9.9\n", "wlan1", lans).empty());      // routed by the uplink's table
    CHECK(dns::elsewhere("nameserver 192.168.1.1\n", "eth0", lans).empty());
    CHECK(dns::elsewhere("nameserver 9.9.9.9\nnameserver 192.168.1.1\n", "wlan1", lans).empty());  // the first counts
}

TEST_CASE("the program's resolv.conf: only the given servers, the search domains kept") {
    const char* original =
        "# managed by resolvconf\n"
        "nameserver 127.0.0.53\n"
        "options edns0 trust-ad\n"
        "search corp.example lan\n";
    CHECK(dns::private_resolv_conf({"198.51.100.53", "2001:db8::53"}, original) ==
          "# Written by via for this program only: its DNS goes through its uplink.\n"
          "nameserver 198.51.100.53\n"
          "nameserver 2001:db8::53\n"
          "options edns0 trust-ad\n"
          "search corp.example lan\n");
}
