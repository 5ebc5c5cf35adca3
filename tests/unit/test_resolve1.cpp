#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <cstdint>
#include <string>

#include "launch/resolve1.hpp"

using namespace via;
using resolve1::Type;

namespace {

// Bytes of a message written by hand, in either byte order, as a bus or
// resolved would send them: what the parser is checked against.
struct Bytes {
    bool big = false;
    std::string out;
    Bytes& pad(std::size_t n) {
        out.append((n - out.size() % n) % n, '\0');
        return *this;
    }
    Bytes& raw(std::string_view s) {
        out.append(s);
        return *this;
    }
    Bytes& u8(std::uint8_t v) {
        out.push_back(static_cast<char>(v));
        return *this;
    }
    Bytes& u32(std::uint32_t v) {
        pad(4);
        for (int i = 0; i < 4; ++i) u8(static_cast<std::uint8_t>(v >> (big ? 24 - 8 * i : 8 * i)));
        return *this;
    }
    Bytes& str(std::string_view s) {
        u32(static_cast<std::uint32_t>(s.size()));
        out.append(s);
        return u8(0);
    }
    Bytes& sig(std::string_view s) {
        u8(static_cast<std::uint8_t>(s.size()));
        out.append(s);
        return u8(0);
    }
};

// A reply from resolved: fixed header, REPLY_SERIAL, SENDER, SIGNATURE,
// then `body` (written from an 8-aligned start).
std::string reply(bool big, Type type, std::uint32_t reply_serial, std::string_view signature, const Bytes& body) {
    Bytes fields{big};
    fields.out.assign(16, '\0');  // the fixed header's place: alignment counts from it
    fields.pad(8).u8(5).sig("u").u32(reply_serial);
    fields.pad(8).u8(7).sig("s").str(":1.4");
    if (!signature.empty()) fields.pad(8).u8(8).sig("g").sig(signature);
    const auto fields_length = static_cast<std::uint32_t>(fields.out.size() - 16);
    Bytes m{big};
    m.u8(big ? 'B' : 'l').u8(static_cast<std::uint8_t>(type)).u8(1).u8(1);
    m.u32(static_cast<std::uint32_t>(body.out.size())).u32(77).u32(fields_length);
    m.raw(std::string_view(fields.out).substr(16)).pad(8).raw(body.out);
    return m.out;
}

std::string address(int family, const char* text) {
    unsigned char bytes[16];
    REQUIRE(inet_pton(family, text, bytes) == 1);
    return std::string(reinterpret_cast<char*>(bytes), family == AF_INET ? 4 : 16);
}

// The DNS property's value, a variant of a(iay).
Bytes dns_body(bool big, const std::vector<std::pair<int, std::string>>& servers) {
    Bytes elements{big};
    for (const auto& [family, bytes] : servers) {
        elements.pad(8).u32(static_cast<std::uint32_t>(family)).str(bytes);
        elements.out.pop_back();  // ay has no NUL: undo str()'s
    }
    Bytes body{big};
    body.sig("a(iay)").u32(static_cast<std::uint32_t>(elements.out.size())).pad(8).raw(elements.out);
    return body;
}

resolve1::Message cut_one(const std::string& bytes) {
    const auto c = resolve1::cut(bytes);
    REQUIRE(c.message);
    CHECK(c.size == bytes.size());
    return *c.message;
}

}  // namespace

TEST_CASE("Hello as the bus expects it, byte for byte") {
    Bytes expected;  // little-endian hosts
    // Flags 2: NO_AUTO_START, the bus never starts a service for via.
    expected.raw("l").u8(1).u8(2).u8(1).u32(0).u32(1).u32(109);
    expected.u8(1).sig("o").str("/org/freedesktop/DBus").pad(8);
    expected.u8(2).sig("s").str("org.freedesktop.DBus").pad(8);
    expected.u8(3).sig("s").str("Hello").pad(8);
    expected.u8(6).sig("s").str("org.freedesktop.DBus").pad(8);
    REQUIRE(expected.out.size() == 128);
    CHECK(resolve1::marshal(resolve1::hello(), 1) == expected.out);
}

TEST_CASE("the calls: GetLink with the ifindex, Properties.Get with its two strings") {
    const auto link = cut_one(resolve1::marshal(resolve1::get_link(7), 2));
    CHECK(link.type == Type::method_call);
    CHECK(link.signature == "i");
    CHECK(link.body == Bytes{}.u32(7).out);

    const auto get = cut_one(resolve1::marshal(
        resolve1::get_property("/org/freedesktop/resolve1/link/_37", "org.freedesktop.resolve1.Link", "DNS"), 3));
    CHECK(get.signature == "ss");
    CHECK(get.body == Bytes{}.str("org.freedesktop.resolve1.Link").str("DNS").out);
}

