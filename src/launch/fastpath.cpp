#include "launch/fastpath.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/if.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/rtnetlink.h>

#include "kernel/nlmsg.hpp"
#include "launch/digest.hpp"
#include "launch/files.hpp"
#include "launch/handle.hpp"
#include "launch/ids.hpp"
#include "launch/stages.hpp"
#include "launch/text.hpp"
#include "owned.hpp"

namespace via::fastpath {
namespace {

constexpr const char* dir = owned::stamps_dir;


using nlmsg::ask;
using nlmsg::each_attr;
using nlmsg::payload;
using nlmsg::request;
using nlmsg::Socket;

// A message's fixed header, then its attributes but those that change by
// themselves (lifetimes, last use).
void add_message(Digest& d, const nlmsghdr* nlh, std::size_t fixed, std::uint16_t skip) {
    d.add(nlh->nlmsg_type);
    d.add(payload<char>(nlh), fixed);
    each_attr(nlh, fixed, [&](const nlattr* attr) {
        if (nlmsg::attr_type(attr) != skip) d.add(attr, attr->nla_len);
    });
}

struct Link {
    int ifindex = 0;
    bool up = false;
};

// By two ioctls, which cost a fraction of an RTM_GETLINK: the kernel
// builds no message with every per-family setting of the link. Any socket
// takes them (netlink's hands them on to the network devices).
std::optional<Link> link_by_name(int fd, const std::string& name) {
    ifreq ifr{};
    if (name.size() >= sizeof ifr.ifr_name) return std::nullopt;
    name.copy(ifr.ifr_name, sizeof ifr.ifr_name - 1);
    if (::ioctl(fd, SIOCGIFINDEX, &ifr) < 0) return std::nullopt;
    const int ifindex = ifr.ifr_ifindex;
    if (::ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) return std::nullopt;
    return Link{ifindex, (ifr.ifr_flags & IFF_UP) != 0};
}

bool addresses(Socket& sock, Digest& d) {
    const ifaddrmsg all{.ifa_family = AF_UNSPEC};
    auto msg = request(RTM_GETADDR, NLM_F_DUMP, all);
    return ask(sock, msg, [&](const nlmsghdr* m) {
        if (m->nlmsg_type != RTM_NEWADDR) return;
        // Family, prefix length, scope, interface and the addresses: not
        // the flags, which DAD and lifetimes change on their own.
        const auto* a = payload<ifaddrmsg>(m);
        d.add(a->ifa_family);
        d.add(a->ifa_prefixlen);
        d.add(a->ifa_scope);
        d.add(a->ifa_index);
        each_attr(m, sizeof(ifaddrmsg), [&](const nlattr* attr) {
            const auto type = nlmsg::attr_type(attr);
            if (type == IFA_ADDRESS || type == IFA_LOCAL) d.add(attr, attr->nla_len);
        });
    });
}

// The route the kernel takes out of the uplink to an address no network
// claims (TEST-NET-3, the IPv6 discard prefix): its default route, from
// whichever table, with its gateway and metric; or the error.
bool route_out(Socket& sock, int ifindex, int family, Digest& d) {
    const rtmsg rtm{.rtm_family = static_cast<unsigned char>(family),
                    .rtm_dst_len = static_cast<unsigned char>(family == AF_INET ? 32 : 128),
                    .rtm_flags = RTM_F_FIB_MATCH};
    unsigned char dst[16] = {};
    const char* far = family == AF_INET ? "203.0.113.77" : "100::1";
    inet_pton(family, far, dst);
    auto msg = request(RTM_GETROUTE, 0, rtm);
    msg.put(RTA_DST, dst, family == AF_INET ? 4 : 16);
    msg.put_u32(RTA_OIF, static_cast<std::uint32_t>(ifindex));
    int error = 0;
    const bool found = ask(sock, msg, [&](const nlmsghdr* m) {
        if (m->nlmsg_type == RTM_NEWROUTE) add_message(d, m, sizeof(rtmsg), RTA_CACHEINFO);
    }, &error);
    if (!found && !error) return false;  // not asked, or no answer
    if (!found) d.add(error);
    return true;
}

bool rules(Socket& sock, int family, Digest& d) {
    const rtmsg rtm{.rtm_family = static_cast<unsigned char>(family)};
    auto msg = request(RTM_GETRULE, NLM_F_DUMP, rtm);
    return ask(sock, msg, [&](const nlmsghdr* m) {
        if (m->nlmsg_type == RTM_NEWRULE) add_message(d, m, sizeof(rtmsg), 0xffff);
    });
}

// One table's routes: the kernel walks that table only (strict checking).
bool table(Socket& sock, int family, std::uint32_t id, Digest& d) {
    const rtmsg rtm{.rtm_family = static_cast<unsigned char>(family)};
    auto msg = request(RTM_GETROUTE, NLM_F_DUMP, rtm);
    msg.put_u32(RTA_TABLE, id);
    return ask(sock, msg, [&](const nlmsghdr* m) {
        if (m->nlmsg_type == RTM_NEWROUTE) add_message(d, m, sizeof(rtmsg), RTA_CACHEINFO);
    });
}

bool nft_generation(Digest& d) {
    Socket sock = nlmsg::open(NETLINK_NETFILTER);
    if (!sock) return false;
    const nfgenmsg any{.nfgen_family = AF_UNSPEC, .version = NFNETLINK_V0};
    auto msg = request((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETGEN, 0, any);
    bool found = false;
    ask(sock, msg, [&](const nlmsghdr* m) {
        each_attr(m, sizeof(nfgenmsg), [&](const nlattr* attr) {
            if (nlmsg::attr_type(attr) != NFTA_GEN_ID) return;
            d.add(nlmsg::attr_u32(attr));
            found = true;
        });
    });
    return found;
}

bool unhex16(std::string_view text, std::array<std::uint8_t, 16>& out) {
    if (text.size() != 32) return false;
    for (std::size_t i = 0; i < 16; ++i)
        if (!text::number(text.substr(i * 2, 2), out[i], 16)) return false;
    return true;
}

// A "net" line's value: IFINDEX FAMILY ADDR PREFIXLEN DEV, as render()
// writes it.
std::optional<uplink::Network> network_of(std::string_view value) {
    const auto w = text::words(value);
    uplink::Network n;
    if (w.size() != 5 || !text::number(w[0], n.ifindex) || !text::number(w[1], n.family) || !unhex16(w[2], n.addr) ||
        !text::number(w[3], n.prefixlen) || w[4].size() > IFNAMSIZ)
        return std::nullopt;
    if (w[4] != "-") n.dev = std::string(w[4]);
    return n;
}

std::string hop_text(const uplink::NextHop& hop) { return hop.gateway.value_or("-"); }
uplink::NextHop hop_of(std::string_view text) {
    return text == "-" ? uplink::NextHop{} : uplink::NextHop{std::string(text)};
}

}  // namespace

std::string path_of(const std::string& uplink) {
    return std::string(dir) + "/" + std::to_string(ids::own_netns()) + "/" + uplink;
}

std::optional<std::uint64_t> observe(const Watch& watch) {
    Socket sock = nlmsg::open(NETLINK_ROUTE);
    if (!sock) return std::nullopt;
    if (!nlmsg::strict_dumps(sock.fd(), true)) return std::nullopt;
    const auto link = link_by_name(sock.fd(), watch.name);
    if (!link) return std::nullopt;
    VIA_STAGE("netlink socket and link");
    Digest d;
    d.add(link->ifindex);
    d.add(link->up);
    // A request that fails makes no digest (the full ensure says why).
    if (!addresses(sock, d)) return std::nullopt;
    VIA_STAGE("addresses");
    for (int family : {AF_INET, AF_INET6})
        if (!route_out(sock, link->ifindex, family, d)) return std::nullopt;
    VIA_STAGE("routes out");
    // Both families in one dump each.
    if (!rules(sock, AF_UNSPEC, d)) return std::nullopt;
    VIA_STAGE("ip rules");
    for (const auto id : watch.tables)
        if (!table(sock, AF_UNSPEC, id, d)) return std::nullopt;
    VIA_STAGE("via's tables");
    if (!nft_generation(d)) return std::nullopt;
    VIA_STAGE("nft generation");
    return d.value;
}

std::string render(const Stamp& s) {
    std::string out = "request " + s.request + "\n";
    char digest[17];
    std::snprintf(digest, sizeof digest, "%016llx", static_cast<unsigned long long>(s.digest));
    out += "digest " + std::string(digest) + "\n";
    out += "sysctl_writes " + std::to_string(s.sysctl_writes) + "\n";
    out += "name " + s.up.name + "\n";
    out += "ifindex " + std::to_string(s.up.ifindex) + "\n";
    for (const auto& a : s.up.ipv4) out += "ipv4 " + a + "\n";
    out += "hop " + hop_text(s.up.next_hop) + "\n";
    for (const auto& a : s.up.ipv6) out += "ipv6 " + a + "\n";
    if (s.up.next_hop6) out += "hop6 " + hop_text(*s.up.next_hop6) + "\n";
    if (!s.up.no_ipv6.empty()) out += "no_ipv6 " + s.up.no_ipv6 + "\n";
    for (const auto& n : s.up.connected) {
        const std::string_view addr(reinterpret_cast<const char*>(n.addr.data()), n.addr.size());
        out += "net " + std::to_string(n.ifindex) + " " + std::to_string(n.family) + " " + text::hex(addr) + " " +
               std::to_string(n.prefixlen) + " " + (n.dev.empty() ? "-" : n.dev) + "\n";
    }
    const auto one_line = [](const std::string& v) { return !v.empty() && v.find('\n') == std::string::npos; };
    if (s.cgroup_id && one_line(s.cgroup.root) && one_line(s.cgroup.point))
        out += "cgroup_id " + std::to_string(s.cgroup_id) + "\ncgroup_root " + s.cgroup.root + "\ncgroup_point " +
               s.cgroup.point + "\n";
    return out;
}

std::optional<Stamp> parse(std::string_view text) {
    Stamp s;
    bool have_digest = false, have_writes = false, have_name = false, have_hop = false;
    while (!text.empty()) {
        const auto eol = text.find('\n');
        if (eol == std::string_view::npos) return std::nullopt;  // cut short
        const std::string_view line = text.substr(0, eol);
        text.remove_prefix(eol + 1);
        const auto space = line.find(' ');
        if (space == std::string_view::npos) return std::nullopt;
        const std::string_view key = line.substr(0, space);
        const std::string_view value = line.substr(space + 1);
        if (key == "request") s.request = value;
        else if (key == "digest") {
            if (!text::number(value, s.digest, 16)) return std::nullopt;
            have_digest = true;
        } else if (key == "sysctl_writes") {
            if (!text::number(value, s.sysctl_writes)) return std::nullopt;
            have_writes = true;
        } else if (key == "name") {
            s.up.name = value;
            have_name = true;
        } else if (key == "ifindex") {
            if (!text::number(value, s.up.ifindex)) return std::nullopt;
        } else if (key == "ipv4") s.up.ipv4.emplace_back(value);
        else if (key == "hop") {
            s.up.next_hop = hop_of(value);
            have_hop = true;
        } else if (key == "ipv6") s.up.ipv6.emplace_back(value);
        else if (key == "hop6") s.up.next_hop6 = hop_of(value);
        else if (key == "no_ipv6") s.up.no_ipv6 = value;
        else if (key == "cgroup_id") {
            if (!text::number(value, s.cgroup_id)) return std::nullopt;
        } else if (key == "cgroup_root") s.cgroup.root = value;
        else if (key == "cgroup_point") s.cgroup.point = value;
        else if (key == "net") {
            const auto n = network_of(value);
            if (!n) return std::nullopt;
            s.up.connected.push_back(*n);
        } else
            return std::nullopt;
    }
    if (!have_digest || !have_writes || !have_name || !have_hop || s.up.ifindex <= 0) return std::nullopt;
    if (s.cgroup.root.empty() || s.cgroup.point.empty()) s.cgroup_id = 0;  // then looked up
    return s;
}

Watch watch_of(const Stamp& stamp, const std::vector<std::uint32_t>& tables) {
    return Watch{stamp.up.name, tables};
}

std::optional<Stamp> read(const std::string& uplink) {
    UniqueFd fd(::open(path_of(uplink).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) return std::nullopt;
    struct stat st {};
    // Root's, or nothing (the directory is root's too; a second look costs nothing).
    if (::fstat(fd.get(), &st) < 0 || st.st_uid != 0 || (st.st_mode & 022)) return std::nullopt;
    std::string text(16384, '\0');
    const ssize_t n = ::read(fd.get(), text.data(), text.size());
    if (n <= 0 || static_cast<std::size_t>(n) == text.size()) return std::nullopt;
    text.resize(static_cast<std::size_t>(n));
    auto stamp = parse(text);
    if (stamp && stamp->up.name != uplink) return std::nullopt;
    return stamp;
}

void write(const Stamp& stamp) {
    make_parents(path_of(stamp.up.name));
    replace_file(path_of(stamp.up.name), render(stamp));
}

void forget(const std::string& uplink) {
    // Best effort: a stale stamp only ever leads to the full ensure.
    ::unlink(path_of(uplink).c_str());
}

}  // namespace via::fastpath
