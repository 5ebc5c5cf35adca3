#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>

#include "admin/firewall.hpp"

using namespace via;

namespace {

const ids::UplinkIds wlan1_ids = *ids::for_ifindex(3);

firewall::Plan wlan1_plan() { return firewall::plan("wlan1", wlan1_ids); }

// libnftnl's rendering of a rule's expressions, one per line, as
// `nft --debug=netlink` prints them.
std::vector<std::string> expressions(const nft::Rule& rule) {
    std::vector<char> buf(4096);
    nftnl_rule_snprintf(buf.data(), buf.size(), rule.get(), NFTNL_OUTPUT_DEFAULT, 0);
    std::vector<std::string> out;
    std::istringstream in(buf.data());
    for (std::string line; std::getline(in, line);) {
        auto start = line.find('[');
        if (start != std::string::npos) out.push_back(line.substr(start));
    }
    return out;
}

const firewall::RuleSpec& in_chain(const firewall::Plan& p, const std::string& chain) {
    auto it = std::find_if(p.rules.begin(), p.rules.end(), [&](const auto& r) { return r.chain == chain; });
    REQUIRE(it != p.rules.end());
    return *it;
}

const firewall::RuleSpec& with_comment(const firewall::Plan& p, const std::string& prefix) {
    auto it = std::find_if(p.rules.begin(), p.rules.end(), [&](const auto& r) { return r.comment.rfind(prefix, 0) == 0; });
    REQUIRE(it != p.rules.end());
    return *it;
}

}  // namespace

TEST_CASE("the plan: keep the socket's mark, restore from conntrack, masquerade") {
    auto p = wlan1_plan();
    REQUIRE(p.rules.size() == 6);
    // Replies first: they must not get the socket's mark back.
    CHECK(in_chain(p, "output").comment == "via marks: replies to connections that came in go back by the interface they came by");
    CHECK(with_comment(p, "via marks: each packet").chain == "output");
    CHECK(in_chain(p, "input").comment == "via inbound: a connection to a socket of via's remembers the interface it came by");
    CHECK(in_chain(p, "prerouting").owner == "conntrack");
    CHECK(in_chain(p, "postrouting").owner == "nat");
    CHECK(in_chain(p, "uplinks").comment == "via uplink wlan1: masquerade marks 0x56490003 and 0x56480003 leaving wlan1");
    for (const auto& r : p.rules) CHECK(firewall::owner_of(r.comment) == r.owner);
}

TEST_CASE("the output rule is the same for every uplink") {
    auto other = firewall::plan("usb0", *ids::for_ifindex(4));
    CHECK(in_chain(other, "output").comment == in_chain(wlan1_plan(), "output").comment);
}

// The expected lines are what nft 1.0.6 itself generates for the nft
// equivalent in firewall.hpp (captured with `nft --debug=netlink`).
TEST_CASE("the mark rule is the bytecode nft would write") {
    auto rule = firewall::build(with_comment(wlan1_plan(), "via marks: each packet"));
    CHECK(expressions(rule) == std::vector<std::string>{
                                   "[ socket load mark => reg 1 ]",
                                   "[ bitwise reg 1 = ( reg 1 & 0xfffe0000 ) ^ 0x00000000 ]",
                                   "[ cmp eq reg 1 0x56480000 ]",
                                   "[ socket load mark => reg 1 ]",
                                   "[ meta set mark with reg 1 ]",
                                   "[ meta load mark => reg 1 ]",
                                   "[ ct set mark with reg 1 ]",
                                   "[ counter pkts 0 bytes 0 ]",
                               });
    CHECK(nft::comment_of(rule.get()) == "via marks: each packet of a socket via marked keeps its mark, saved for replies");
}

