#include "launch/text.hpp"

namespace via::text {
namespace {

constexpr std::string_view blanks = " \t\r";
constexpr std::string_view white = " \t\n\v\f\r";  // isspace() in the C locale

}  // namespace

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(blanks);
    if (first == std::string_view::npos) return {};
    return s.substr(first, s.find_last_not_of(blanks) - first + 1);
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    while (!s.empty()) {
        const auto pos = s.find(sep);
        if (const auto piece = s.substr(0, pos); !piece.empty()) out.push_back(piece);
        if (pos == std::string_view::npos) break;
        s.remove_prefix(pos + 1);
    }
    return out;
}

std::vector<std::string_view> lines(std::string_view s) {
    std::vector<std::string_view> out;
    while (!s.empty()) {
        const auto pos = s.find('\n');
        out.push_back(s.substr(0, pos));
        if (pos == std::string_view::npos) break;
        s.remove_prefix(pos + 1);
    }
    return out;
}

std::vector<std::string_view> words(std::string_view s) {
    std::vector<std::string_view> out;
    for (;;) {
        const Head h = head(s);
        if (h.word.empty()) return out;
        out.push_back(h.word);
        s = h.rest;
    }
}

Head head(std::string_view s) {
    const auto start = s.find_first_not_of(white);
    if (start == std::string_view::npos) return {};
    s.remove_prefix(start);
    const auto end = s.find_first_of(white);
    if (end == std::string_view::npos) return {s, {}};
    const auto rest = s.find_first_not_of(white, end);
    return {s.substr(0, end), rest == std::string_view::npos ? std::string_view{} : s.substr(rest)};
}

std::string hex(std::string_view s) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(s.size() * 2);
    for (const unsigned char c : s) {
        out += digits[c >> 4];
        out += digits[c & 0xf];
    }
    return out;
}

namespace {

// The length of the valid UTF-8 sequence at the start of s, 0 if none.
std::size_t sequence(std::string_view s, char32_t& code) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    const unsigned char lead = byte(0);
    std::size_t n = 0;
    if (lead < 0x80) n = 1, code = lead;
    else if (lead >= 0xc2 && lead <= 0xdf) n = 2, code = lead & 0x1fu;
    else if (lead >= 0xe0 && lead <= 0xef) n = 3, code = lead & 0x0fu;
    else if (lead >= 0xf0 && lead <= 0xf4) n = 4, code = lead & 0x07u;
    else return 0;
    if (s.size() < n) return 0;
    for (std::size_t i = 1; i < n; ++i) {
        if ((byte(i) & 0xc0) != 0x80) return 0;
        code = (code << 6) | (byte(i) & 0x3fu);
    }
    const char32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < least[n] || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return 0;
    return n;
}

}  // namespace

std::string utf8(std::string_view s, std::string_view replacement, bool controls) {
    std::string out;
    out.reserve(s.size());
    while (!s.empty()) {
        char32_t code = 0;
        const std::size_t n = sequence(s, code);
        const bool control = code < 0x20 || (code >= 0x7f && code <= 0x9f);
        if (n == 0 || (controls && control)) {
            out += replacement;
            s.remove_prefix(n ? n : 1);
            continue;
        }
        out += s.substr(0, n);
        s.remove_prefix(n);
    }
    return out;
}

}  // namespace via::text
