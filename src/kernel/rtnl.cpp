#include "kernel/rtnl.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <unordered_set>

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/fib_rules.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include "launch/error.hpp"
#include "owned.hpp"

namespace via::rtnl {
namespace {

using nlmsg::attr_data;
using nlmsg::attr_len;
using nlmsg::attr_type;
using nlmsg::attr_u32;
using nlmsg::each_attr;
using nlmsg::payload;

std::size_t address_size(int family) { return family == AF_INET6 ? 16 : 4; }

// An address attribute of `family` as text; none when it is not one.
std::optional<std::string> address_of(const nlattr* attr, int family) {
    if (attr_len(attr) != address_size(family)) return std::nullopt;
    return to_text(family, attr_data(attr));
}

// A dump: what `parse` makes of each answer it takes. Asked again, from
// the start, a few times when the kernel found it inconsistent (what it
// lists changed meanwhile).
template <class T, class Fixed, class Parse>
std::vector<T> dump(nlmsg::Socket& sock, std::uint16_t type, const Fixed& fixed, const char* what, Parse parse,
                    const std::function<void(nlmsg::Message&)>& filter = {}) {
    int error = 0;
    for (int attempt = 0; attempt < 5; ++attempt) {
        std::vector<T> out;
        auto msg = nlmsg::request(type, NLM_F_DUMP, fixed);
        if (filter) filter(msg);
        const auto each = [&](const nlmsghdr* m) {
            if (std::optional<T> v = parse(m)) out.push_back(std::move(*v));
        };
        if (nlmsg::ask(sock, msg, each, &error)) return out;
        if (error != EINTR) break;
    }
    errno = error;
    throw errno_error(std::string("reading ") + what, permission_hint(error));
}

// The next hops of a multipath route (RTA_MULTIPATH): rtnexthop headers,
// each followed by its own attributes.
void multipath(const nlattr* attr, int family, std::vector<NextHop>& out) {
    const auto* at = static_cast<const unsigned char*>(attr_data(attr));
    for (std::size_t left = attr_len(attr); left >= sizeof(rtnexthop);) {
        const auto* nh = reinterpret_cast<const rtnexthop*>(at);
        if (nh->rtnh_len < sizeof(rtnexthop) || nh->rtnh_len > left) return;
        NextHop hop{nh->rtnh_ifindex, std::nullopt};
        nlmsg::each_attr_in(at + RTNH_ALIGN(sizeof(rtnexthop)), nh->rtnh_len - RTNH_ALIGN(sizeof(rtnexthop)),
                            [&](const nlattr* sub) {
                                if (attr_type(sub) == RTA_GATEWAY) hop.gateway = address_of(sub, family);
                            });
        out.push_back(hop);
        const std::size_t step = std::min<std::size_t>(RTNH_ALIGN(nh->rtnh_len), left);
        at += step;
        left -= step;
    }
}

}  // namespace

Route route_of(const nlmsghdr* m) {
    const auto* rtm = payload<rtmsg>(m);
    Route r;
    r.family = rtm->rtm_family;
    r.table = rtm->rtm_table;
    r.protocol = rtm->rtm_protocol;
    r.scope = rtm->rtm_scope;
    r.type = rtm->rtm_type;
    r.prefixlen = rtm->rtm_dst_len;
    NextHop single;
    bool one = false;
    each_attr(m, sizeof *rtm, [&](const nlattr* attr) {
        switch (attr_type(attr)) {
            case RTA_TABLE: r.table = attr_u32(attr); break;
            case RTA_PRIORITY: r.priority = attr_u32(attr); break;
            case RTA_DST:
                if (attr_len(attr) == address_size(r.family)) std::memcpy(r.dst.data(), attr_data(attr), attr_len(attr));
                break;
            case RTA_OIF:
                single.ifindex = static_cast<int>(attr_u32(attr));
                one = true;
                break;
            case RTA_GATEWAY:
                single.gateway = address_of(attr, r.family);
                one = true;
                break;
            case RTA_MULTIPATH: multipath(attr, r.family, r.nexthops); break;
            default: break;
        }
    });
    if (one) r.nexthops.insert(r.nexthops.begin(), single);
    return r;
}

namespace {

// An ip rule as the kernel sends it, every field read (libnl 3.7's rule
// objects, which via used before, kept "not" and suppress_* to themselves).
Rule rule_of(const nlmsghdr* nlh) {
    const auto* hdr = payload<fib_rule_hdr>(nlh);
    Rule rule;
    rule.selects_more = hdr->src_len || hdr->dst_len || hdr->tos;
    rule.invert = hdr->flags & FIB_RULE_INVERT;
    rule.lookup = hdr->action == FR_ACT_TO_TBL;
    rule.action = hdr->action;
    rule.table = hdr->table;
    rule.family = hdr->family;
    each_attr(nlh, sizeof *hdr, [&](const nlattr* attr) {
        switch (attr_type(attr)) {
            case FRA_PRIORITY: rule.pref = attr_u32(attr); break;
            case FRA_TABLE: rule.table = attr_u32(attr); break;
            case FRA_FWMARK: rule.fwmark = attr_u32(attr); break;
            case FRA_FWMASK: rule.fwmask = attr_u32(attr); break;
            case FRA_GOTO: rule.target = attr_u32(attr); break;
            case FRA_PROTOCOL: rule.via = nlmsg::attr_u8(attr) == owned::rt_protocol; break;
            case FRA_SUPPRESS_PREFIXLEN:
            case FRA_SUPPRESS_IFGROUP:  // sent with -1 when unset
                rule.suppresses = rule.suppresses || attr_u32(attr) != 0xffffffff;
                break;
            case FRA_IIFNAME:
                rule.iif = nlmsg::attr_str(attr);
                rule.selects_more = true;
                break;
            case FRA_SRC:
                rule.src = to_text(hdr->family, nlmsg::attr_data(attr)) + "/" + std::to_string(hdr->src_len);
                break;
            case FRA_DST:
                rule.dst = to_text(hdr->family, nlmsg::attr_data(attr)) + "/" + std::to_string(hdr->dst_len);
                break;
            case FRA_IP_PROTO:
                rule.ip_proto = nlmsg::attr_u8(attr);
                rule.selects_more = true;
                break;
            case FRA_DPORT_RANGE: {
                const auto range = nlmsg::attr_get<fib_rule_port_range>(attr);
                rule.dport_first = range.start;
                rule.dport_last = range.end;
                rule.selects_more = true;
                break;
            }
            case FRA_OIFNAME: case FRA_UID_RANGE:
            case FRA_SPORT_RANGE: case FRA_L3MDEV: rule.selects_more = true; break;
            default: break;
        }
    });
    if (rule.fwmark && !rule.fwmask) rule.fwmask = 0xffffffff;
    return rule;
}

// What tells two routes apart (the kernel keeps no two alike), as bytes:
// a route two filters ask for is kept once, in a hash set, since a
// filter may bring hundreds of thousands (a full table on the uplink).
std::string identity(const Route& r) {
    std::string key(reinterpret_cast<const char*>(r.dst.data()), r.dst.size());
    for (const std::uint32_t n : {static_cast<std::uint32_t>(r.family), r.table, std::uint32_t{r.type}, r.prefixlen,
                                  r.priority, std::uint32_t{r.protocol}})
        key.append(reinterpret_cast<const char*>(&n), sizeof n);
    for (const auto& nh : r.nexthops) key += "|" + std::to_string(nh.ifindex) + " " + nh.gateway.value_or("-");
    return key;
}

}  // namespace

std::string Route::destination() const {
    if (prefixlen == 0) return "default";
    return to_text(family, dst.data()) + "/" + std::to_string(prefixlen);
}

nlmsg::Socket open() {
    nlmsg::Socket sock = nlmsg::open(NETLINK_ROUTE);
    if (!sock) throw errno_error("opening a route netlink socket");
    nlmsg::extended_acks(sock.fd());  // words for a refusal, where the kernel has them
    return sock;
}

std::vector<Link> links(nlmsg::Socket& sock) {
    return dump<Link>(sock, RTM_GETLINK, ifinfomsg{}, "network interfaces", [](const nlmsghdr* m) -> std::optional<Link> {
        if (m->nlmsg_type != RTM_NEWLINK) return std::nullopt;
        const auto* ifi = payload<ifinfomsg>(m);
        Link l{ifi->ifi_index, {}, ifi->ifi_flags};
        each_attr(m, sizeof *ifi, [&](const nlattr* attr) {
            if (attr_type(attr) == IFLA_IFNAME)
                l.name.assign(static_cast<const char*>(attr_data(attr)),
                              strnlen(static_cast<const char*>(attr_data(attr)), attr_len(attr)));
        });
        return l;
    });
}

std::vector<Address> addresses(nlmsg::Socket& sock) {
    return dump<Address>(sock, RTM_GETADDR, ifaddrmsg{}, "interface addresses",
                         [](const nlmsghdr* m) -> std::optional<Address> {
        if (m->nlmsg_type != RTM_NEWADDR) return std::nullopt;
        const auto* ifa = payload<ifaddrmsg>(m);
        Address a{static_cast<int>(ifa->ifa_index), ifa->ifa_family, ifa->ifa_scope, ifa->ifa_prefixlen, {}};
        // IFA_LOCAL is the interface's own (the peer's is IFA_ADDRESS on a
        // point-to-point link); IPv6 sends IFA_ADDRESS alone.
        std::optional<std::string> local, address;
        each_attr(m, sizeof *ifa, [&](const nlattr* attr) {
            if (attr_type(attr) == IFA_LOCAL) local = address_of(attr, a.family);
            if (attr_type(attr) == IFA_ADDRESS) address = address_of(attr, a.family);
        });
        if (!local && !address) return std::nullopt;
        a.local = local ? *local : *address;
        return a;
    });
}

namespace {

// The kernel's strict checking of dump requests, which makes it honour
// their filters, for the time of one scope.
class StrictDumps {
public:
    explicit StrictDumps(const nlmsg::Socket& sock) : fd_(sock.fd()) {
        if (!nlmsg::strict_dumps(fd_, true)) throw errno_error("asking netlink for filtered dumps");
    }
    ~StrictDumps() { nlmsg::strict_dumps(fd_, false); }
    StrictDumps(const StrictDumps&) = delete;
    StrictDumps& operator=(const StrictDumps&) = delete;

private:
    int fd_;
};

}  // namespace

std::vector<Route> routes(nlmsg::Socket& sock, int family, const std::vector<RouteFilter>& filters,
                          const std::function<bool(const Route&)>& keep) {
    std::vector<Route> out;
    std::unordered_set<std::string> seen;
    const StrictDumps strict(sock);
    for (const RouteFilter& f : filters) {
        rtmsg rtm{};
        rtm.rtm_family = static_cast<unsigned char>(family);
        rtm.rtm_protocol = f.protocol;
        const auto filter = [&](nlmsg::Message& msg) {
            if (f.table) msg.put_u32(RTA_TABLE, f.table);
            if (f.oif) msg.put_u32(RTA_OIF, static_cast<std::uint32_t>(f.oif));
        };
        auto got = dump<Route>(sock, RTM_GETROUTE, rtm, "routes", [&](const nlmsghdr* m) -> std::optional<Route> {
            if (m->nlmsg_type != RTM_NEWROUTE) return std::nullopt;
            Route r = route_of(m);
            if (keep && !keep(r)) return std::nullopt;
            return r;
        }, filter);
        for (auto& r : got)
            if (filters.size() == 1 || seen.insert(identity(r)).second) out.push_back(std::move(r));
    }
    return out;
}

std::vector<Rule> rules_from(nlmsg::Socket& sock) {
    return dump<Rule>(sock, RTM_GETRULE, fib_rule_hdr{.family = AF_UNSPEC}, "the ip rules",
                      [](const nlmsghdr* m) -> std::optional<Rule> {
                          if (m->nlmsg_type != RTM_NEWRULE) return std::nullopt;
                          return rule_of(m);
                      });
}

std::vector<Rule> ip_rules() {
    nlmsg::Socket sock = nlmsg::open(NETLINK_ROUTE);
    if (!sock) throw errno_error("opening a netlink socket to read the ip rules");
    return rules_from(sock);
}

int change(nlmsg::Socket& sock, nlmsg::Message& request, const std::string& context,
           std::initializer_list<int> tolerated) {
    request.header()->nlmsg_flags |= NLM_F_ACK;
    int error = 0;
    std::string said;
    if (nlmsg::ask(sock, request, [](const nlmsghdr*) {}, &error, &said)) return 0;
    if (std::find(tolerated.begin(), tolerated.end(), error) != tolerated.end()) return error;
    errno = error;
    throw errno_error(said.empty() ? context : context + " (the kernel: " + said + ")", permission_hint(error));
}

std::string to_text(int family, const void* addr) {
    char text[INET6_ADDRSTRLEN] = {};
    if (!::inet_ntop(family, addr, text, sizeof text)) return "?";
    return text;
}

bool parse_prefix(const std::string& text, int family, std::array<std::uint8_t, 16>& addr, unsigned& prefixlen) {
    addr = {};
    const unsigned bits = static_cast<unsigned>(address_size(family) * 8);
    if (text == "default") {
        prefixlen = 0;
        return true;
    }
    const auto slash = text.find('/');
    if (::inet_pton(family, text.substr(0, slash).c_str(), addr.data()) != 1) return false;
    prefixlen = bits;
    if (slash == std::string::npos) return true;
    const std::string len = text.substr(slash + 1);
    char* end = nullptr;
    const unsigned long n = std::strtoul(len.c_str(), &end, 10);
    if (len.empty() || *end || n > bits) return false;
    prefixlen = static_cast<unsigned>(n);
    return true;
}

}  // namespace via::rtnl
