#include "launch/handle.hpp"

#include <unistd.h>

namespace via {

void UniqueFd::reset(int fd) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
}

}  // namespace via