TEST_CASE("the reply and inbound rules are the bytecode nft would write") {
    auto p = wlan1_plan();
    CHECK(expressions(firewall::build(in_chain(p, "output"))) == std::vector<std::string>{
                                                                     "[ ct load direction => reg 1 ]",
                                                                     "[ cmp eq reg 1 0x00000001 ]",
                                                                     "[ ct load mark => reg 1 ]",
                                                                     "[ bitwise reg 1 = ( reg 1 & 0xfffe0000 ) ^ 0x00000000 ]",
                                                                     "[ cmp eq reg 1 0x56480000 ]",
                                                                     "[ ct load mark => reg 1 ]",
                                                                     "[ meta set mark with reg 1 ]",
                                                                     "[ counter pkts 0 bytes 0 ]",
                                                                     "[ immediate reg 0 accept ]",
                                                                 });
    // nft's for "ct mark set meta mark | 0x56490000", with iif for mark.
    CHECK(expressions(firewall::build(in_chain(p, "input"))) == std::vector<std::string>{
                                                                    "[ ct load state => reg 1 ]",
                                                                    "[ bitwise reg 1 = ( reg 1 & 0x00000008 ) ^ 0x00000000 ]",
                                                                    "[ cmp neq reg 1 0x00000000 ]",
                                                                    "[ socket load mark => reg 1 ]",
                                                                    "[ bitwise reg 1 = ( reg 1 & 0xfffe0000 ) ^ 0x00000000 ]",
                                                                    "[ cmp eq reg 1 0x56480000 ]",
                                                                    "[ meta load iif => reg 1 ]",
                                                                    "[ bitwise reg 1 = ( reg 1 & 0xa9b6ffff ) ^ 0x56490000 ]",
                                                                    "[ ct set mark with reg 1 ]",
                                                                    "[ counter pkts 0 bytes 0 ]",
                                                                });
}

TEST_CASE("the restore and masquerade rules are the bytecode nft would write") {
    auto p = wlan1_plan();
    CHECK(expressions(firewall::build(in_chain(p, "prerouting"))) ==
          std::vector<std::string>{
              "[ ct load mark => reg 1 ]",
              "[ bitwise reg 1 = ( reg 1 & 0xfffe0000 ) ^ 0x00000000 ]",
              "[ cmp eq reg 1 0x56480000 ]",
              "[ ct load mark => reg 1 ]",
              "[ meta set mark with reg 1 ]",
          });
    CHECK(expressions(firewall::build(in_chain(p, "postrouting"))) ==
          std::vector<std::string>{
              "[ meta load mark => reg 1 ]",
              "[ bitwise reg 1 = ( reg 1 & 0xfffe0000 ) ^ 0x00000000 ]",
              "[ cmp eq reg 1 0x56480000 ]",
              "[ immediate reg 0 jump -> uplinks ]",
          });
    CHECK(expressions(firewall::build(in_chain(p, "uplinks"))) ==
          std::vector<std::string>{
              "[ meta load mark => reg 1 ]",
              "[ bitwise reg 1 = ( reg 1 & 0xfffeffff ) ^ 0x00000000 ]",
              "[ cmp eq reg 1 0x56480003 ]",
              "[ meta load oifname => reg 1 ]",
              "[ cmp eq reg 1 0x6e616c77 0x00000031 0x00000000 0x00000000 ]",
              "[ counter pkts 0 bytes 0 ]",
              "[ masq ]",
          });
}

TEST_CASE("diff: an empty table gets every rule") {
    auto p = wlan1_plan();
    auto d = firewall::diff(p, {});
    CHECK(d.add.size() == 6);
    CHECK(d.remove.empty());
    CHECK(d.present.empty());
}

TEST_CASE("diff: identical rules are present, nothing is sent") {
    auto p = wlan1_plan();
    std::vector<nft::ExistingRule> existing;
    std::uint64_t handle = 10;
    for (const auto& r : p.rules) existing.push_back({r.chain, handle++, r.comment});
    auto d = firewall::diff(p, existing);
    CHECK(d.add.empty());
    CHECK(d.remove.empty());
    CHECK(d.present.size() == 6);
}

TEST_CASE("diff: an older via's per-uplink mark rule in output is removed") {
    std::vector<nft::ExistingRule> existing;
    std::uint64_t handle = 10;
    for (const auto& r : wlan1_plan().rules) existing.push_back({r.chain, handle++, r.comment});
    existing.push_back({"output", 20, "via uplink wlan1: mark 0x56490003 for cgroup 158 level 2"});

    auto d = firewall::diff(wlan1_plan(), existing);
    CHECK(d.add.empty());
    REQUIRE(d.remove.size() == 1);
    CHECK(d.remove[0].handle == 20);
    CHECK(d.present.size() == 6);
}

