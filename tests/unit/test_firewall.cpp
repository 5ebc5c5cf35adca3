#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>

#include "via/firewall.hpp"

using namespace via;

namespace {

const cgroup::Cgroup cg{"/sys/fs/cgroup/unified/via/wlan1", 0x9e, 2};
const ids::UplinkIds wlan1_ids = *ids::for_ifindex(3);

firewall::Plan wlan1_plan() { return firewall::plan("wlan1", wlan1_ids, cg); }

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

}  // namespace

TEST_CASE("the plan: mark by cgroup, restore from conntrack, masquerade") {
    auto p = wlan1_plan();
    REQUIRE(p.rules.size() == 3);
    CHECK(in_chain(p, "output").comment == "via uplink wlan1: mark 0x56490003 for cgroup 158 level 2");
    CHECK(in_chain(p, "prerouting").owner == "conntrack");
    CHECK(in_chain(p, "postrouting").comment == "via uplink wlan1: masquerade mark 0x56490003 leaving wlan1");
    for (const auto& r : p.rules) CHECK(firewall::owner_of(r.comment) == r.owner);
}

// The expected lines are what nft 1.0.6 itself generates for the nft
// equivalent in firewall.hpp (captured with `nft --debug=netlink`).
TEST_CASE("the mark rule is the bytecode nft would write") {
    auto rule = firewall::build(in_chain(wlan1_plan(), "output"));
    CHECK(expressions(rule) == std::vector<std::string>{
                                   "[ socket load cgroupv2 => reg 1 ]",
                                   "[ cmp eq reg 1 0x0000009e 0x00000000 ]",
                                   "[ immediate reg 1 0x56490003 ]",
                                   "[ meta set mark with reg 1 ]",
                                   "[ meta load mark => reg 1 ]",
                                   "[ ct set mark with reg 1 ]",
                                   "[ counter pkts 0 bytes 0 ]",
                               });
    // The level is not printed by libnftnl: read it back.
    nftnl_expr* first = nullptr;
    nftnl_expr_foreach(
        rule.get(),
        [](nftnl_expr* e, void* data) {
            auto** out = static_cast<nftnl_expr**>(data);
            if (!*out) *out = e;
            return 0;
        },
        &first);
    REQUIRE(first);
    CHECK(nftnl_expr_get_u32(first, NFTNL_EXPR_SOCKET_LEVEL) == 2);
    CHECK(nft::comment_of(rule.get()) == "via uplink wlan1: mark 0x56490003 for cgroup 158 level 2");
}

TEST_CASE("the restore and masquerade rules are the bytecode nft would write") {
    auto p = wlan1_plan();
    CHECK(expressions(firewall::build(in_chain(p, "prerouting"))) ==
          std::vector<std::string>{
              "[ ct load mark => reg 1 ]",
              "[ bitwise reg 1 = ( reg 1 & 0xffff0000 ) ^ 0x00000000 ]",
              "[ cmp eq reg 1 0x56490000 ]",
              "[ ct load mark => reg 1 ]",
              "[ meta set mark with reg 1 ]",
          });
    // oifname "lo" in the captured bytecode; "wlan1" here.
    CHECK(expressions(firewall::build(in_chain(p, "postrouting"))) ==
          std::vector<std::string>{
              "[ meta load mark => reg 1 ]",
              "[ cmp eq reg 1 0x56490003 ]",
              "[ meta load oifname => reg 1 ]",
              "[ cmp eq reg 1 0x6e616c77 0x00000031 0x00000000 0x00000000 ]",
              "[ counter pkts 0 bytes 0 ]",
              "[ masq ]",
          });
}

TEST_CASE("diff: an empty table gets every rule") {
    auto p = wlan1_plan();
    auto d = firewall::diff(p, {});
    CHECK(d.add.size() == 3);
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
    CHECK(d.present.size() == 3);
}

TEST_CASE("diff: a recreated cgroup (new id) replaces the stale rule") {
    auto old_plan = firewall::plan("wlan1", wlan1_ids, cgroup::Cgroup{cg.path, 0x42, 2});
    std::vector<nft::ExistingRule> existing;
    std::uint64_t handle = 10;
    for (const auto& r : old_plan.rules) existing.push_back({r.chain, handle++, r.comment});

    auto d = firewall::diff(wlan1_plan(), existing);
    REQUIRE(d.add.size() == 1);
    CHECK(d.add[0].chain == "output");
    REQUIRE(d.remove.size() == 1);
    CHECK(d.remove[0].handle == 10);
    CHECK(d.present.size() == 2);
}

TEST_CASE("diff: other uplinks' rules and foreign rules are left alone; duplicates go") {
    auto p = wlan1_plan();
    auto other = firewall::plan("usb0", *ids::for_ifindex(4), cgroup::Cgroup{"/x/via/usb0", 0x77, 2});
    std::vector<nft::ExistingRule> existing;
    for (const auto& r : other.rules) existing.push_back({r.chain, 1, r.comment});
    existing.push_back({"output", 2, "added by hand"});
    existing.push_back({"output", 3, ""});
    const auto& mine = in_chain(p, "output");
    existing.push_back({"output", 4, mine.comment});
    existing.push_back({"output", 5, mine.comment});

    auto d = firewall::diff(p, existing);
    REQUIRE(d.remove.size() == 1);
    CHECK(d.remove[0].handle == 5);
    // usb0's restore rule is the shared one: wlan1 finds it present.
    CHECK(d.present.size() == 2);
    CHECK(d.add.size() == 1);
    CHECK(d.add[0].chain == "postrouting");
}

TEST_CASE("owner_of reads via's comments only") {
    CHECK(firewall::owner_of("via uplink wlan1: anything") == "uplink wlan1");
    CHECK(firewall::owner_of("via conntrack: x") == "conntrack");
    CHECK(firewall::owner_of("vianet: x").empty());
    CHECK(firewall::owner_of("something via uplink: x").empty());
    CHECK(firewall::owner_of("via without colon").empty());
}
