// What via and its launcher do first, from .preinit_array (src/launch/early.cpp):
// before any library's constructor, and, in the static launcher, right
// after libc's own set-up. Linking this file is enough.
#pragma once

namespace via::early {

// Whether the caller is outside group `via` (and not root): every
// capability is dropped by then, and via only explains.
bool outsider();

}  // namespace via::early
