#include "admin/json.hpp"

#include <cstdio>

#include "launch/text.hpp"

namespace via::json {
namespace {

// A JSON string of s: what is not UTF-8 (a command line may hold any
// bytes) becomes U+FFFD, as JSON text must be UTF-8 throughout.
void quote(std::string& out, const std::string& raw) {
    const std::string s = text::utf8(raw, "\xef\xbf\xbd", false);
    out += '"';
    for (const unsigned char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    char esc[8];
                    std::snprintf(esc, sizeof esc, "\\u%04x", c);
                    out += esc;
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    out += '"';
}

void write(std::string& out, const Value& value, bool pretty, int depth) {
    const auto newline = [&](int d) {
        if (pretty) out += "\n" + std::string(static_cast<std::size_t>(2 * d), ' ');
    };
    std::visit(
        [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::nullptr_t>) {
                out += "null";
            } else if constexpr (std::is_same_v<T, bool>) {
                out += x ? "true" : "false";
            } else if constexpr (std::is_same_v<T, std::int64_t> || std::is_same_v<T, std::uint64_t>) {
                out += std::to_string(x);
            } else if constexpr (std::is_same_v<T, std::string>) {
                quote(out, x);
            } else if constexpr (std::is_same_v<T, Array>) {
                out += '[';
                for (std::size_t i = 0; i < x.size(); ++i) {
                    if (i) out += ',';
                    newline(depth + 1);
                    write(out, x[i], pretty, depth + 1);
                }
                if (!x.empty()) newline(depth);
                out += ']';
            } else {
                out += '{';
                for (std::size_t i = 0; i < x.size(); ++i) {
                    if (i) out += ',';
                    newline(depth + 1);
                    quote(out, x[i].first);
                    out += pretty ? ": " : ":";
                    write(out, x[i].second, pretty, depth + 1);
                }
                if (!x.empty()) newline(depth);
                out += '}';
            }
        },
        value.v);
}

}  // namespace

Array strings(const std::vector<std::string>& list) { return Array(list.begin(), list.end()); }

std::string dump(const Value& value, bool pretty) {
    std::string out;
    write(out, value, pretty, 0);
    return out + "\n";
}

}  // namespace via::json
