#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <map>
#include <netinet/in.h>
#include <sstream>

#include "admin/inventory.hpp"
#include "admin/lookup.hpp"
#include "admin/rules.hpp"
#include "launch/config.hpp"
#include "launch/rule.hpp"
#include "owned.hpp"

using namespace via;

namespace {

config::Config parsed(const std::string& text) {
    config::Config c;
    const auto e = config::parse(text, "via.conf", c);
    INFO((e ? e->text() : std::string()));
    REQUIRE_FALSE(e);
    return c;
}

std::string parse_error(const std::string& text) {
    config::Config c;
    const auto e = config::parse(text, "via.conf", c);
    REQUIRE(e);
    return e->text();
}

// alice 1000, bob 1001; group family: both.
const rules::Accounts accounts{
    [](const std::string& name) -> std::optional<uid_t> {
        if (name == "alice") return 1000;
        if (name == "bob") return 1001;
        if (name == "root") return 0;
        return std::nullopt;
    },
    [](const std::string& name) -> std::optional<std::vector<uid_t>> {
        if (name == "family") return std::vector<uid_t>{1000, 1001};
        return std::nullopt;
    },
};

rules::Plan compiled(const std::string& text) {
    auto r = rules::compile(parsed(text), accounts);
    if (const auto* e = std::get_if<config::ParseError>(&r)) FAIL(e->text());
    return std::get<rules::Plan>(r);
}

std::string compile_error(const std::string& text) {
    auto r = rules::compile(parsed(text), accounts);
    REQUIRE(std::holds_alternative<config::ParseError>(r));
    return std::get<config::ParseError>(r).text();
}

rule::Prefix prefix(const std::string& text) {
    std::string error;
    const auto p = rule::parse_prefix(text, error);
    INFO(error);
    REQUIRE(p);
    return *p;
}

std::vector<std::string> expressions(const nft::Rule& rule) {
    std::vector<char> buf(4096);
    nftnl_rule_snprintf(buf.data(), buf.size(), rule.get(), NFTNL_OUTPUT_DEFAULT, 0);
    std::vector<std::string> out;
    std::istringstream in(buf.data());
    for (std::string line; std::getline(in, line);)
        if (const auto start = line.find('['); start != std::string::npos) out.push_back(line.substr(start));
    return out;
}

const firewall::SetSpec& set_named(const firewall::Plan& p, std::string_view name) {
    for (const auto& s : p.sets)
        if (s.name == name) return s;
    FAIL("no set " << name);
    throw;
}

}  // namespace

TEST_CASE("ports: a protocol and a port or a range; a bare port is both protocols") {
    CHECK(rule::parse_ports("tcp/1935").ports == std::vector<rule::Ports>{{IPPROTO_TCP, 1935, 1935}});
    CHECK(rule::parse_ports("udp/8000-8100").ports == std::vector<rule::Ports>{{IPPROTO_UDP, 8000, 8100}});
    CHECK(rule::parse_ports("53").ports ==
          std::vector<rule::Ports>{{IPPROTO_TCP, 53, 53}, {IPPROTO_UDP, 53, 53}});
    for (const char* bad : {"tcp/0", "tcp/65536", "tcp/10-5", "tcp/", "icmp/1", "tcp/80x", "-", "tcp/1-"}) {
        INFO(bad);
        CHECK_FALSE(rule::parse_ports(bad).error.empty());
    }
    CHECK(rule::parse_ports("sctp/9").error == "'sctp/9' in ports: the protocol is tcp or udp");
}

TEST_CASE("networks: IPv4 and IPv6, a lone address is a host, host bits are refused") {
    CHECK(prefix("203.0.113.0/24").text() == "203.0.113.0/24");
    CHECK(prefix("192.0.2.7").text() == "192.0.2.7/32");
    CHECK(prefix("2001:db8::/32").text() == "2001:db8::/32");
    CHECK(prefix("0.0.0.0/0").length == 0);
    std::string error;
    CHECK_FALSE(rule::parse_prefix("203.0.113.7/24", error));
    CHECK(error == "'203.0.113.7/24' has host bits set: the network is 203.0.113.0/24");
    CHECK_FALSE(rule::parse_prefix("10.0.0.0/33", error));
    CHECK(error == "'10.0.0.0/33': the prefix length is 0 to 32");
    CHECK_FALSE(rule::parse_prefix("example.org", error));
    CHECK_FALSE(rule::parse_prefix("10.0.0.0/", error));
    CHECK(rule::overlap(prefix("10.0.0.0/8"), prefix("10.1.0.0/16")));
    CHECK(rule::overlap(prefix("10.1.0.0/16"), prefix("10.0.0.0/8")));
    CHECK_FALSE(rule::overlap(prefix("10.0.0.0/16"), prefix("10.1.0.0/16")));
    CHECK_FALSE(rule::overlap(prefix("10.0.0.0/8"), prefix("2001:db8::/32")));
}

