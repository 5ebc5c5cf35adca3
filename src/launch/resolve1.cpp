#include "launch/resolve1.hpp"

#include <arpa/inet.h>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "launch/handle.hpp"
#include "launch/text.hpp"

namespace via::resolve1 {
namespace {

// Replies here are a few hundred bytes; anything larger is refused.
constexpr std::size_t max_message = 64 * 1024;
constexpr std::size_t fixed_header = 16;
constexpr char native_order = std::endian::native == std::endian::little ? 'l' : 'B';
// The whole exchange's deadline. A launch waits for resolved no longer:
// one that does not answer gets a warning (dns::warn_if_unanswered), not
// sd-bus's 25 s.
constexpr std::chrono::seconds reply_timeout{2};
// NO_AUTO_START: the bus never starts resolved for via.
constexpr std::uint8_t no_auto_start = 0x2;

// Header fields, by the specification's codes.
enum Field : std::uint8_t {
    path_field = 1,
    interface_field = 2,
    member_field = 3,
    reply_serial_field = 5,
    destination_field = 6,
    signature_field = 8,
};

// Marshals in this machine's byte order, aligned from the start of what it
// writes (a message, or a body: bodies start 8-aligned).
class Writer {
public:
    void pad(std::size_t n) { out_.append((n - out_.size() % n) % n, '\0'); }
    void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
    void u32(std::uint32_t v) {
        pad(4);
        out_.append(reinterpret_cast<const char*>(&v), sizeof v);
    }
    void string(std::string_view s) {
        u32(static_cast<std::uint32_t>(s.size()));
        out_.append(s);
        out_.push_back('\0');
    }
    void signature(std::string_view s) {
        u8(static_cast<std::uint8_t>(s.size()));
        out_.append(s);
        out_.push_back('\0');
    }
    // One header field: a struct (code, variant) of type 's', 'o' or 'g'.
    void field(Field code, char type, std::string_view value) {
        pad(8);
        u8(code);
        signature(std::string_view(&type, 1));
        if (type == 'g')
            signature(value);
        else
            string(value);
    }
    std::string& out() { return out_; }

private:
    std::string out_;
};

// Reads in the sender's byte order; a read past the end, or of anything
// malformed, fails this reader for good (ok() false, values 0 or empty).
class Reader {
public:
    Reader(std::string_view bytes, bool big_endian, std::size_t pos = 0)
        : bytes_(bytes), big_(big_endian), pos_(pos) {}
    bool ok() const { return ok_; }
    std::size_t pos() const { return pos_; }
    void align(std::size_t n) { take((n - pos_ % n) % n); }
    std::uint8_t u8() {
        const auto b = take(1);
        return b.empty() ? 0 : static_cast<std::uint8_t>(b[0]);
    }
    std::uint32_t u32() {
        align(4);
        const auto b = take(4);
        if (b.empty()) return 0;
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i) {
            const auto byte = static_cast<std::uint8_t>(b[big_ ? i : 3 - i]);
            v = (v << 8) | byte;
        }
        return v;
    }
    std::string_view string() { return terminated(u32()); }
    std::string_view signature() { return terminated(u8()); }
    std::string_view bytes(std::size_t n) { return take(n); }

private:
    std::string_view take(std::size_t n) {
        if (!ok_ || n > bytes_.size() - pos_) {
            ok_ = false;
            return {};
        }
        const auto out = bytes_.substr(pos_, n);
        pos_ += n;
        return out;
    }
    // LENGTH bytes, then a NUL that is not among them.
    std::string_view terminated(std::size_t length) {
        if (length > max_message) ok_ = false;
        const auto text = take(length);
        if (take(1) != std::string_view("\0", 1) || text.find('\0') != std::string_view::npos) ok_ = false;
        return ok_ ? text : std::string_view();
    }

    std::string_view bytes_;
    bool big_;
    std::size_t pos_;
    bool ok_ = true;
};

std::string text_of(int family, std::string_view address) {
    char text[INET6_ADDRSTRLEN] = {};
    if (!inet_ntop(family, address.data(), text, sizeof text)) return {};
    return text;
}

// The system bus, as one client: every wait bounded by one deadline.
class Connection {
public:
    explicit Connection(UniqueFd fd) : fd_(std::move(fd)), deadline_(std::chrono::steady_clock::now() + reply_timeout) {}

