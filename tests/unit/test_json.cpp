#include <catch2/catch.hpp>

#include "admin/json.hpp"

using namespace via::json;

TEST_CASE("json: short is one line, pretty is indented, strings are escaped") {
    const Value v = Object{{"name", "wl\"an\n1"}, {"n", 3}, {"big", 18446744073709551615ull}, {"on", true},
                           {"none", nullptr}, {"list", strings({"a", "b"})}, {"empty", Array{}}};
    CHECK(dump(v, false) ==
          "{\"name\":\"wl\\\"an\\n1\",\"n\":3,\"big\":18446744073709551615,\"on\":true,\"none\":null,"
          "\"list\":[\"a\",\"b\"],\"empty\":[]}\n");
    CHECK(dump(Object{{"a", Array{1, 2}}}, true) == "{\n  \"a\": [\n    1,\n    2\n  ]\n}\n");
    CHECK(dump(Value(std::string("\x01")), false) == "\"\\u0001\"\n");
}

TEST_CASE("json: bytes that are not UTF-8 become U+FFFD; DEL is escaped") {
    // A command line holds any bytes: a stray continuation byte, a
    // truncated sequence, an overlong '/', a surrogate, Latin-1.
    CHECK(dump(Value(std::string("a\x80z")), false) == "\"a\xef\xbf\xbdz\"\n");
    CHECK(dump(Value(std::string("\xe2\x82")), false) == "\"\xef\xbf\xbd\xef\xbf\xbd\"\n");
    CHECK(dump(Value(std::string("\xc0\xaf")), false) == "\"\xef\xbf\xbd\xef\xbf\xbd\"\n");
    CHECK(dump(Value(std::string("\xed\xa0\x80")), false) == "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"\n");
    CHECK(dump(Value(std::string("caf\xe9")), false) == "\"caf\xef\xbf\xbd\"\n");
    // Valid UTF-8 stays as it is, up to 4 bytes.
    CHECK(dump(Value(std::string("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80")), false) ==
          "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"\n");
    CHECK(dump(Value(std::string("\x7f")), false) == "\"\\u007f\"\n");
}
