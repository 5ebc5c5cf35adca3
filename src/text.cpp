#include "via/text.hpp"

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

}  // namespace via::text