    bool send(std::string_view data) {
        while (!data.empty()) {
            const ssize_t n = ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            data.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }

    // The server's answer to AUTH: one line.
    std::optional<std::string> line() {
        for (;;) {
            if (const auto end = buffer_.find("\r\n"); end != std::string::npos) {
                std::string out = buffer_.substr(0, end);
                buffer_.erase(0, end + 2);
                return out;
            }
            if (buffer_.size() > 512 || !receive()) return std::nullopt;
        }
    }

    // The reply to the call numbered `serial`, skipping what comes before
    // it (Hello's reply, the bus's signals).
    std::optional<Message> reply_to(std::uint32_t serial) {
        for (;;) {
            const Cut c = cut(buffer_);
            if (c.size == SIZE_MAX) return std::nullopt;
            if (c.message) {
                buffer_.erase(0, c.size);
                const bool reply = c.message->type == Type::method_return || c.message->type == Type::error;
                if (reply && c.message->reply_serial == serial) return c.message;
                continue;
            }
            if (!receive()) return std::nullopt;
        }
    }

private:
    bool receive() {
        char chunk[4096];
        for (;;) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ -
                                                                                     std::chrono::steady_clock::now());
            if (left.count() <= 0) return false;
            pollfd p{.fd = fd_.get(), .events = POLLIN};
            const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
            if (ready < 0 && errno == EINTR) continue;
            if (ready <= 0) return false;
            const ssize_t n = ::recv(fd_.get(), chunk, sizeof chunk, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            buffer_.append(chunk, static_cast<std::size_t>(n));
            return true;
        }
    }

    UniqueFd fd_;
    std::chrono::steady_clock::time_point deadline_;
    std::string buffer_;
};

}  // namespace

std::string marshal(const Call& call, std::uint32_t serial) {
    Writer w;
    w.u8(static_cast<std::uint8_t>(native_order));
    w.u8(static_cast<std::uint8_t>(Type::method_call));
    w.u8(no_auto_start);  // and a reply is wanted
    w.u8(1);  // the protocol's version
    w.u32(static_cast<std::uint32_t>(call.body.size()));
    w.u32(serial);
    w.u32(0);  // the header fields' length, set below
    w.field(path_field, 'o', call.path);
    if (!call.interface.empty()) w.field(interface_field, 's', call.interface);
    w.field(member_field, 's', call.member);
    w.field(destination_field, 's', call.destination);
    if (!call.signature.empty()) w.field(signature_field, 'g', call.signature);
    auto& out = w.out();
    const auto fields = static_cast<std::uint32_t>(out.size() - fixed_header);
    std::memcpy(&out[12], &fields, sizeof fields);
    w.pad(8);
    out += call.body;
    return out;
}

