#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <vector>

#include <sys/socket.h>

#include <linux/rtnetlink.h>

#include "kernel/nlmsg.hpp"

using namespace via;

namespace {

struct Attr {
    std::uint16_t type;
    std::vector<unsigned char> data;
};

std::vector<Attr> attrs_of(const nlmsghdr* h, std::size_t fixed) {
    std::vector<Attr> out;
    nlmsg::each_attr(h, fixed, [&](const nlattr* a) {
        const auto* p = static_cast<const unsigned char*>(nlmsg::attr_data(a));
        out.push_back({nlmsg::attr_type(a), {p, p + nlmsg::attr_len(a)}});
    });
    return out;
}

}  // namespace

TEST_CASE("a request: header, fixed header, attributes padded to four bytes") {
    const rtmsg rtm{.rtm_family = AF_INET, .rtm_dst_len = 32};
    auto msg = nlmsg::request(RTM_GETROUTE, NLM_F_DUMP, rtm);
    const nlmsghdr* h = msg.header();
    CHECK(h->nlmsg_type == RTM_GETROUTE);
    CHECK(h->nlmsg_flags == (NLM_F_REQUEST | NLM_F_DUMP));
    CHECK(h->nlmsg_len == NLMSG_HDRLEN + sizeof rtm);
    CHECK(std::memcmp(nlmsg::payload<rtmsg>(h), &rtm, sizeof rtm) == 0);
    CHECK(attrs_of(h, sizeof rtm).empty());

    const unsigned char three[3] = {1, 2, 3};
    msg.put(RTA_DST, three, sizeof three);
    msg.put_u32(RTA_TABLE, 0x56490001);
    h = msg.header();  // (the buffer grew)
    // 12 bytes of rtmsg, then 4 + 3 bytes padded to 8, then 4 + 4.
    CHECK(h->nlmsg_len == NLMSG_HDRLEN + sizeof rtm + 8 + 8);
    const auto attrs = attrs_of(h, sizeof rtm);
    REQUIRE(attrs.size() == 2);
    CHECK(attrs[0].type == RTA_DST);
    CHECK(attrs[0].data == std::vector<unsigned char>{1, 2, 3});
    CHECK(attrs[1].type == RTA_TABLE);
    // The padding after the 3-byte attribute is zero, as the kernel wants.
    const auto* bytes = reinterpret_cast<const unsigned char*>(h);
    CHECK(bytes[NLMSG_HDRLEN + sizeof rtm + 7] == 0);
    nlmsg::each_attr(h, sizeof rtm, [](const nlattr* a) {
        if (nlmsg::attr_type(a) == RTA_TABLE) CHECK(nlmsg::attr_u32(a) == 0x56490001);
    });
}

TEST_CASE("attributes: flags masked off the type, short values read as zero, a cut stops the walk") {
    const rtgenmsg g{.rtgen_family = AF_UNSPEC};
    auto msg = nlmsg::request(RTM_GETRULE, 0, g);
    const std::uint8_t one = 7;
    msg.put(NLA_F_NESTED | 5, &one, sizeof one);
    msg.put_u32(6, 42);
    nlmsghdr* h = msg.header();
    std::vector<std::uint32_t> u32s;
    std::vector<std::uint8_t> u8s;
    nlmsg::each_attr(h, sizeof g, [&](const nlattr* a) {
        u32s.push_back(nlmsg::attr_u32(a));
        u8s.push_back(nlmsg::attr_u8(a));
    });
    CHECK(attrs_of(h, sizeof g).at(0).type == 5);
    CHECK(u32s == std::vector<std::uint32_t>{0, 42});  // one byte is no u32
    CHECK(u8s == std::vector<std::uint8_t>{7, 42});

    // The message says it ends inside the second attribute: only the
    // first is read.
    h->nlmsg_len -= 2;
    CHECK(attrs_of(h, sizeof g).size() == 1);
    // An attribute claiming less than its own header ends the walk too.
    auto* first = reinterpret_cast<nlattr*>(reinterpret_cast<unsigned char*>(h) + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof g));
    first->nla_len = 2;
    CHECK(attrs_of(h, sizeof g).empty());
}

// --- the receive loop, on a socket pair standing for the kernel ------------

#include <unistd.h>

#include <linux/fib_rules.h>

#include "launch/checks.hpp"
#include "launch/error.hpp"

