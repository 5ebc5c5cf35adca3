// rtnetlink's answers read into plain values, and the kernel's words in a
// refusal, from messages built here as the kernel builds them.
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include <arpa/inet.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "kernel/nlmsg.hpp"
#include "kernel/rtnl.hpp"

using namespace via;

namespace {

std::array<std::uint8_t, 16> addr(int family, const char* text) {
    std::array<std::uint8_t, 16> a{};
    REQUIRE(inet_pton(family, text, a.data()) == 1);
    return a;
}

// An RTA_MULTIPATH payload: rtnexthop headers, each with its gateway.
std::vector<unsigned char> multipath(int family, const std::vector<std::pair<int, const char*>>& hops) {
    std::vector<unsigned char> out;
    const std::size_t size = family == AF_INET6 ? 16 : 4;
    for (const auto& [ifindex, gw] : hops) {
        rtnexthop nh{};
        nh.rtnh_ifindex = ifindex;
        nh.rtnh_len = static_cast<unsigned short>(RTNH_ALIGN(sizeof nh) + NLA_HDRLEN + NLA_ALIGN(size));
        const auto a = addr(family, gw);
        nlattr attr{static_cast<std::uint16_t>(NLA_HDRLEN + size), RTA_GATEWAY};
        const std::size_t at = out.size();
        out.resize(at + nh.rtnh_len);
        std::memcpy(out.data() + at, &nh, sizeof nh);
        std::memcpy(out.data() + at + RTNH_ALIGN(sizeof nh), &attr, sizeof attr);
        std::memcpy(out.data() + at + RTNH_ALIGN(sizeof nh) + NLA_HDRLEN, a.data(), size);
    }
    return out;
}

}  // namespace

TEST_CASE("a route's table, destination, metric and next hop are read from its attributes") {
    rtmsg rtm{};
    rtm.rtm_family = AF_INET;
    rtm.rtm_table = RT_TABLE_UNSPEC;
    rtm.rtm_dst_len = 24;
    rtm.rtm_protocol = 86;
    rtm.rtm_type = RTN_UNICAST;
    auto msg = nlmsg::request(RTM_NEWROUTE, 0, rtm);
    msg.put_u32(RTA_TABLE, 0x56490003);
    const auto dst = addr(AF_INET, "10.0.1.0");
    msg.put(RTA_DST, dst.data(), 4);
    msg.put_u32(RTA_PRIORITY, 100);
    msg.put_u32(RTA_OIF, 3);
    const auto gw = addr(AF_INET, "10.0.1.1");
    msg.put(RTA_GATEWAY, gw.data(), 4);
    const auto r = rtnl::route_of(msg.header());
    CHECK(r.table == 0x56490003);
    CHECK(r.destination() == "10.0.1.0/24");
    CHECK(r.priority == 100);
    CHECK(r.protocol == 86);
    REQUIRE(r.nexthops.size() == 1);
    CHECK(r.nexthops[0].ifindex == 3);
    CHECK(r.nexthops[0].gateway == "10.0.1.1");
}

TEST_CASE("a multipath route has each of its next hops, and a default route is 'default'") {
    rtmsg rtm{};
    rtm.rtm_family = AF_INET6;
    rtm.rtm_table = RT_TABLE_MAIN;
    rtm.rtm_type = RTN_UNICAST;
    auto msg = nlmsg::request(RTM_NEWROUTE, 0, rtm);
    const auto hops = multipath(AF_INET6, {{2, "fe80::1"}, {5, "2001:db8::1"}});
    msg.put(RTA_MULTIPATH, hops.data(), hops.size());
    const auto r = rtnl::route_of(msg.header());
    CHECK(r.table == RT_TABLE_MAIN);
    CHECK(r.destination() == "default");
    REQUIRE(r.nexthops.size() == 2);
    CHECK(r.nexthops[0].ifindex == 2);
    CHECK(r.nexthops[0].gateway == "fe80::1");
    CHECK(r.nexthops[1].ifindex == 5);
    CHECK(r.nexthops[1].gateway == "2001:db8::1");
}

