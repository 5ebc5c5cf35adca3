#!/usr/bin/env bash
# Fail closed, whatever else deletes: with via's ip rules, its nft table or
# its table's routes gone (one at a time, or all at once), a program
# launched via $UP1 sends not one packet by $UP0, and the next launch of
# via (for another program), or `via repair`, brings it back to $UP1
# without relaunching it.
# A socket bound to another interface gets nowhere either.
source "$(dirname "$0")/lib.sh"
setup_all

ON_UP1_TCP="tcp iif=$SV1 src=10.77.1.2"
ON_UP1_UDP="udp iif=$SV1 src=10.77.1.2"
mark=$(mark_of "$UP1")

PROBE_KINDS="tcp udp" start_prober "$UP1"
check "the prober's TCP leaves by $UP1" wait_probe 0 "$ON_UP1_TCP"
check "and its UDP" wait_probe 0 "$ON_UP1_UDP"

delete_rules() {  # via's, and only via's: their marks are via's
    while ip -n "$H" rule del fwmark "$mark" 2>/dev/null; do :; done
    while ip -n "$H" -6 rule del fwmark "$mark" 2>/dev/null; do :; done
}
flush_nft() { ip netns exec "$H" nft flush ruleset; }
flush_table() { ip -n "$H" route flush table $((mark)); ip -n "$H" -6 route flush table $((mark)); }
all_three() { delete_rules; flush_nft; flush_table; }

# deleted WHAT COMMAND: after COMMAND, the prober keeps trying (its UDP is
# refused at once) and nothing reaches the server by $UP0; then a launch for
# another program repairs it all.
deleted() {
    local what=$1 before from
    shift
    before=$(server_packets "$SV0" "$PORT")
    from=$(probe_lines)
    "$@"
    check "$what: the prober keeps trying, and fails" wait_probe "$from" "client:" 3
    expect_eq "$what: not one packet by $UP0" "$before" "$(server_packets "$SV0" "$PORT")"
    as_user "$VIA" "$UP1" -- true
    from=$(probe_lines)
    check "$what: after the next launch, the same program is back on $UP1" wait_probe "$from" "$ON_UP1_TCP"
}

# The rules gone: marked packets take main's default route, to $UP0, where
# the egress program drops them.
deleted "via's ip rules deleted (as networkd does)" delete_rules
expect_contains "with the rules gone, UDP is refused at once" "Operation not permitted" "$(cat "$PROBE_LOG")"
deleted "the whole ruleset flushed (as nftables.service does)" flush_nft
deleted "via's table flushed (as the kernel does when an address goes)" flush_table
deleted "all three at once" all_three

# `via repair` (what the hooks run) instead of a launch.
all_three
from=$(probe_lines)
as_user "$VIA" repair
check "via repair, run by a member, brings the running program back to $UP1" wait_probe "$from" "$ON_UP1_TCP"
stop_prober

# IPv6 too: a program started while the rules are there sends once they
# are gone.
before=$(server_packets "$SV0" "$PORT")
as_user "$VIA" "$UP1" -- sh -c "while [ ! -e $TMP/go6 ]; do sleep 0.1; done
    $PY $HELPERS/client.py udp $SERVICE6 $PORT" >"$TMP/out6" 2>&1 &
waiter=$!
sleep 0.3
delete_rules
touch "$TMP/go6"
rc=0
wait "$waiter" || rc=$?
expect_eq "with the rules gone, the program's IPv6 UDP is refused" "1 client: [Errno 1] Operation not permitted" \
    "$rc $(cat "$TMP/out6")"
expect_eq "and not one IPv6 packet left by $UP0" "$before" "$(server_packets "$SV0" "$PORT")"
as_user "$VIA" "$UP1" -- true

# --- a socket bound to another interface ---------------------------------
out=$(as_user "$PY" "$HELPERS/client.py" udp "$SERVICE" "$PORT" "$UP0")
expect_eq "without via, a socket bound to $UP0 leaves by it" "udp iif=$SV0 src=10.77.0.2" "$out"
before=$(server_packets "$SV0" "$PORT")
for kind in udp tcp; do
    rc=0
    out=$(as_user "$VIA" "$UP1" -- "$PY" "$HELPERS/client.py" "$kind" "$SERVICE" "$PORT" "$UP0" 2>&1) || rc=$?
    expect_eq "via $UP1: a $kind socket bound to $UP0 gets an error" 1 "$rc"
done
expect_contains "(UDP at once)" "Operation not permitted" "$(as_user "$VIA" "$UP1" -- \
    "$PY" "$HELPERS/client.py" udp "$SERVICE" "$PORT" "$UP0" 2>&1 || true)"
expect_eq "and not one of their packets left by $UP0" "$before" "$(server_packets "$SV0" "$PORT")"

finish
