#include "launch/error.hpp"

#include <cerrno>

namespace via {

Error::Error(std::string message, std::string hint)
    : std::system_error(std::error_code(), message),
      context_(std::move(message)),
      hint_(std::move(hint)) {}

Error::Error(std::error_code code, std::string context, std::string hint)
    : std::system_error(code, context), context_(std::move(context)), hint_(std::move(hint)) {}

Error errno_error(std::string context, std::string hint) {
    // A call that failed without saying why (errno 0) would read
    // "...: Success".
    if (errno == 0) return Error(std::move(context), std::move(hint));
    return Error(std::error_code(errno, std::system_category()), std::move(context),
                 std::move(hint));
}

std::string permission_hint(int err) {
    if (err != EPERM && err != EACCES) return {};
    return "is via installed with its capabilities? (see README, 'Set up')";
}

std::string render(const Error& e) {
    std::string out = "via: " + e.context();
    if (e.code()) out += ": " + e.code().message();
    out += '\n';
    if (!e.hint().empty()) out += "hint: " + e.hint() + '\n';
    return out;
}

}  // namespace via