TEST_CASE("an unreachable route has no next hop; a cut multipath attribute stops where it is cut") {
    rtmsg rtm{};
    rtm.rtm_family = AF_INET;
    rtm.rtm_type = RTN_UNREACHABLE;
    auto msg = nlmsg::request(RTM_NEWROUTE, 0, rtm);
    CHECK(rtnl::route_of(msg.header()).nexthops.empty());
    auto hops = multipath(AF_INET, {{2, "10.0.0.1"}, {3, "10.0.0.2"}});
    hops.resize(hops.size() - 4);  // the second hop's gateway cut short
    auto cut = nlmsg::request(RTM_NEWROUTE, 0, rtm);
    cut.put(RTA_MULTIPATH, hops.data(), hops.size());
    const auto r = rtnl::route_of(cut.header());
    REQUIRE(r.nexthops.size() == 1);
    CHECK(r.nexthops[0].gateway == "10.0.0.1");
}

TEST_CASE("prefixes are parsed for route requests, and anything else refused") {
    std::array<std::uint8_t, 16> a{};
    unsigned len = 99;
    CHECK(rtnl::parse_prefix("default", AF_INET6, a, len));
    CHECK(len == 0);
    CHECK(rtnl::parse_prefix("192.168.1.0/24", AF_INET, a, len));
    CHECK(len == 24);
    CHECK(rtnl::to_text(AF_INET, a.data()) == "192.168.1.0");
    CHECK(rtnl::parse_prefix("2001:db8::1", AF_INET6, a, len));
    CHECK(len == 128);
    CHECK_FALSE(rtnl::parse_prefix("192.168.1.0/33", AF_INET, a, len));
    CHECK_FALSE(rtnl::parse_prefix("192.168.1.0/", AF_INET, a, len));
    CHECK_FALSE(rtnl::parse_prefix("10.0.0.1", AF_INET6, a, len));
    CHECK_FALSE(rtnl::parse_prefix("10.0.0.1/2x", AF_INET, a, len));
}

TEST_CASE("the kernel's words in a refusal are read after the request it repeats") {
    for (const bool capped : {false, true}) {
        INFO("capped: " << capped);
        auto request = nlmsg::request(RTM_NEWROUTE, NLM_F_ACK, rtmsg{});
        request.put_u32(RTA_TABLE, 7);
        // NLMSG_ERROR: the error, the request (its header alone when
        // capped), then NLMSGERR_ATTR_MSG.
        std::vector<std::uint32_t> buf(256);
        auto* m = reinterpret_cast<nlmsghdr*>(buf.data());
        m->nlmsg_type = NLMSG_ERROR;
        m->nlmsg_flags = NLM_F_ACK_TLVS | (capped ? NLM_F_CAPPED : 0);
        auto* err = reinterpret_cast<nlmsgerr*>(reinterpret_cast<unsigned char*>(m) + NLMSG_HDRLEN);
        err->error = -EINVAL;
        err->msg = *request.header();
        std::size_t at = NLMSG_HDRLEN + sizeof(nlmsgerr);
        if (!capped) {
            std::memcpy(reinterpret_cast<unsigned char*>(m) + at,
                        reinterpret_cast<const unsigned char*>(request.header()) + NLMSG_HDRLEN,
                        request.header()->nlmsg_len - NLMSG_HDRLEN);
            at += NLMSG_ALIGN(request.header()->nlmsg_len) - NLMSG_HDRLEN;
        }
        const char text[] = "Nexthop has invalid gateway";
        nlattr attr{static_cast<std::uint16_t>(NLA_HDRLEN + sizeof text), NLMSGERR_ATTR_MSG};
        std::memcpy(reinterpret_cast<unsigned char*>(m) + at, &attr, sizeof attr);
        std::memcpy(reinterpret_cast<unsigned char*>(m) + at + NLA_HDRLEN, text, sizeof text);
        m->nlmsg_len = static_cast<std::uint32_t>(at + NLA_ALIGN(attr.nla_len));
        CHECK(nlmsg::ack_message(m) == text);
        m->nlmsg_flags &= ~NLM_F_ACK_TLVS;
        CHECK(nlmsg::ack_message(m).empty());
    }
}
