#include "kernel/netlink.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <string>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <netlink/errno.h>
#include <netlink/handlers.h>
#include <netlink/netlink.h>

#include "kernel/nlmsg.hpp"
#include "launch/error.hpp"

namespace via {
namespace {

// libnl's NLE_* codes (error.hpp). Here, not in error.cpp: the launcher,
// which shares error.cpp, has no libnl.
class NetlinkCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "netlink"; }
    std::string message(int code) const override { return nl_geterror(code); }
};

}  // namespace

const std::error_category& netlink_category() noexcept {
    static const NetlinkCategory category;
    return category;
}

Error netlink_error(int nle, std::string context, std::string hint) {
    return Error(std::error_code(std::abs(nle), netlink_category()), std::move(context), std::move(hint));
}

}  // namespace via

namespace via::netlink {
namespace {

template <class Alloc>
Cache dump(const char* what, Alloc alloc) {
    nl_cache* raw = nullptr;
    if (int err = alloc(&raw); err < 0) throw netlink_error(err, std::string("reading ") + what);
    return Cache(raw);
}

}  // namespace

Socket connect_route() {
    Socket sock(nl_socket_alloc());
    if (!sock) throw Error("allocating a netlink socket: out of memory");
    if (int err = nl_connect(sock.get(), NETLINK_ROUTE); err < 0)
        throw netlink_error(err, "opening a route netlink socket");
    return sock;
}

Cache links(nl_sock* sock) {
    return dump("network interfaces", [&](nl_cache** c) { return rtnl_link_alloc_cache(sock, AF_UNSPEC, c); });
}

Cache addresses(nl_sock* sock) {
    return dump("interface addresses", [&](nl_cache** c) { return rtnl_addr_alloc_cache(sock, c); });
}

namespace {

// The kernel's strict checking of dump requests, which is what makes it
// honour their filters, for the time of one scope. (libnl's own requests
// carry headers that strict checking refuses.)
class StrictDumps {
public:
    explicit StrictDumps(nl_sock* sock) : sock_(sock) {
        if (!nlmsg::strict_dumps(nl_socket_get_fd(sock_), true)) throw errno_error("asking netlink for filtered dumps");
    }
    ~StrictDumps() { nlmsg::strict_dumps(nl_socket_get_fd(sock_), false); }
    StrictDumps(const StrictDumps&) = delete;
    StrictDumps& operator=(const StrictDumps&) = delete;

private:
    nl_sock* sock_;
};

}  // namespace

Cache routes(nl_sock* sock, int family, const std::vector<RouteFilter>& filters) {
    nl_cache* raw = nullptr;
    if (int err = nl_cache_alloc_name("route/route", &raw); err < 0) throw netlink_error(err, "reading routes");
    Cache cache(raw);
    const StrictDumps strict(sock);
    for (const RouteFilter& f : filters) {
        Msg msg(nlmsg_alloc_simple(RTM_GETROUTE, NLM_F_DUMP));
        rtmsg rtm{};
        rtm.rtm_family = static_cast<unsigned char>(family);
        rtm.rtm_protocol = f.protocol;
        if (!msg || nlmsg_append(msg.get(), &rtm, sizeof rtm, NLMSG_ALIGNTO) < 0 ||
            (f.table && nla_put_u32(msg.get(), RTA_TABLE, f.table) < 0) ||
            (f.oif && nla_put_u32(msg.get(), RTA_OIF, static_cast<std::uint32_t>(f.oif)) < 0))
            throw Error("building a route dump request: out of memory");
        if (int err = nl_send_auto(sock, msg.get()); err < 0) throw netlink_error(err, "asking for routes");
        // (A route two filters ask for is kept once.)
        if (int err = nl_cache_pickup_checkdup(sock, cache.get()); err < 0) throw netlink_error(err, "reading routes");
    }
    return cache;
}

Addr parse_address(const std::string& text, int family) {
    nl_addr* raw = nullptr;
    if (int err = nl_addr_parse(text.c_str(), family, &raw); err < 0)
        throw netlink_error(err, "parsing address '" + text + "'");
    return Addr(raw);
}

std::string to_string(const nl_addr* addr) {
    if (!addr) return "none";
    std::array<char, 64> buf{};
    nl_addr2str(addr, buf.data(), buf.size());
    std::string text(buf.data());
    // nl_addr2str appends "/len" for prefixes shorter than the full length.
    if (auto slash = text.find('/'); slash != std::string::npos) text.resize(slash);
    return text;
}

}  // namespace via::netlink

namespace via::netlink {
namespace {

struct Answer {
    bool done = false;
    int error = 0;  // positive errno
};

int on_error(sockaddr_nl*, nlmsgerr* e, void* arg) {
    auto* answer = static_cast<Answer*>(arg);
    answer->error = -e->error;
    answer->done = true;
    return NL_STOP;
}

int on_ack(nl_msg*, void* arg) {
    static_cast<Answer*>(arg)->done = true;
    return NL_STOP;
}

}  // namespace

int request(nl_sock* sock, nl_msg* msg, const std::string& context,
            std::initializer_list<int> tolerated) {
    using Callbacks = Handle<nl_cb, nl_cb_put>;
    Callbacks cb(nl_cb_clone(nl_socket_get_cb(sock)));
    if (!cb) throw Error(context + ": out of memory");
    Answer answer;
    nl_cb_err(cb.get(), NL_CB_CUSTOM, on_error, &answer);
    nl_cb_set(cb.get(), NL_CB_ACK, NL_CB_CUSTOM, on_ack, &answer);

    if (int err = nl_send_auto(sock, msg); err < 0) throw netlink_error(err, context);
    while (!answer.done) {
        if (int err = nl_recvmsgs(sock, cb.get()); err < 0 && !answer.done)
            throw netlink_error(err, context);
    }
    if (answer.error == 0) return 0;
    if (std::find(tolerated.begin(), tolerated.end(), answer.error) != tolerated.end())
        return answer.error;
    errno = answer.error;
    throw errno_error(context, permission_hint(answer.error));
}

}  // namespace via::netlink
