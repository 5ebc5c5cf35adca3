#include <catch2/catch.hpp>

#include "via/dns.hpp"

using namespace via;

TEST_CASE("a local stub or cache is recognised") {
    CHECK(dns::local_servers("nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch lan\n") ==
          std::vector<std::string>{"127.0.0.53"});
    CHECK(dns::local_servers("nameserver ::1\n") == std::vector<std::string>{"::1"});
    CHECK(dns::local_servers("nameserver 127.0.1.1\nnameserver 9.9.9.9\n") == std::vector<std::string>{"127.0.1.1"});
    CHECK(dns::local_servers("nameserver 192.168.1.1\nnameserver 2001:db8::1\n").empty());
    CHECK(dns::local_servers("# nameserver 127.0.0.53\n; nameserver 127.0.0.1\n").empty());
    CHECK(dns::local_servers("").empty());
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