Call hello() {
    return Call{"org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "Hello", "", {}};
}

Call get_link(std::int32_t ifindex) {
    Writer body;
    body.u32(static_cast<std::uint32_t>(ifindex));
    return Call{"org.freedesktop.resolve1", "/org/freedesktop/resolve1", "org.freedesktop.resolve1.Manager",
                "GetLink", "i", std::move(body.out())};
}

Call get_property(std::string_view path, std::string_view interface, std::string_view property) {
    Writer body;
    body.string(interface);
    body.string(property);
    return Call{"org.freedesktop.resolve1", path, "org.freedesktop.DBus.Properties", "Get", "ss",
                std::move(body.out())};
}

Cut cut(std::string_view bytes) {
    constexpr Cut bad{SIZE_MAX, std::nullopt};
    if (bytes.size() < fixed_header) return {};
    const char order = bytes[0];
    if ((order != 'l' && order != 'B') || bytes[3] != 1) return bad;
    const bool big = order == 'B';
    Reader fixed(bytes.substr(0, fixed_header), big, 4);
    const std::size_t body_length = fixed.u32();
    fixed.u32();  // the sender's serial
    const std::size_t fields_length = fixed.u32();
    if (body_length > max_message || fields_length > max_message) return bad;
    const std::size_t fields_end = fixed_header + fields_length;
    const std::size_t body_start = (fields_end + 7) / 8 * 8;
    const std::size_t size = body_start + body_length;
    if (size > max_message) return bad;
    if (bytes.size() < size) return {};

    Message m;
    m.type = static_cast<Type>(bytes[1]);
    m.big_endian = big;
    Reader fields(bytes.substr(0, fields_end), big, fixed_header);
    while (fields.ok() && fields.pos() < fields_end) {
        fields.align(8);
        const std::uint8_t code = fields.u8();
        const std::string_view type = fields.signature();
        if (type == "u") {
            const std::uint32_t value = fields.u32();
            if (code == reply_serial_field) m.reply_serial = value;
        } else if (type == "s" || type == "o") {
            fields.string();
        } else if (type == "g") {
            const std::string_view value = fields.signature();
            if (code == signature_field) m.signature = value;
        } else if (type == "y") {
            fields.u8();
        } else {
            return bad;  // no other type in the fields of a bus's messages
        }
    }
    if (!fields.ok()) return bad;
    m.body = std::string(bytes.substr(body_start, body_length));
    return Cut{size, std::move(m)};
}

std::optional<std::string> object_path(const Message& reply) {
    if (reply.type != Type::method_return || reply.signature != "o") return std::nullopt;
    Reader r(reply.body, reply.big_endian);
    const std::string_view path = r.string();
    if (!r.ok() || path.empty() || path[0] != '/') return std::nullopt;
    return std::string(path);
}

std::optional<std::vector<std::string>> dns_servers(const Message& reply, std::size_t max) {
    if (reply.type != Type::method_return || reply.signature != "v") return std::nullopt;
    Reader r(reply.body, reply.big_endian);
    if (r.signature() != "a(iay)") return std::nullopt;
    const std::size_t length = r.u32();
    r.align(8);  // a struct's alignment, even in an empty array
    const std::size_t end = r.pos() + length;
    if (!r.ok() || length > reply.body.size() - r.pos()) return std::nullopt;
    std::vector<std::string> out;
    while (r.ok() && r.pos() < end) {
        r.align(8);
        const auto family = static_cast<std::int32_t>(r.u32());
        const std::string_view address = r.bytes(r.u32());
        if (!r.ok() || r.pos() > end) return std::nullopt;
        const bool known = (family == AF_INET && address.size() == 4) || (family == AF_INET6 && address.size() == 16);
        if (known && out.size() < max) {
            auto text = text_of(family, address);
            if (!text.empty()) out.push_back(std::move(text));
        }
    }
    if (!r.ok()) return std::nullopt;
    return out;
}

std::string link_path(int ifindex) {
    // sd_bus_path_encode() of the decimal ifindex: a leading digit is
    // escaped as _ and its hex code, the others are kept.
    const std::string decimal = std::to_string(ifindex);
    return "/org/freedesktop/resolve1/link/_" + text::hex(decimal.substr(0, 1)) + decimal.substr(1);
}

std::optional<std::vector<std::string>> servers(int ifindex, std::size_t max) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return std::nullopt;
    sockaddr_un addr{.sun_family = AF_UNIX};
    std::strncpy(addr.sun_path, system_bus_socket, sizeof addr.sun_path - 1);
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) < 0) return std::nullopt;
    Connection bus(std::move(fd));

    // All of it in one write, as sd-bus does: EXTERNAL (the bus checks the
    // uid claimed against the socket's peer), BEGIN, Hello and the link's
    // DNS at its usual path. Refused, the rest is never read.
    const std::string uid = std::to_string(::geteuid());
    const std::string dns_interface = "org.freedesktop.resolve1.Link";
    if (!bus.send(std::string("\0AUTH EXTERNAL ", 15) + text::hex(uid) + "\r\nBEGIN\r\n" + marshal(hello(), 1) +
                  marshal(get_property(link_path(ifindex), dns_interface, "DNS"), 2)))
        return std::nullopt;
    const auto answer = bus.line();
    if (!answer || !answer->starts_with("OK ")) return std::nullopt;
    if (const auto dns = bus.reply_to(2); !dns || dns->type == Type::method_return)
        return dns ? dns_servers(*dns, max) : std::nullopt;
    // No object there: the path resolved gives for the link, if it knows it.
    if (!bus.send(marshal(get_link(ifindex), 3))) return std::nullopt;
    const auto link = bus.reply_to(3);
    const auto path = link ? object_path(*link) : std::nullopt;
    if (!path || !bus.send(marshal(get_property(*path, dns_interface, "DNS"), 4))) return std::nullopt;
    const auto dns = bus.reply_to(4);
    return dns ? dns_servers(*dns, max) : std::nullopt;
}

}  // namespace via::resolve1
