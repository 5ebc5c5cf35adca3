// libFuzzer target for the D-Bus reader (CMake option VIA_FUZZ, with clang):
// any bytes from the bus are cut into messages of at most their own size,
// or refused, or wait for more; a reply read from them yields a path or
// name servers that are what they claim to be; never a crash, a hang or
// undefined behaviour.
#include <arpa/inet.h>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "launch/resolve1.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace via::resolve1;
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    while (!bytes.empty()) {
        const Cut c = cut(bytes);
        if (!c.message) {
            if (c.size != 0 && c.size != SIZE_MAX) __builtin_trap();
            return 0;
        }
        if (c.size == 0 || c.size > bytes.size() || c.message->body.size() > c.size) __builtin_trap();
        if (const auto path = object_path(*c.message); path && (path->empty() || (*path)[0] != '/')) __builtin_trap();
        if (const auto servers = dns_servers(*c.message, 3)) {
            if (servers->size() > 3) __builtin_trap();
            unsigned char address[16];
            for (const auto& s : *servers)
                if (inet_pton(AF_INET, s.c_str(), address) != 1 && inet_pton(AF_INET6, s.c_str(), address) != 1)
                    __builtin_trap();
        }
        bytes.remove_prefix(c.size);
    }
    return 0;
}
