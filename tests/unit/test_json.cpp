#include <catch2/catch.hpp>

#include "via/json.hpp"

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