TEST_CASE("diff: an older via's masquerade rule in postrouting moves to chain uplinks") {
    const auto p = wlan1_plan();
    std::vector<nft::ExistingRule> existing;
    std::uint64_t handle = 10;
    for (const auto& r : p.rules)
        if (r.chain != "uplinks" && r.owner != "nat") existing.push_back({r.chain, handle++, r.comment});
    const std::string masquerade = in_chain(p, "uplinks").comment;
    existing.push_back({"postrouting", 20, masquerade});
    existing.push_back({"postrouting", 21, "via uplink usb0: masquerade marks 0x56490004 and 0x56480004 leaving usb0"});

    const auto d = firewall::diff(p, existing);
    REQUIRE(d.remove.size() == 1);  // usb0's stays until usb0's next launch
    CHECK(d.remove[0].handle == 20);
    REQUIRE(d.add.size() == 2);
    CHECK(d.add[0].owner == "nat");
    CHECK(d.add[1].chain == "uplinks");
    CHECK(d.add[1].comment == masquerade);
}

TEST_CASE("diff: other uplinks' rules and foreign rules are left alone") {
    auto p = wlan1_plan();
    auto other = firewall::plan("usb0", *ids::for_ifindex(4));
    std::vector<nft::ExistingRule> existing;
    for (const auto& r : other.rules) existing.push_back({r.chain, 1, r.comment});
    existing.push_back({"output", 2, "added by hand"});
    existing.push_back({"output", 3, ""});

    auto d = firewall::diff(p, existing);
    CHECK(d.remove.empty());
    // usb0's mark, inbound and restore rules are the shared ones: wlan1
    // finds them present.
    REQUIRE(d.present.size() == 5);
    CHECK(d.present[0].owner == "marks");
    CHECK(d.present[1].owner == "marks");
    CHECK(d.present[2].owner == "inbound");
    CHECK(d.present[3].owner == "conntrack");
    CHECK(d.present[4].owner == "nat");
    CHECK(d.add.size() == 1);
}

TEST_CASE("diff: a group with a duplicate is replaced whole, in one batch") {
    auto p = wlan1_plan();
    std::vector<nft::ExistingRule> existing;
    std::uint64_t handle = 10;
    for (const auto& r : p.rules) existing.push_back({r.chain, handle++, r.comment});
    existing.push_back({"output", 20, in_chain(p, "output").comment});

    auto d = firewall::diff(p, existing);
    REQUIRE(d.remove.size() == 3);  // the output group: both rules and the duplicate
    CHECK(d.remove[0].handle == 10);
    CHECK(d.remove[1].handle == 12);
    CHECK(d.remove[2].handle == 20);
    REQUIRE(d.add.size() == 2);
    CHECK(d.add[0].chain == "output");
    CHECK(d.present.size() == 4);
}

TEST_CASE("an older via's DNS rules, and their chain, go") {
    auto p = wlan1_plan();
    std::vector<nft::ExistingRule> existing;
    std::uint64_t handle = 10;
    for (const auto& r : p.rules) existing.push_back({r.chain, handle++, r.comment});
    existing.push_back({"nat_output", 30, "via dns uplink wlan1: mark 0x56490003 to 198.51.100.53 as is"});
    existing.push_back({"nat_output", 31, "via dns uplink wlan1: mark 0x56490003 udp port 53 to 198.51.100.53"});
    const auto d = firewall::diff(p, existing);
    REQUIRE(d.remove.size() == 2);
    CHECK(d.remove[0].handle == 30);
    CHECK(d.remove[1].handle == 31);
    CHECK(d.drop_chains == std::vector<std::string>{"nat_output"});
    CHECK(d.add.empty());

    existing.push_back({"nat_output", 32, "somebody else's rule"});
    CHECK(firewall::diff(p, existing).drop_chains.empty());
}

TEST_CASE("owner_of reads via's comments only") {
    CHECK(firewall::owner_of("via uplink wlan1: anything") == "uplink wlan1");
    CHECK(firewall::owner_of("via conntrack: x") == "conntrack");
    CHECK(firewall::owner_of("vianet: x").empty());
    CHECK(firewall::owner_of("something via uplink: x").empty());
    CHECK(firewall::owner_of("via without colon").empty());
}