TEST_CASE("resolved's replies are read in either byte order") {
    for (const bool big : {false, true}) {
        INFO("big-endian: " << big);
        const auto path = cut_one(reply(big, Type::method_return, 2, "o", Bytes{big}.str("/org/freedesktop/resolve1/link/_37")));
        CHECK(path.reply_serial == 2);
        CHECK(resolve1::object_path(path) == "/org/freedesktop/resolve1/link/_37");

        const auto dns = cut_one(reply(big, Type::method_return, 3, "v",
                                       dns_body(big, {{AF_INET, address(AF_INET, "198.51.100.53")},
                                                      {AF_INET6, address(AF_INET6, "2001:db8::53")}})));
        CHECK(dns.reply_serial == 3);
        CHECK(resolve1::dns_servers(dns, 3) == std::vector<std::string>{"198.51.100.53", "2001:db8::53"});
    }
}

TEST_CASE("a link's servers: none, at most the maximum, odd entries skipped") {
    const auto servers = [](const std::vector<std::pair<int, std::string>>& entries, std::size_t max) {
        return resolve1::dns_servers(cut_one(reply(false, Type::method_return, 3, "v", dns_body(false, entries))), max);
    };
    CHECK(servers({}, 3) == std::vector<std::string>{});
    const std::pair<int, std::string> one{AF_INET, address(AF_INET, "10.0.0.1")}, two{AF_INET, address(AF_INET, "10.0.0.2")};
    CHECK(servers({one, two, one}, 2) == std::vector<std::string>{"10.0.0.1", "10.0.0.2"});
    // An IPv4 family with 16 bytes, an unknown family: skipped, the rest read.
    CHECK(servers({{AF_INET, address(AF_INET6, "::1")}, {99, "abcd"}, two}, 3) == std::vector<std::string>{"10.0.0.2"});
}

TEST_CASE("what is not a reply with servers is nothing") {
    const Bytes good = dns_body(false, {{AF_INET, address(AF_INET, "10.0.0.1")}});
    // An error (no such link), another signature, another variant's type.
    CHECK_FALSE(resolve1::dns_servers(cut_one(reply(false, Type::error, 3, "s", Bytes{}.str("no link"))), 3));
    CHECK_FALSE(resolve1::object_path(cut_one(reply(false, Type::error, 2, "s", Bytes{}.str("no link")))));
    CHECK_FALSE(resolve1::dns_servers(cut_one(reply(false, Type::method_return, 3, "o", Bytes{}.str("/x"))), 3));
    Bytes other;
    other.sig("a(iiay)").u32(0).pad(8);
    CHECK_FALSE(resolve1::dns_servers(cut_one(reply(false, Type::method_return, 3, "v", other)), 3));
    CHECK_FALSE(resolve1::object_path(cut_one(reply(false, Type::method_return, 2, "o", Bytes{}.str("relative")))));

    // An array longer than the body; an address longer than its array.
    Bytes longer = good;
    longer.out[8] = 100;  // the array's length, after the signature (8 bytes)
    CHECK_FALSE(resolve1::dns_servers(cut_one(reply(false, Type::method_return, 3, "v", longer)), 3));
    Bytes overrun = good;
    overrun.out[20] = 9;  // the address's length: 4 bytes where 9 are said
    CHECK_FALSE(resolve1::dns_servers(cut_one(reply(false, Type::method_return, 3, "v", overrun)), 3));
}

TEST_CASE("a message is cut only once all of it is there, and garbage is refused") {
    const std::string whole = reply(false, Type::method_return, 2, "o", Bytes{}.str("/org/freedesktop/resolve1/link/_32"));
    for (std::size_t n = 0; n < whole.size(); ++n) {
        const auto c = resolve1::cut(std::string_view(whole).substr(0, n));
        REQUIRE_FALSE(c.message);
        REQUIRE(c.size == 0);
    }
    const auto two = resolve1::cut(whole + whole);
    REQUIRE(two.message);
    CHECK(two.size == whole.size());

    const auto refused = [](std::string bytes) { return resolve1::cut(bytes).size == SIZE_MAX; };
    CHECK(refused("GET / HTTP/1.1\r\n\r\n"));
    std::string version2 = whole;
    version2[3] = 2;
    CHECK(refused(version2));
    std::string huge = whole;
    huge[4] = huge[5] = huge[6] = '\x7f';  // a body of 8 MiB
    CHECK(refused(huge));
    std::string container = whole;  // the reply serial's type: a variant instead of u
    const auto at = container.find(std::string("\x05\x01u", 3));
    REQUIRE(at != std::string::npos);
    container[at + 2] = 'v';
    CHECK(refused(container));
}

TEST_CASE("a link's object path, as resolved names it") {
    CHECK(resolve1::link_path(3) == "/org/freedesktop/resolve1/link/_33");
    CHECK(resolve1::link_path(12) == "/org/freedesktop/resolve1/link/_312");
    CHECK(resolve1::link_path(905) == "/org/freedesktop/resolve1/link/_3905");
}
