// Splitting the text of small files (via's configuration, resolv.conf,
// networkd's and nftables' files, /proc) without iostreams: the launcher
// links none of their locale machinery, which is most of the pages it
// would otherwise map.
#pragma once

#include <charconv>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace via::text {

// s without its leading and trailing blanks (space, tab, carriage return).
std::string_view trim(std::string_view s);

// The pieces of s between `sep`s, empty ones left out.
std::vector<std::string_view> split(std::string_view s, char sep);

// The lines of s, as std::getline reads them: empty ones kept, no empty
// last line after a final newline.
std::vector<std::string_view> lines(std::string_view s);

// The words of s, separated by white space (as `>>` reads strings).
std::vector<std::string_view> words(std::string_view s);

// The first word of s, and what follows it after white space (as `>>`
// then `std::getline(in >> std::ws, rest)` read them).
struct Head {
    std::string_view word;
    std::string_view rest;
};
Head head(std::string_view s);

// s with each byte that is not part of valid UTF-8 (a stray continuation
// byte, a truncated or overlong sequence, a surrogate) replaced by
// `replacement`; with `controls`, so are control characters (C0, DEL and
// C1), which would reach a terminal as escape sequences.
std::string utf8(std::string_view s, std::string_view replacement, bool controls);

// What a terminal may show of text from elsewhere (a process's command
// line): valid UTF-8 without control characters, '?' for the rest.
inline std::string printable(std::string_view s) { return utf8(s, "?", true); }

// The bytes of s in lowercase hexadecimal, two digits each.
std::string hex(std::string_view s);

// The whole of s as an integer in `base` (no sign for unsigned types, no
// blanks, no prefix): false, and `out` unchanged, for anything else.
template <class Int>
bool number(std::string_view s, Int& out, int base = 10) {
    Int v{};
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) return false;
    out = v;
    return true;
}

}  // namespace via::text