namespace {

// A netlink message as the kernel writes it: header, fixed header, attributes.
struct Canned {
    std::vector<unsigned char> bytes;
    Canned(std::uint16_t type, std::uint16_t flags, std::uint32_t seq, const void* fixed, std::size_t fixed_len) {
        bytes.resize(NLMSG_HDRLEN + NLMSG_ALIGN(fixed_len));
        nlmsghdr h{static_cast<std::uint32_t>(NLMSG_HDRLEN + fixed_len), type, flags, seq, 0};
        std::memcpy(bytes.data(), &h, sizeof h);
        std::memcpy(bytes.data() + NLMSG_HDRLEN, fixed, fixed_len);
        length(NLMSG_HDRLEN + fixed_len);
    }
    void u32(std::uint16_t type, std::uint32_t value) {
        const std::size_t at = NLMSG_ALIGN(bytes.size());
        bytes.resize(at + NLA_HDRLEN + 4);
        const nlattr a{NLA_HDRLEN + 4, type};
        std::memcpy(bytes.data() + at, &a, sizeof a);
        std::memcpy(bytes.data() + at + NLA_HDRLEN, &value, 4);
        length(bytes.size());
    }
    void str(std::uint16_t type, const std::string& value) {
        const std::size_t at = NLMSG_ALIGN(bytes.size());
        bytes.resize(at + NLA_HDRLEN + value.size() + 1);
        const nlattr a{static_cast<std::uint16_t>(NLA_HDRLEN + value.size() + 1), type};
        std::memcpy(bytes.data() + at, &a, sizeof a);
        std::memcpy(bytes.data() + at + NLA_HDRLEN, value.c_str(), value.size() + 1);
        length(bytes.size());
    }
    void length(std::size_t n) {
        const auto len = static_cast<std::uint32_t>(n);
        std::memcpy(bytes.data(), &len, sizeof len);
    }
};

Canned rule(std::uint32_t seq, std::uint32_t pref, std::uint16_t flags = NLM_F_MULTI) {
    const fib_rule_hdr frh{.family = AF_INET, .table = RT_TABLE_MAIN, .action = FR_ACT_TO_TBL};
    Canned c(RTM_NEWRULE, flags, seq, &frh, sizeof frh);
    c.u32(FRA_PRIORITY, pref);
    return c;
}

Canned link(std::uint32_t seq, int ifindex, const std::string& name, std::uint16_t flags = NLM_F_MULTI) {
    const ifinfomsg ifi{.ifi_family = AF_UNSPEC, .ifi_index = ifindex};
    Canned c(RTM_NEWLINK, flags, seq, &ifi, sizeof ifi);
    c.str(IFLA_IFNAME, name);
    return c;
}

Canned done(std::uint32_t seq, int result) { return Canned(NLMSG_DONE, NLM_F_MULTI, seq, &result, sizeof result); }

// The kernel's side of a socket pair: each batch is one datagram, written
// before the request is asked.
struct Kernel {
    int fds[2] = {-1, -1};
    nlmsg::Socket sock;
    explicit Kernel(const std::vector<std::vector<Canned>>& batches) {
        REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) == 0);
        for (const auto& batch : batches) {
            std::vector<unsigned char> out;
            for (const auto& m : batch) {
                out.resize(NLMSG_ALIGN(out.size()));
                out.insert(out.end(), m.bytes.begin(), m.bytes.end());
            }
            REQUIRE(::send(fds[1], out.data(), out.size(), 0) == static_cast<ssize_t>(out.size()));
        }
        sock = nlmsg::Socket(UniqueFd(fds[0]));
    }
    ~Kernel() { ::close(fds[1]); }
    // Writes nothing more: a read past the batches ends the stream (the
    // request can still be sent).
    void hang_up() { ::shutdown(fds[1], SHUT_WR); }
};

// What reading the rules says; with `hang_up`, the kernel's side closes
// after its batches, so a read past them ends the stream.
std::string failure_of(Kernel& k, bool hang_up = true) {
    if (hang_up) k.hang_up();
    try {
        rtnl::rules_from(k.sock);
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("a dump read whole: every message of the request, none of another") {
    Kernel k({{rule(1, 100), rule(1, 200)}, {rule(7, 300), rule(1, 32766), done(1, 0)}});
    const auto rules = rtnl::rules_from(k.sock);
    REQUIRE(rules.size() == 3);
    CHECK(rules[0].pref == 100);
    CHECK(rules[1].pref == 200);
    CHECK(rules[2].pref == 32766);
}

TEST_CASE("a dump that did not arrive whole is an error, never a shorter list") {
    SECTION("NLMSG_DONE carries the dump's error") {
        Kernel k({{rule(1, 100), done(1, -ENOBUFS)}});
        CHECK(failure_of(k) == "reading the ip rules: No buffer space available");
    }
    SECTION("the stream ends before NLMSG_DONE") {
        Kernel k({{rule(1, 100), rule(1, 200)}});
        CHECK(failure_of(k) == "reading the ip rules: Protocol error");
    }
    SECTION("an answer shorter than its fixed header") {
        const std::uint32_t two = 2;
        Kernel k({{rule(1, 100), Canned(RTM_NEWRULE, NLM_F_MULTI, 1, &two, 2), done(1, 0)}});
        CHECK(failure_of(k) == "reading the ip rules: Protocol error");
    }
    SECTION("a message longer than its batch") {
        Canned cut = rule(1, 100);
        cut.length(cut.bytes.size() + 64);
        Kernel k({{cut}});
        CHECK(failure_of(k) == "reading the ip rules: Protocol error");
    }
    SECTION("an inconsistent dump, asked again while it stays so") {
        std::vector<std::vector<Canned>> batches;
        for (std::uint32_t seq = 1; seq <= 5; ++seq) batches.push_back({rule(seq, 100, NLM_F_MULTI | NLM_F_DUMP_INTR)});
        Kernel k(batches);
        CHECK(failure_of(k, false) == "reading the ip rules: Interrupted system call");
    }
}

TEST_CASE("an inconsistent dump is read again from the start: what its first answer brought is not kept") {
    // The first answer brings lo, then says the list changed under it.
    Kernel k({{link(1, 1, "lo"), link(1, 2, "eth0", NLM_F_MULTI | NLM_F_DUMP_INTR)},
              {link(2, 1, "lo"), link(2, 2, "eth0"), done(2, 0)}});
    const auto links = rtnl::links(k.sock);
    REQUIRE(links.size() == 2);
    CHECK(links[0].name == "lo");
    CHECK(links[1].name == "eth0");
}

TEST_CASE("an inconsistent dump is asked again, and its second answer counts") {
    Kernel k({{rule(1, 100, NLM_F_MULTI | NLM_F_DUMP_INTR)}, {rule(2, 100), rule(2, 200), done(2, 0)}});
    const auto rules = rtnl::rules_from(k.sock);
    REQUIRE(rules.size() == 2);
    CHECK(rules[1].pref == 200);
}