TEST_CASE("[rule NAME] reads its uplink and selectors") {
    const auto c = parsed(R"([uplink vpn]
interface = wg0

[rule rtmp]
uplink = vpn
ports = tcp/1935 udp/1935 tcp/8000-8100
to = 203.0.113.0/24 2001:db8::/32
users = alice @family
dns = all

[rule lan]
uplink = wg0
from = br-lan 192.168.1.0/24
)");
    REQUIRE(c.rules.size() == 2);
    const auto& r = c.rules[0];
    CHECK(r.name == "rtmp");
    CHECK(r.uplink == "vpn");
    CHECK(r.line == 4);
    CHECK(r.ports.size() == 3);
    CHECK(r.to.size() == 2);
    CHECK(r.users == std::vector<std::string>{"alice", "@family"});
    CHECK(r.dns_all);
    CHECK(c.rules[1].from_interfaces == std::vector<std::string>{"br-lan"});
    CHECK(c.rules[1].from.size() == 1);
    CHECK(rules::describe(r) == "ports tcp/1935 udp/1935 tcp/8000-8100, to 203.0.113.0/24 2001:db8::/32, "
                                "users alice @family, dns all");
}

TEST_CASE("a bad rule is refused at its line") {
    CHECK(parse_error("[rule a]\nports = 80\n") == "via.conf:1: rule 'a' has no uplink: add uplink = NAME");
    CHECK(parse_error("[rule a]\nuplink = wg0\n") ==
          "via.conf:1: rule 'a' chooses no traffic: add ports, to, domains, users, dns = all or from");
    CHECK(parse_error("[rule a]\nuplink = wg0\nusers = alice\nfrom = br-lan\n") ==
          "via.conf:1: rule 'a': users and domains are this machine's, from is the LAN's: one rule each");
    CHECK(parse_error("[rule a]\nuplink = wg0\nport = 80\n") ==
          "via.conf:3: unknown key 'port' in [rule a]; keys there are uplink, ports, to, domains, users, dns and from");
    CHECK(parse_error("[rule a]\nuplink = wg0\ndns = 9.9.9.9\n") ==
          "via.conf:3: dns in a rule is 'all' (every program's DNS), not '9.9.9.9'");
    CHECK(parse_error("[rule a]\nuplink = wg0\nto = 10.0.0.1/8\n") ==
          "via.conf:3: '10.0.0.1/8' has host bits set: the network is 10.0.0.0/8 (in to)");
    CHECK(parse_error("[rule a]\nuplink = wg0\ndomains = exa..mple.org\n") ==
          "via.conf:3: 'exa..mple.org' in domains is not a domain name");
    CHECK(parse_error("[rule a]\nuplink = wg0\ndomains = example.org\nfrom = br-lan\n") ==
          "via.conf:1: rule 'a': users and domains are this machine's, from is the LAN's: one rule each");
    CHECK(parse_error("[rule a]\nuplink = wg0\nports = 80\n[rule a]\n") ==
          "via.conf:4: rule 'a' is already defined at via.conf:1");
    CHECK(parse_error("[rule 1a]\n").find("not a valid rule name") != std::string::npos);
    CHECK(parse_error("[rule a]\nuplink = wg0\nusers = al!ce\n") == "via.conf:3: 'al!ce' in users is not a user or group name");
}

