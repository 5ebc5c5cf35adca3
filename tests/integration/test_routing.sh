#!/usr/bin/env bash
# The program's traffic, and its children's, leaves by the chosen uplink
# with that uplink's address; everything else keeps the default route.
source "$(dirname "$0")/lib.sh"
setup_all

client() { echo "$PY $HELPERS/client.py $1 $SERVICE $PORT"; }

out=$(as_user $(client tcp))
expect_eq "without via, TCP goes by the default uplink" "tcp iif=$SV0 src=10.77.0.2" "$out"

out=$(as_user "$VIA" "$UP1" -- $(client tcp))
expect_eq "via $UP1: TCP arrives on $UP1's link from $UP1's address" "tcp iif=$SV1 src=10.77.1.2" "$out"

out=$(as_user "$VIA" "$UP1" -- $(client udp))
expect_eq "via $UP1: UDP too" "udp iif=$SV1 src=10.77.1.2" "$out"

out=$(as_user "$VIA" "$UP1" -- sh -c "$(client tcp) & wait; sh -c '$(client udp)'")
expect_eq "children and grandchildren of the program use $UP1" \
    "tcp iif=$SV1 src=10.77.1.2
udp iif=$SV1 src=10.77.1.2" "$out"

out=$(as_user $(client tcp))
expect_eq "after via, other programs still use the default uplink" "tcp iif=$SV0 src=10.77.0.2" "$out"

out=$(as_user "$VIA" --gateway 10.77.2.1 "$UP2" -- $(client tcp))
expect_eq "--gateway for an uplink without a default route" "tcp iif=$SV2 src=10.77.2.2" "$out"

# The LAN of another uplink stays reachable the way main routes it
# (ip rule ... lookup main suppress_prefixlength 0).
out=$(as_user "$VIA" "$UP1" -- "$PY" "$HELPERS/client.py" tcp 10.77.0.1 "$PORT")
expect_eq "LAN routes of the main table keep working for the program" "tcp iif=$SV0 src=10.77.0.2" "$out"

# Strict rp_filter was on in the host all along; replies were accepted
# because via set src_valid_mark on the uplink and restores the mark.
expect_eq "strict rp_filter is still on" "1" "$(in_host sysctl -n net.ipv4.conf.all.rp_filter)"
expect_eq "src_valid_mark on $UP1" "1" "$(in_host sysctl -n "net.ipv4.conf.$UP1.src_valid_mark")"
expect_eq "rp_filter on $UP1 untouched (strict)" "1" "$(in_host sysctl -n "net.ipv4.conf.$UP1.rp_filter")"

# What via created is via's: its protocol id, its ranges, its table.
mark=$(mark_of "$UP1")
rules=$(ip -n "$H" rule show | grep "fwmark $mark")
expect_eq "one ip rule sends the mark to its table, at via's priority" \
    "31900:	from all fwmark $mark lookup $((mark)) proto 86" "$rules"
expect_eq "it comes after lookup local, before main, between the skip pair" "0:	from all lookup local
31899:	not from all fwmark 0x56480000/0xfffe0000 goto 31901 proto 86
31900:	from all fwmark $mark lookup $((mark)) proto 86
31901:	from all nop proto 86
32766:	from all lookup main
32767:	from all lookup default" "$(ip -n "$H" rule show | grep -v "fwmark $(mark_of "$UP2") ")"
expect_eq "the same pair for IPv6" "31899:	not from all fwmark 0x56480000/0xfffe0000 goto 31901 proto 86
31901:	from all nop proto 86" "$(ip -n "$H" -6 rule show | grep -E '^3190[01]:|^31899:' | grep -v fwmark\ 0x5649)"
expect_contains "the uplink's table holds copies of the connected networks" \
    "10.77.0.0/24 dev $UP0 proto 86 scope link metric 100" "$(ip -n "$H" route show table $((mark)))"
expect_eq "the uplink's table holds its default route" \
    "default via 10.77.1.1 dev $UP1 proto 86 metric 100" "$(table_default "$mark")"

# Counters: the mark rule saw the program's packets, the masquerade rule
# its connections.
counter() { ip netns exec "$H" nft list chain inet via "$1" | grep "$2" | sed -E 's/.*counter packets ([0-9]+).*/\1/'; }
check "the mark rule counted packets" test "$(counter output "via marks: each packet")" -gt 0
check "the masquerade rule counted connections" test "$(counter uplinks "uplink $UP1:")" -gt 0

# Second launch: verified by the stamp the first left (test_fast_path.sh).
out=$(as_user "$VIA" -v "$UP1" -- true 2>&1)
check "a second launch creates nothing" bash -c '! grep -q "created\|replaced" <<<"$1"' _ "$out"
expect_contains "it verifies what the first left" "as the last launch left them" "$out"
# Without the stamp, the full ensure: every piece present, none created.
full() { rm -f "$(stamp_of "$UP1")"; as_user "$VIA" -v "$UP1" -- true 2>&1; }
pieces() { sed -E 's/^via: (present|created|replaced) +//' <<<"$1" | grep -v '^note' | sort; }
first=$(full)
again=$(full)
check "without a stamp, a launch creates nothing either" bash -c '! grep -q "created\|replaced" <<<"$1"' _ "$again"
expect_eq "the next such launch finds the same pieces" "$(pieces "$first")" "$(pieces "$again")"
check "and there are many: routes, rules, sysctl, nft rules, bpf maps and programs" \
    test "$(grep -c '^via: present' <<<"$again")" -ge 15

server_log=$(grep -c "iif=$SV1" "$TMP/server.log")
expect_eq "the server saw exactly the 4 exchanges sent via $UP1" 4 "$server_log"

finish
