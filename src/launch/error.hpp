// One error type for all of via: what via was doing, why it failed (an errno,
// never printed as a bare number) and, where we know one,
// what the user can do about it. Caught once, in main.
#pragma once

#include <string>
#include <system_error>

namespace via {

class Error : public std::system_error {
public:
    // A failure with no underlying system error (bad input, missing object).
    explicit Error(std::string message, std::string hint = {});
    Error(std::error_code code, std::string context, std::string hint = {});

    const std::string& hint() const noexcept { return hint_; }
    // What was being done, without the ": <system reason>" suffix.
    const std::string& context() const noexcept { return context_; }

private:
    std::string context_;
    std::string hint_;
};

// Error from the current errno.
Error errno_error(std::string context, std::string hint = {});

// The hint for a refusal by the kernel (EPERM, EACCES): via probably lacks
// its capabilities. Empty for any other errno.
std::string permission_hint(int err);

// "via: <what>\nhint: <hint>\n" as printed on stderr.
std::string render(const Error& e);

}  // namespace via
