#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <vector>

#include <sys/socket.h>

#include <linux/rtnetlink.h>

#include "via/nlmsg.hpp"

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