TEST_CASE("compile: ports, dns = all, networks and users, each chosen by one rule") {
    const auto p = compiled(R"([uplink vpn]
interface = wg0
dns = 10.8.0.53
[rule rtmp]
uplink = vpn
ports = tcp/1935 udp/1935 tcp/8000-8002
[rule resolver]
uplink = usb0
dns = all
[rule site]
uplink = vpn
to = 203.0.113.0/24
[rule people]
uplink = usb0
users = @family root
)");
    REQUIRE(p.rules.size() == 4);
    CHECK(p.rules[0].interface == "wg0");
    CHECK(p.rules[0].dns == std::vector<std::string>{"10.8.0.53"});
    CHECK(p.rules[1].interface == "usb0");
    CHECK(p.rules[0].id == rules::id_of("rtmp"));
    CHECK(p.rules[0].id < (1u << 24));
    std::vector<std::pair<int, int>> ports;
    for (const auto& e : p.ports) ports.emplace_back(e.protocol * 100000 + e.port, static_cast<int>(e.rule));
    CHECK(ports == std::vector<std::pair<int, int>>{{IPPROTO_TCP * 100000 + 53, 1},
                                                    {IPPROTO_TCP * 100000 + 1935, 0},
                                                    {IPPROTO_TCP * 100000 + 8000, 0},
                                                    {IPPROTO_TCP * 100000 + 8001, 0},
                                                    {IPPROTO_TCP * 100000 + 8002, 0},
                                                    {IPPROTO_UDP * 100000 + 53, 1},
                                                    {IPPROTO_UDP * 100000 + 1935, 0}});
    REQUIRE(p.to.size() == 1);
    CHECK(p.to[0].rule == 2);
    REQUIRE(p.users.size() == 3);
    CHECK(p.users[0].uid == 1000);
    CHECK(p.users[1].uid == 1001);
    CHECK(p.users[2].uid == 0);
    CHECK(p.any_local());
}

TEST_CASE("compile: what two rules would both choose is refused, at the second") {
    CHECK(compile_error("[rule a]\nuplink = wg0\nports = tcp/80\n[rule b]\nuplink = usb0\nports = 70-90\n") ==
          "via.conf:4: rule 'b': tcp/80 is already chosen by rule 'a' (via.conf:1): one port, one rule");
    CHECK(compile_error("[rule a]\nuplink = wg0\ndns = all\n[rule b]\nuplink = usb0\nports = udp/53\n") ==
          "via.conf:4: rule 'b': udp/53 is already chosen by rule 'a' (via.conf:1): one port, one rule");
    CHECK(compile_error("[rule a]\nuplink = wg0\nto = 10.0.0.0/8\n[rule b]\nuplink = usb0\nto = 10.1.0.0/16\n") ==
          "via.conf:4: rule 'b': 10.1.0.0/16 overlaps 10.0.0.0/8 of rule 'a' (via.conf:1): one network, one rule");
    CHECK(compile_error("[rule a]\nuplink = wg0\nto = 10.0.0.0/8 10.9.0.0/16\n") ==
          "via.conf:1: rule 'a': 10.9.0.0/16 overlaps 10.0.0.0/8 of this rule: one network, one rule");
    CHECK(compile_error("[rule a]\nuplink = wg0\nusers = alice\n[rule b]\nuplink = usb0\nusers = @family\n") ==
          "via.conf:4: rule 'b': uid 1000 (@family) is already chosen by rule 'a' (via.conf:1): one user, one rule");
    CHECK(compile_error("[rule a]\nuplink = wg0\nusers = carol\n") == "via.conf:1: rule 'a': no user 'carol'");
    CHECK(compile_error("[rule a]\nuplink = wg0\nusers = @nobody\n") == "via.conf:1: rule 'a': no group 'nobody'");
    CHECK(compile_error("[rule a]\nuplink = wg0\nfrom = wg0\n") == "via.conf:1: rule 'a': from names its own uplink, wg0");
    CHECK(compile_error("[rule a]\nuplink = wg0\nports = tcp/1-5000\n") ==
          "via.conf:1: rule 'a': the rules choose more than 4096 ports in all; name fewer, or the networks with to");
    // The same port twice in one rule, or a user by name and by group: once.
    const auto p = compiled("[rule a]\nuplink = wg0\nports = tcp/80 80\nusers = alice @family\n");
    CHECK(p.ports.size() == 2);
    CHECK(p.users.size() == 2);
}

