// libFuzzer target for the configuration parser (CMake option VIA_FUZZ, with
// clang): any bytes are either a configuration or one clear error, never a
// crash, a hang or undefined behaviour; a file that fails leaves what was
// parsed before it as it was.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "launch/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace via::config;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    Config config;
    parse("[uplink base]\ninterface = base0\n", "base.conf", config);
    const Config before = config;
    if (const auto error = parse(text, "fuzz.conf", config)) {
        if (error->file != "fuzz.conf" || error->message.empty() || config.uplinks.size() != before.uplinks.size())
            __builtin_trap();
        return 0;
    }
    // Whatever parsed must be decidable for anybody.
    const Caller member{1000, "alice", {"alice", "via"}};
    for (const auto& u : config.uplinks) {
        decide(config, member, Ask{.name = u.name});
        decide(config, member, Ask{.name = u.interface, .gateway = "10.0.0.1", .no_kill_switch = true, .as_user = true});
        if (find(config, u.name) != &u) __builtin_trap();
    }
    return 0;
}
