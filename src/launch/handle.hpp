// RAII for the C libraries' handles: every object via gets from libnftnl,
// libbpf or libcap, and every file descriptor, is owned by one of these,
// so that early returns and exceptions cannot leak it. Ownership handed to a C API is written out
// with release().
#pragma once

#include <memory>

namespace via {

template <auto F>
struct Free {
    template <class T>
    void operator()(T* p) const noexcept {
        F(p);
    }
};

template <class T, auto F>
using Handle = std::unique_ptr<T, Free<F>>;

}  // namespace via

namespace via {

// A file descriptor, closed when it goes out of scope.
class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) noexcept : fd_(fd) {}
    UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
    UniqueFd& operator=(UniqueFd&& o) noexcept {
        reset(o.release());
        return *this;
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() { reset(); }

    int get() const noexcept { return fd_; }
    explicit operator bool() const noexcept { return fd_ >= 0; }
    int release() noexcept {
        int fd = fd_;
        fd_ = -1;
        return fd;
    }
    void reset(int fd = -1) noexcept;

private:
    int fd_ = -1;
};

}  // namespace via
