// A JSON value to print, for `via status --json` (systemd's convention:
// --json=short on one line, --json=pretty indented). Output only: via
// never reads JSON.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace via::json {

struct Value;
using Array = std::vector<Value>;
// Members in the order they were added, as people read them.
using Object = std::vector<std::pair<std::string, Value>>;

struct Value {
    std::variant<std::nullptr_t, bool, std::int64_t, std::uint64_t, std::string, Array, Object> v;
    Value() : v(nullptr) {}
    Value(std::nullptr_t) : v(nullptr) {}
    Value(bool b) : v(b) {}
    Value(int n) : v(static_cast<std::int64_t>(n)) {}
    Value(long n) : v(static_cast<std::int64_t>(n)) {}
    Value(unsigned n) : v(static_cast<std::uint64_t>(n)) {}
    Value(unsigned long n) : v(static_cast<std::uint64_t>(n)) {}
    Value(unsigned long long n) : v(static_cast<std::uint64_t>(n)) {}
    Value(const char* s) : v(std::string(s)) {}
    Value(std::string s) : v(std::move(s)) {}
    Value(Array a) : v(std::move(a)) {}
    Value(Object o) : v(std::move(o)) {}
};

Array strings(const std::vector<std::string>& list);

// One line, or indented by two spaces; ends with a newline.
std::string dump(const Value& value, bool pretty);

}  // namespace via::json