TEST_CASE("the maps: a port's key is protocol and port in two 4-byte slots; networks are ranges") {
    const auto p = compiled("[rule a]\nuplink = wg0\nports = tcp/1935\nto = 203.0.113.0/24 2001:db8::/32 "
                            "255.255.255.255\n[rule b]\nuplink = usb0\nports = udp/53\n");
    const std::map<std::string, int> ifindex{{"wg0", 7}};  // usb0 missing
    const auto fw = rules::plan_firewall(p, ifindex);
    const std::uint32_t mark = 0x56490007;
    const auto& ports = set_named(fw, owned::nft_map_rule_ports);
    REQUIRE(ports.elements.size() == 1);  // usb0's port gets no mark: nothing routes it
    CHECK(ports.elements[0].key == std::vector<std::uint8_t>{IPPROTO_TCP, 0, 0, 0, 0x07, 0x8f, 0, 0});
    CHECK(ports.elements[0].mark == mark);
    CHECK(ports.key_len == 8);
    CHECK(ports.concat.empty());
    // Networks: address . protocol, from the network's first address and
    // protocol 0 to its last and 255.
    const auto& to4 = set_named(fw, owned::nft_map_rule_to4);
    CHECK(to4.concat == std::vector<std::uint8_t>{4, 1});
    CHECK(to4.key_len == 8);
    REQUIRE(to4.elements.size() == 2);
    CHECK(to4.elements[0].key == std::vector<std::uint8_t>{203, 0, 113, 0, 0, 0, 0, 0});
    CHECK(to4.elements[0].key_end == std::vector<std::uint8_t>{203, 0, 113, 255, 255, 0, 0, 0});
    CHECK(to4.elements[0].mark == mark);
    CHECK(to4.elements[1].key == std::vector<std::uint8_t>{255, 255, 255, 255, 0, 0, 0, 0});
    CHECK(to4.elements[1].key_end == std::vector<std::uint8_t>{255, 255, 255, 255, 255, 0, 0, 0});
    const auto& to6 = set_named(fw, owned::nft_map_rule_to6);
    REQUIRE(to6.elements.size() == 1);
    CHECK(to6.key_len == 20);
    CHECK(to6.elements[0].key_end[3] == 0xb8);
    CHECK(to6.elements[0].key_end[4] == 0xff);
    REQUIRE(fw.rules.size() == 3);
    for (const auto& r : fw.rules) CHECK(r.chain == "output");
    // The maps' contents are in the comments: a change replaces the rules.
    const auto other = rules::plan_firewall(p, {{"wg0", 7}, {"usb0", 8}});
    CHECK(other.rules[0].comment != fw.rules[0].comment);
    CHECK(rules::plan_firewall(p, ifindex).rules[0].comment == fw.rules[0].comment);
    CHECK(expressions(firewall::build(fw.rules[1])) == std::vector<std::string>{
                                                          "[ meta load nfproto => reg 1 ]",
                                                          "[ cmp eq reg 1 0x00000002 ]",
                                                          "[ meta load mark => reg 1 ]",
                                                          "[ cmp eq reg 1 0x00000000 ]",
                                                          "[ ct load direction => reg 1 ]",
                                                          "[ cmp eq reg 1 0x00000000 ]",
                                                          "[ payload load 4b @ network header + 16 => reg 1 ]",
                                                          "[ meta load l4proto => reg 9 ]",
                                                          "[ lookup reg 1 set rule_to4 dreg 1 ]",
                                                          "[ meta set mark with reg 1 ]",
                                                          "[ meta load mark => reg 1 ]",
                                                          "[ ct set mark with reg 1 ]",
                                                      });
}

TEST_CASE("the port rule is the bytecode nft would write") {
    const auto p = compiled("[rule a]\nuplink = wg0\nports = tcp/1935\n");
    const auto fw = rules::plan_firewall(p, {{"wg0", 7}});
    CHECK(expressions(firewall::build(fw.rules[0])) == std::vector<std::string>{
                                                          "[ meta load mark => reg 1 ]",
                                                          "[ cmp eq reg 1 0x00000000 ]",
                                                          "[ ct load direction => reg 1 ]",
                                                          "[ cmp eq reg 1 0x00000000 ]",
                                                          "[ meta load l4proto => reg 1 ]",
                                                          "[ payload load 2b @ transport header + 2 => reg 9 ]",
                                                          "[ lookup reg 1 set rule_ports dreg 1 ]",
                                                          "[ meta set mark with reg 1 ]",
                                                          "[ meta load mark => reg 1 ]",
                                                          "[ ct set mark with reg 1 ]",
                                                      });
}

