#!/usr/bin/env bash
# Launches in parallel race for the same uplink: exactly one of each piece.
source "$(dirname "$0")/lib.sh"
setup_all

N=50
pids=()
for i in $(seq "$N"); do
    as_user "$VIA" "$UP1" -- "$PY" "$HELPERS/client.py" tcp "$SERVICE" "$PORT" >"$TMP/out.$i" 2>&1 &
    pids+=($!)
done
failures=0
for pid in "${pids[@]}"; do wait "$pid" || failures=$((failures + 1)); done
expect_eq "all $N parallel launches succeeded" 0 "$failures"
# (What the failed ones said, once each.)
[ "$failures" = 0 ] || grep -h '^via:\|^hint:' "$TMP"/out.* | sort | uniq -c >&2 || true
expect_eq "all $N went out by $UP1" "$N" "$(cat "$TMP"/out.* | grep -c "tcp iif=$SV1 src=10.77.1.2")"

mark=$(mark_of "$UP1")
expect_eq "one ip rule to the uplink's table, and one skip pair, per family" "31899:	not from all fwmark 0x56480000/0xfffe0000 goto 31901 proto 86
31900:	from all fwmark $mark lookup $((mark)) proto 86
31901:	from all nop proto 86
31899:	not from all fwmark 0x56480000/0xfffe0000 goto 31901 proto 86
31900:	from all fwmark $mark lookup $((mark)) proto 86
31901:	from all nop proto 86" "$(via_rules)"
expect_eq "one kill switch in the uplink's table" 1 "$(kill_switch_in "$mark")"
expect_eq "one in its IPv6 table" 1 "$(kill_switch_in "$mark" -6)"
expect_eq "one default route in the uplink's table" 1 "$(table_default "$mark" | wc -l)"
expect_eq "one IPv6 default route" 1 "$(table_default "$mark" -6 | wc -l)"
expect_eq "one socket program of via's at the cgroup root" 1 "$(markers_at)"
expect_eq "via pinned ten maps and ten links" \
    "$(printf '%s\n' connect4- connect6- dns_peers egress- fork- lans launches owners recvmsg4- recvmsg6- sendmsg4- \
        sendmsg6- "$(marker)-" sock_dns state sysctl- tasks traffic uplinks users | LC_ALL=C sort)" \
    "$(LC_ALL=C ls /sys/fs/bpf/via | sed 's/-.*/-/')"
expect_eq "the uplink's table: its default route, the 3 connected networks, the kill switch" 5 \
    "$(ip -n "$H" route show table $((mark)) | wc -l)"
ruleset=$(ip netns exec "$H" nft list table inet via)
expect_eq "one mark rule" 1 "$(grep -c 'comment "via marks: each packet' <<<"$ruleset")"
expect_eq "one reply rule" 1 "$(grep -c 'comment "via marks: replies' <<<"$ruleset")"
expect_eq "one inbound rule" 1 "$(grep -c 'comment "via inbound:' <<<"$ruleset")"
expect_eq "one restore rule" 1 "$(grep -c 'comment "via conntrack:' <<<"$ruleset")"
expect_eq "one masquerade rule" 1 "$(grep -c "comment \"via uplink $UP1: masquerade" <<<"$ruleset")"
expect_eq "one jump to the masquerade rules" 1 "$(grep -c 'comment "via nat:' <<<"$ruleset")"
expect_eq "six rules in all" 6 "$(grep -c 'comment "via ' <<<"$ruleset")"
expect_eq "one nft table of via's" 1 "$(ip netns exec "$H" nft list tables | grep -c 'inet via')"

# Without the lock: its holder stopped, full ensures run at once. Each one
# commits its nft batch only if the ruleset is still the one it read
# (the generation), else reads again: still one of each rule.
ip netns exec "$H" nft delete table inet via
flock -o /run/via/lock sleep 60 &
HOLDER=$!
for _ in $(seq 50); do grep -q "FLOCK.* $HOLDER " /proc/locks && break; sleep 0.1; done
kill -STOP "$HOLDER"
pids=()
for i in $(seq 20); do
    as_user "$VIA" "$UP1" -- true >"$TMP/lockless.$i" 2>&1 &
    pids+=($!)
done
failures=0
for pid in "${pids[@]}"; do wait "$pid" || failures=$((failures + 1)); done
kill -CONT "$HOLDER"; kill "$HOLDER"; wait "$HOLDER" 2>/dev/null || true
expect_eq "20 launches at once without the lock succeeded" 0 "$failures"
[ "$failures" = 0 ] || grep -h '^via:' "$TMP"/lockless.* | sort | uniq -c >&2 || true
ruleset=$(ip netns exec "$H" nft list table inet via)
expect_eq "and left six nft rules in all, not one set each" 6 "$(grep -c 'comment "via ' <<<"$ruleset")"

finish
