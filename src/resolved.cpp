// The name servers systemd-resolved has for an interface, asked over
// D-Bus with libsystemd's sd-bus (dlopen'ed). Its own file: the launcher
// links src/launcher/resolved.cpp instead (see there).
#include "via/dns.hpp"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <memory>
#include <net/if.h>
#include <systemd/sd-bus.h>

#include "via/constants.hpp"
#include "via/files.hpp"

namespace via::dns {
namespace {

// libsystemd's sd-bus, opened when there is a resolved to ask: most
// launches never load it (see CMakeLists.txt, VIA_STATIC_LIBS).
struct SdBus {
    decltype(&sd_bus_open_system) open_system = nullptr;
    decltype(&sd_bus_flush_close_unref) close = nullptr;
    decltype(&sd_bus_call_method) call_method = nullptr;
    decltype(&sd_bus_get_property) get_property = nullptr;
    decltype(&sd_bus_error_free) error_free = nullptr;
    decltype(&sd_bus_message_unref) message_unref = nullptr;
    decltype(&sd_bus_message_read) read = nullptr;
    decltype(&sd_bus_message_read_array) read_array = nullptr;
    decltype(&sd_bus_message_enter_container) enter = nullptr;
    decltype(&sd_bus_message_exit_container) exit = nullptr;
};

template <class F>
bool symbol(void* lib, const char* name, F& f) {
    f = reinterpret_cast<F>(::dlsym(lib, name));
    return f != nullptr;
}

const SdBus* sd_bus_library() {
    static const SdBus* loaded = []() -> const SdBus* {
        void* lib = ::dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
        if (!lib) return nullptr;
        static SdBus s;
        const bool all = symbol(lib, "sd_bus_open_system", s.open_system) &&
                         symbol(lib, "sd_bus_flush_close_unref", s.close) &&
                         symbol(lib, "sd_bus_call_method", s.call_method) &&
                         symbol(lib, "sd_bus_get_property", s.get_property) &&
                         symbol(lib, "sd_bus_error_free", s.error_free) &&
                         symbol(lib, "sd_bus_message_unref", s.message_unref) &&
                         symbol(lib, "sd_bus_message_read", s.read) &&
                         symbol(lib, "sd_bus_message_read_array", s.read_array) &&
                         symbol(lib, "sd_bus_message_enter_container", s.enter) &&
                         symbol(lib, "sd_bus_message_exit_container", s.exit);
        return all ? &s : nullptr;
    }();
    return loaded;
}

// The per-link servers of a resolved answer: a(iay), each server's family
// and address bytes.
std::vector<std::string> servers_of(const SdBus& bus, sd_bus_message* dns) {
    std::vector<std::string> out;
    if (bus.enter(dns, 'a', "(iay)") < 0) return out;
    while (bus.enter(dns, 'r', "iay") > 0) {
        std::int32_t family = 0;
        const void* bytes = nullptr;
        std::size_t size = 0;
        if (bus.read(dns, "i", &family) < 0 || bus.read_array(dns, 'y', &bytes, &size) < 0) break;
        char text[INET6_ADDRSTRLEN] = {};
        if ((family == AF_INET && size == 4) || (family == AF_INET6 && size == 16))
            if (inet_ntop(family, bytes, text, sizeof text) && out.size() < constants::max_dns_servers)
                out.emplace_back(text);
        bus.exit(dns);
    }
    return out;
}

}  // namespace

std::vector<std::string> resolved_servers(const std::string& interface) {
    // Without resolved's socket directory there is nobody to ask (and no
    // D-Bus activation wanted).
    if (!is_dir(resolved_dir)) return {};
    const int ifindex = static_cast<int>(::if_nametoindex(interface.c_str()));
    if (ifindex <= 0) return {};
    const SdBus* lib = sd_bus_library();
    if (!lib) return {};
    sd_bus* raw_bus = nullptr;
    if (lib->open_system(&raw_bus) < 0) return {};
    const auto close = [&](sd_bus* b) { lib->close(b); };
    std::unique_ptr<sd_bus, decltype(close)> bus(raw_bus, close);
    const auto unref = [&](sd_bus_message* m) { lib->message_unref(m); };
    using Message = std::unique_ptr<sd_bus_message, decltype(unref)>;
    sd_bus_error error{};  // SD_BUS_ERROR_NULL, which is a C compound literal
    sd_bus_message* raw = nullptr;
    const int r = lib->call_method(bus.get(), "org.freedesktop.resolve1", "/org/freedesktop/resolve1",
                                   "org.freedesktop.resolve1.Manager", "GetLink", &error, &raw, "i", ifindex);
    lib->error_free(&error);
    if (r < 0) return {};
    Message reply(raw, unref);
    const char* path = nullptr;
    if (lib->read(reply.get(), "o", &path) < 0) return {};
    raw = nullptr;
    const int got = lib->get_property(bus.get(), "org.freedesktop.resolve1", path, "org.freedesktop.resolve1.Link",
                                      "DNS", &error, &raw, "a(iay)");
    lib->error_free(&error);
    if (got < 0) return {};
    Message dns(raw, unref);
    return servers_of(*lib, dns.get());
}

}  // namespace via::dns