TEST_CASE("a LAN rule: a mark in prerouting, a kill switch in forward, an ip rule for when nftables is wiped") {
    const auto p = compiled("[rule lan]\nuplink = wg0\nfrom = br-lan 192.168.1.0/24\n");
    CHECK_FALSE(p.any_local());
    REQUIRE(p.lan.size() == 1);
    const auto fw = rules::plan_firewall(p, {{"wg0", 7}});
    CHECK(fw.sets.empty());
    REQUIRE(fw.rules.size() == 2);
    CHECK(fw.rules[0].chain == "prerouting");
    CHECK(fw.rules[0].comment ==
          "via rules: lan lan: br-lan from 192.168.1.0/24 takes 0x56490007 to wg0");
    CHECK(fw.rules[1].chain == "forward");
    CHECK(expressions(firewall::build(fw.rules[1])) == std::vector<std::string>{
                                                          "[ meta load iifname => reg 1 ]",
                                                          "[ cmp eq reg 1 0x6c2d7262 0x00006e61 0x00000000 0x00000000 ]",
                                                          "[ meta load nfproto => reg 1 ]",
                                                          "[ cmp eq reg 1 0x00000002 ]",
                                                          "[ payload load 4b @ network header + 12 => reg 1 ]",
                                                          "[ bitwise reg 1 = ( reg 1 & 0x00ffffff ) ^ 0x00000000 ]",
                                                          "[ cmp eq reg 1 0x0001a8c0 ]",
                                                          "[ meta load oifname => reg 1 ]",
                                                          "[ cmp neq reg 1 0x00306777 0x00000000 0x00000000 0x00000000 ]",
                                                          "[ meta load oifname => reg 1 ]",
                                                          "[ cmp neq reg 1 0x6c2d7262 0x00006e61 0x00000000 0x00000000 ]",
                                                          "[ counter pkts 0 bytes 0 ]",
                                                          "[ immediate reg 0 drop ]",
                                                      });
    // The uplink missing: no mark, the kill switch stays.
    const auto missing = rules::plan_firewall(p, {});
    REQUIRE(missing.rules.size() == 1);
    CHECK(missing.rules[0].chain == "forward");
    const auto routes = rules::plan_lan_routes(p, {{"wg0", 7}}, {{"wg0", 31900}});
    REQUIRE(routes.size() == 1);
    CHECK(routes[0] == rules::LanRoute{AF_INET, 31898, "br-lan", "192.168.1.0/24", "", 0, 0, 0, 0x56490007});
    // An interface alone: both families.
    const auto any = compiled("[rule lan]\nuplink = wg0\nfrom = br-lan\n");
    CHECK(rules::plan_lan_routes(any, {{"wg0", 7}}, {{"wg0", 5000}}).size() == 2);
    CHECK(rules::plan_lan_routes(any, {}, {}).empty());
}

TEST_CASE("a LAN rule with ports: the seed's RTMP of the LAN's clients, and only that") {
    const auto p = compiled("[rule rtmp]\nuplink = wg0\nfrom = br-lan\nports = tcp/1935 udp/8000-8100\n");
    CHECK(p.ports.empty());  // not the machine's own traffic
    REQUIRE(p.lan.size() == 2);
    const auto fw = rules::plan_firewall(p, {{"wg0", 7}});
    REQUIRE(fw.rules.size() == 4);
    CHECK(fw.rules[2].comment == "via rules: lan rtmp: br-lan to udp/8000-8100 takes 0x56490007 to wg0");
    CHECK(expressions(firewall::build(fw.rules[2])) == std::vector<std::string>{
                                                          "[ meta load iifname => reg 1 ]",
                                                          "[ cmp eq reg 1 0x6c2d7262 0x00006e61 0x00000000 0x00000000 ]",
                                                          "[ meta load l4proto => reg 1 ]",
                                                          "[ cmp eq reg 1 0x00000011 ]",
                                                          "[ payload load 2b @ transport header + 2 => reg 1 ]",
                                                          "[ cmp gte reg 1 0x0000401f ]",
                                                          "[ cmp lte reg 1 0x0000a41f ]",
                                                          "[ ct load direction => reg 1 ]",
                                                          "[ cmp eq reg 1 0x00000000 ]",
                                                          "[ immediate reg 1 0x56490007 ]",
                                                          "[ meta set mark with reg 1 ]",
                                                          "[ meta load mark => reg 1 ]",
                                                          "[ ct set mark with reg 1 ]",
                                                          "[ counter pkts 0 bytes 0 ]",
                                                      });
    const auto routes = rules::plan_lan_routes(p, {{"wg0", 7}}, {{"wg0", 31900}});
    REQUIRE(routes.size() == 4);  // two protocols' ranges, two families
    CHECK(routes[0] == rules::LanRoute{AF_INET, 31898, "br-lan", "", "", IPPROTO_TCP, 1935, 1935, 0x56490007});
    // A network of the other family than the source's chooses nothing.
    const auto mixed = compiled("[rule m]\nuplink = wg0\nfrom = 192.168.1.0/24\nto = 2001:db8::/32 203.0.113.0/24\n");
    REQUIRE(mixed.lan.size() == 1);
    CHECK(mixed.lan[0].to->text() == "203.0.113.0/24");
}

