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
expect_eq "via pinned fourteen maps and ten links" \
    "$(printf '%s\n' connect4- connect6- dns_peers egress- fork- lans_ns launches owners recvmsg4- recvmsg6- rule_ports \
        rule_to rules_ns sendmsg4- sendmsg6- "$(marker)-" sock_dns sock_netns state sysctl- tasks traffic uplinks_ns \
        users | LC_ALL=C sort)" \
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

# --- a via stopped while it holds the lock -----------------------------------
# A member stops their own launch (SIGSTOP) under the lock, just as it
# writes the uplink's note (the mkdir of /run/via before it, which nothing
# else under the lock does; strace only times the signal), in a full
# ensure (no stamp). Others go past it: root names the uplink's gateway.
# Resumed, the stopped launch finds the note written since it read it,
# decides again, and stops: it neither writes back the note it read (no
# gateway) nor runs its program.
stop_at_note() {  # stop_at_note ERRFILE VIA-ARGS...: a member's via, in the background
    local err=$1
    shift
    in_host strace -f -o /dev/null -e trace=mkdir,mkdirat -e inject=mkdir,mkdirat:signal=SIGSTOP:when=1 \
        setpriv --reuid="$TUSER" --regid="$TUSER" --init-groups -- "$VIA" "$@" 2>"$err" &
}
stopped_holder() {
    local pid
    for pid in $(pgrep -x via); do
        grep -q "FLOCK.* $pid " /proc/locks && awk '{ exit !($3 == "t" || $3 == "T") }' "/proc/$pid/stat" &&
            echo "$pid" && return
    done
    return 1
}
rm -f "$(stamp_of "$UP1")"
mkdir -m 1777 "$TMP/shared"
stop_at_note "$TMP/stopped.err" "$UP1" -- touch "$TMP/shared/ran"
STOPPER=$!
for _ in $(seq 100); do stopped_via=$(stopped_holder) && break; sleep 0.1; done
check "the member's launch is stopped holding the lock" test -n "$stopped_via"
rc=0; timeout 10 nsenter --net="/run/netns/$H" -- "$VIA" --gateway 10.77.1.1 "$UP1" -- true || rc=$?
expect_eq "root's launch goes past it" 0 "$rc"
expect_eq "and records its gateway" "gateway=10.77.1.1" "$(grep '^gateway=' "$(note_of "$UP1")")"
kill -CONT "$stopped_via"
rc=0; wait "$STOPPER" || rc=$?
expect_eq "resumed, the stopped launch fails" 125 "$rc"
expect_contains "and says why" "changed while this launch waited" "$(cat "$TMP/stopped.err")"
check "it ran nothing" test ! -e "$TMP/shared/ran"
expect_eq "and the note still has root's gateway" "gateway=10.77.1.1" "$(grep '^gateway=' "$(note_of "$UP1")")"
expect_eq "one note file for the uplink" 1 "$(ls "/run/via/uplinks/$H_NETNS" | grep -c "^$UP1:")"

# The same with the member's `via repair`: resumed, it leaves the uplink
# to the via that ensured it meanwhile.
nsenter --net="/run/netns/$H" -- "$VIA" down "$UP1" >/dev/null
nsenter --net="/run/netns/$H" -- "$VIA" "$UP1" -- true
expect_eq "after via down, a launch's note has no gateway" "" "$(grep '^gateway=' "$(note_of "$UP1")" || true)"
stop_at_note "$TMP/repair.err" repair -v "$UP1"
STOPPER=$!
stopped_via=
for _ in $(seq 100); do stopped_via=$(stopped_holder) && break; sleep 0.1; done
check "the member's repair is stopped holding the lock" test -n "$stopped_via"
timeout 10 nsenter --net="/run/netns/$H" -- "$VIA" --gateway 10.77.1.1 "$UP1" -- true
kill -CONT "$stopped_via"
rc=0; wait "$STOPPER" || rc=$?
expect_eq "resumed, the repair ends well" 0 "$rc"
expect_contains "saying it left the uplink alone" "not repairing $UP1: another via ensured it meanwhile" \
    "$(cat "$TMP/repair.err")"
expect_eq "the note has root's gateway" "gateway=10.77.1.1" "$(grep '^gateway=' "$(note_of "$UP1")")"

finish
