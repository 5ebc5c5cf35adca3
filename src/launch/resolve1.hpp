// systemd-resolved's name servers for a link, asked over the system bus by
// the few messages that takes, written and read here: Hello, then the
// link's "DNS" property (org.freedesktop.DBus.Properties.Get) at the path
// resolved gives links, or at the one its Manager's GetLink(ifindex)
// returns; on the D-Bus wire format (the D-Bus specification, "Message
// Protocol").
//
// Not sd-bus: Debian ships libsystemd only as a shared library, and the
// launcher is linked statically; one client serves both it and via. It
// authenticates as the caller (EXTERNAL, by the socket's credentials),
// talks to the system bus's fixed socket only (no address from the
// environment) and reads replies with every length checked.
//
// Plan (pure, unit-tested and fuzzed): the messages sent, a message cut out
// of the bytes received, a reply's body read. Apply: servers().
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace via::resolve1 {

inline constexpr const char* system_bus_socket = "/run/dbus/system_bus_socket";

enum class Type : std::uint8_t { method_call = 1, method_return = 2, error = 3, signal = 4 };

// A method call as sent: `signature` and `body` are the arguments' (body
// marshalled already, in this machine's byte order).
struct Call {
    std::string_view destination, path, interface, member;
    std::string_view signature;
    std::string body;
};
std::string marshal(const Call& call, std::uint32_t serial);

// The calls of servers(), with their arguments marshalled.
Call hello();
Call get_link(std::int32_t ifindex);
Call get_property(std::string_view path, std::string_view interface, std::string_view property);

// The object path resolved gives the link `ifindex`, as sd-bus encodes it
// ("/org/freedesktop/resolve1/link/_33" for 3).
std::string link_path(int ifindex);

// One message received: what a reply needs of it.
struct Message {
    Type type = Type::signal;
    bool big_endian = false;
    std::uint32_t reply_serial = 0;  // 0: none
    std::string signature;
    std::string body;
};

// The first message in `bytes`: its size and contents; nullopt with
// `size` 0 when more bytes are needed, with `size` SIZE_MAX when they are
// no D-Bus message (or one larger than any reply wanted here).
struct Cut {
    std::size_t size = 0;
    std::optional<Message> message;
};
Cut cut(std::string_view bytes);

// GetLink's reply: the link's object path.
std::optional<std::string> object_path(const Message& reply);

// Properties.Get's reply for a link's DNS, a variant of a(iay): the IPv4
// and IPv6 servers as text, at most `max` of them (others are skipped).
std::optional<std::vector<std::string>> dns_servers(const Message& reply, std::size_t max);

// resolved's servers for `ifindex` (at most `max`), asked on the system
// bus; nullopt when the bus or resolved cannot be reached or does not
// answer in time, or answers with an error (no such link) or nonsense.
std::optional<std::vector<std::string>> servers(int ifindex, std::size_t max);

}  // namespace via::resolve1