TEST_CASE("gc keeps the uplinks rules send traffic by, and the table") {
    inventory::Uplink wg0;
    wg0.name = "wg0";
    wg0.ifindex = 7;
    wg0.present = true;
    inventory::Uplink usb0 = wg0;
    usb0.name = "usb0";
    usb0.ifindex = 8;
    const auto r = inventory::plan_removal({wg0, usb0}, std::nullopt, false, {{"wg0", "rtmp"}});
    REQUIRE(r.remove.size() == 1);
    CHECK(r.remove[0].name == "usb0");
    CHECK(r.kept == std::vector<std::string>{"wg0: rule rtmp of /etc/via sends traffic by it"});
    CHECK_FALSE(r.table);
    CHECK(inventory::plan_removal({wg0, usb0}, std::nullopt, false).table);
}

TEST_CASE("domains: the query asked, the answer read, and addresses another rule holds stay with it") {
    const auto q = lookup::query("a.example", lookup::type_a, 0x1234);
    CHECK(q == std::vector<std::uint8_t>{0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 1,   'a', 7, 'e', 'x',
                                         'a',  'm',  'p',  'l',  'e', 0, 0, 1, 0, 1});
    // The answer: the question, a CNAME, then two A records (TTL 300 and 60).
    std::vector<std::uint8_t> a = q;
    a[2] = 0x81;  // an answer, recursion available
    a[3] = 0x80;
    a[7] = 3;     // three records
    a.insert(a.end(), {0xc0, 0x0c, 0, 5, 0, 1, 0, 0, 0, 9, 0, 2, 0xc0, 0x0c});             // CNAME (to itself)
    a.insert(a.end(), {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 1, 0x2c, 0, 4, 203, 0, 113, 7});      // A, 300 s
    a.insert(a.end(), {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 203, 0, 113, 8});        // A, 60 s
    const auto got = lookup::parse(a.data(), a.size(), 0x1234, lookup::type_a);
    REQUIRE(got);
    REQUIRE(got->addresses.size() == 2);
    CHECK(got->addresses[0].text() == "203.0.113.7/32");
    CHECK(got->addresses[1].text() == "203.0.113.8/32");
    CHECK(got->ttl == 60);
    CHECK_FALSE(lookup::parse(a.data(), a.size(), 0x4321, lookup::type_a));      // another query's
    CHECK_FALSE(lookup::parse(a.data(), a.size() - 3, 0x1234, lookup::type_a));  // cut short
    a[3] = 0x83;                                                                  // NXDOMAIN
    CHECK_FALSE(lookup::parse(a.data(), a.size(), 0x1234, lookup::type_a));
    CHECK(rule::valid_domain("www.example.org"));
    CHECK_FALSE(rule::valid_domain("a..b"));
    CHECK_FALSE(rule::valid_domain(std::string(64, 'a') + ".org"));

    auto p = compiled("[rule a]\nuplink = wg0\nto = 203.0.113.0/24\n[rule b]\nuplink = usb0\ndomains = b.example\n");
    REQUIRE(p.rules[1].domains == std::vector<std::string>{"b.example"});
    const auto held = rules::add_addresses(p, 1, {prefix("203.0.113.9"), prefix("198.51.100.1")});
    REQUIRE(held.size() == 1);
    CHECK(held[0].text() == "203.0.113.9/32");
    REQUIRE(p.to.size() == 2);
    CHECK(p.to[1].rule == 1);
    CHECK(rules::add_addresses(p, 1, {prefix("198.51.100.1")}).empty());  // again: nothing new, nothing held
    CHECK(p.to.size() == 2);
}
