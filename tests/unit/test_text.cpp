#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "launch/text.hpp"

using namespace via;
using Views = std::vector<std::string_view>;

TEST_CASE("lines are read as std::getline reads them") {
    CHECK(text::lines("") == Views{});
    CHECK(text::lines("a") == Views{"a"});
    CHECK(text::lines("a\n") == Views{"a"});
    CHECK(text::lines("a\n\nb") == Views{"a", "", "b"});
    CHECK(text::lines("\n\n") == Views{"", ""});
    CHECK(text::lines("a\r\nb\n") == Views{"a\r", "b"});
}

TEST_CASE("split leaves out empty pieces") {
    CHECK(text::split("", ':') == Views{});
    CHECK(text::split("::a::b:", ':') == Views{"a", "b"});
    CHECK(text::split("a b  c", ' ') == Views{"a", "b", "c"});
}

TEST_CASE("words and head separate at any white space") {
    CHECK(text::words("") == Views{});
    CHECK(text::words(" \t\r\n") == Views{});
    CHECK(text::words("  flush\truleset  # x\n") == Views{"flush", "ruleset", "#", "x"});
    const auto h = text::head("  nameserver \t 10.0.0.1  # home \r");
    CHECK(h.word == "nameserver");
    CHECK(h.rest == "10.0.0.1  # home \r");  // the rest as it stands, as getline reads it
    CHECK(text::head("options").rest.empty());
    CHECK(text::head("   ").word.empty());
}

TEST_CASE("trim takes blanks off both ends only") {
    CHECK(text::trim("") == "");
    CHECK(text::trim(" \t\r") == "");
    CHECK(text::trim(" a = b\r") == "a = b");
}

TEST_CASE("number takes the whole text or nothing") {
    std::uint64_t u = 7;
    CHECK(text::number("18446744073709551615", u));
    CHECK(u == UINT64_MAX);
    CHECK_FALSE(text::number("18446744073709551616", u));  // out of range
    CHECK_FALSE(text::number("-1", u));
    CHECK_FALSE(text::number(" 1", u));
    CHECK_FALSE(text::number("1 ", u));
    CHECK_FALSE(text::number("", u));
    CHECK_FALSE(text::number("0x1f", u, 16));
    CHECK(u == UINT64_MAX);  // unchanged by each failure
    CHECK(text::number("1f", u, 16));
    CHECK(u == 31);
    int i = 0;
    CHECK(text::number("-12", i));
    CHECK(i == -12);
    std::uint8_t byte = 0;
    CHECK(text::number("ff", byte, 16));
    CHECK(byte == 255);
    CHECK_FALSE(text::number("100", byte, 16));
}

TEST_CASE("hex writes every byte as two lowercase digits") {
    CHECK(text::hex("") == "");
    CHECK(text::hex("1000") == "31303030");
    CHECK(text::hex(std::string_view("\x00\x0f\xa0\xff", 4)) == "000fa0ff");
}

TEST_CASE("printable: no escape sequence of another user's command line reaches a terminal") {
    using via::text::printable;
    CHECK(printable("firefox --new-instance") == "firefox --new-instance");
    CHECK(printable("caf\xc3\xa9") == "caf\xc3\xa9");
    // ESC ] 0 ; title BEL, a C1 CSI (U+009B), DEL, and bytes that are not UTF-8.
    CHECK(printable("\x1b]0;owned\x07sh") == "?]0;owned?sh");
    CHECK(printable("a\xc2\x9b" "2J") == "a?2J");
    CHECK(printable("x\x7fy\nz") == "x?y?z");
    CHECK(printable("\xff\xfe") == "??");
    CHECK(printable(std::string("a\0b", 3)) == "a?b");
}
