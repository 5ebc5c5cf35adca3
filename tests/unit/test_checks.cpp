#include <catch2/catch.hpp>

#include <linux/rtnetlink.h>

#include "launch/checks.hpp"
#include "owned.hpp"

using namespace via;

TEST_CASE("networkd deletes foreign rules unless told not to, the last setting winning") {
    CHECK(checks::networkd_manages_foreign_rules({}));
    CHECK(checks::networkd_manages_foreign_rules({"[Network]\n#ManageForeignRoutingPolicyRules=no\n"}));
    CHECK_FALSE(checks::networkd_manages_foreign_rules({"[Network]\nManageForeignRoutingPolicyRules = no\n"}));
    CHECK(checks::networkd_manages_foreign_rules(
        {"[Network]\nManageForeignRoutingPolicyRules=no\n", "[Network]\nManageForeignRoutingPolicyRules=yes\n"}));
    CHECK(checks::networkd_manages_foreign_rules({"[DHCPv4]\nManageForeignRoutingPolicyRules=no\n"}));
}

TEST_CASE("an nftables.conf that flushes the ruleset") {
    CHECK(checks::flushes_ruleset("#!/usr/sbin/nft -f\n\nflush ruleset\n\ntable inet filter {}\n"));
    CHECK_FALSE(checks::flushes_ruleset("# flush ruleset\ntable inet filter {}\n"));
    CHECK_FALSE(checks::flushes_ruleset("flush table inet filter\n"));
}

TEST_CASE("which rules of others take via's marked packets") {
    const std::uint32_t mark = 0x56490003, pref = owned::pref;
    rtnl::Rule tailscale{5270, false, 0, 0, false, true, 52};
    CHECK(checks::takes_marked(tailscale, mark, pref));
    rtnl::Rule wg_catch_all{31899, false, 0xca6c, 0xffffffff, true, true, 51820};
    CHECK(checks::takes_marked(wg_catch_all, mark, pref));
    rtnl::Rule wg_suppress{31898, false, 0, 0, false, true, RT_TABLE_MAIN, true};
    CHECK_FALSE(checks::takes_marked(wg_suppress, mark, pref));
    rtnl::Rule own_mark_only{100, false, 0x1, 0xffffffff, false, true, 1};
    CHECK_FALSE(checks::takes_marked(own_mark_only, mark, pref));
    rtnl::Rule from_a_subnet{100, true, 0, 0, false, true, 7};
    CHECK_FALSE(checks::takes_marked(from_a_subnet, mark, pref));
    rtnl::Rule behind{32000, false, 0, 0, false, true, 7};
    CHECK_FALSE(checks::takes_marked(behind, mark, pref));
    rtnl::Rule vias{pref, false, mark, 0xffffffff, false, true, mark, false, true};
    CHECK_FALSE(checks::takes_marked(vias, mark, pref));
}
