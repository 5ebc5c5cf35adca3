#!/usr/bin/env bash
# Another tool's nftables table, ip rules (one inside via's priority range)
# and routing table are byte for byte the same after via has run.
source "$(dirname "$0")/lib.sh"
setup_all

# A seed-style setup made by "another tool": mark 1, table 1, its own SNAT.
ip netns exec "$H" nft -f - <<NFT
table inet foreign {
    set blocked { type ipv4_addr; elements = { 192.0.2.1, 192.0.2.2 } }
    chain out {
        type route hook output priority mangle; policy accept;
        ip daddr @blocked meta mark set 0x1 comment "someone else's"
    }
    chain post {
        type nat hook postrouting priority srcnat + 10; policy accept;
        meta mark 0x1 oifname "$UP2" masquerade
    }
}
table ip legacy {
    chain input { type filter hook input priority 0; policy accept; }
}
NFT
ip -n "$H" rule add pref 100 fwmark 0x1 lookup 1
ip -n "$H" rule add pref 31950 to 192.0.2.0/24 lookup main
ip -n "$H" route add default via 10.77.2.1 dev "$UP2" table 1

foreign_state() {
    ip netns exec "$H" nft list table inet foreign
    ip netns exec "$H" nft list table ip legacy
    ip -n "$H" rule show | grep -v 'proto 86'
    ip -n "$H" route show table 1
    ip -n "$H" route show table main
}
before=$(foreign_state)

out=$(as_user "$VIA" "$UP1" -- "$PY" "$HELPERS/client.py" tcp "$SERVICE" "$PORT")
expect_eq "via works beside the foreign setup" "tcp iif=$SV1 src=10.77.1.2" "$out"
as_user "$VIA" --gateway 10.77.2.1 "$UP2" -- true
# Make via remove a stale rule of its own too: one an older via left.
ip netns exec "$H" nft add rule inet via output meta mark 0x1 comment "\"via uplink $UP1: mark 0x1 for cgroup 7 level 2\""
as_user "$VIA" "$UP1" -- true
expect_eq "via removed its own stale rule" 0 \
    "$(ip netns exec "$H" nft list chain inet via output | grep -c "via uplink $UP1: mark 0x1")"

after=$(foreign_state)
expect_eq "foreign tables, rules and routes are unchanged" "$before" "$after"
expect_eq "the foreign rule in via's priority range is still there" 1 \
    "$(ip -n "$H" rule show | grep -c '^31950:	from all to 192.0.2.0/24 lookup main$')"

# The skip pair would jump over another tool's rule at via's own priority:
# it goes from that family while the rule is there (the rule then still
# decides for other programs), and comes back after.
ip -n "$H" rule add pref 31900 to 192.0.2.0/24 lookup 1
as_user "$VIA" "$UP1" -- true
expect_eq "no IPv4 skip pair while another tool's rule is at via's priority" 0 \
    "$(ip -n "$H" rule show | grep -c 'goto 31901')"
expect_eq "IPv6 keeps its pair" 1 "$(ip -n "$H" -6 rule show | grep -c 'goto 31901')"
expect_contains "that rule still decides for other programs" "via 10.77.2.1 dev $UP2" "$(ip -n "$H" route get 192.0.2.1)"
ip -n "$H" rule del pref 31900 to 192.0.2.0/24 lookup 1
as_user "$VIA" "$UP1" -- true
expect_eq "the pair is back once that rule is gone" 1 "$(ip -n "$H" rule show | grep -c 'goto 31901')"

finish
