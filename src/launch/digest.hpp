// FNV-1a, 64 bits: a digest to compare with a later one (the fast path's
// stamps, the rules' maps in their nft comments, a rule's id), not a
// defence: what it guards is root's, and a match is only ever a shortcut.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace via {

struct Digest {
    std::uint64_t value = 0xcbf29ce484222325ull;
    void add(const void* data, std::size_t len) {
        const auto* p = static_cast<const unsigned char*>(data);
        for (std::size_t i = 0; i < len; ++i) value = (value ^ p[i]) * 0x100000001b3ull;
    }
    void add(std::string_view text) { add(text.data(), text.size()); }
    template <class T>
    void add(const T& v) {
        add(&v, sizeof v);
    }
};

}  // namespace via
