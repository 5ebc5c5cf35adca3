#!/usr/bin/env bash
# A system-wide VPN (here: a tunnel played by $UP2) takes everybody's
# traffic, but not a program's launched via $UP1: its packets still leave by
# $UP1, whatever way the VPN catches traffic. wg-quick's and Mullvad's rules
# added without a priority after via's, Tailscale's rule at 5270,
# NetworkManager's WireGuard rule at 30862 (via puts its rule just ahead of
# them, at the next launch or `via repair`, which the hooks run when an
# interface comes up; until then its programs fail closed), OpenVPN's
# 0.0.0.0/1 pair in main (via's table does not consult main). A rule below
# via's floor (1000) is not passed: there the program fails closed, and
# via says so once. Directly connected networks stay reachable.
source "$(dirname "$0")/lib.sh"
setup_all

client() { echo "$PY $HELPERS/client.py $1 ${2:-$SERVICE} $PORT"; }
ON_UP1="tcp iif=$SV1 src=10.77.1.2"
ON_VPN="tcp iif=$SV2 src=10.77.2.2"
mark=$(mark_of "$UP1")
as_user "$VIA" "$UP1" -- true  # via's state is there before the VPN comes up

# vpn_holds WHAT: ordinary traffic goes into the VPN (so the test can
# fail), a program via $UP1 does not, and none of its packets enter the VPN.
# (Ordinary traffic is sent last: its connection's last packets must not
# race with the counters.)
vpn_holds() {
    local before out
    before=$(server_packets "$SV2" "$PORT")
    out=$(as_user "$VIA" "$UP1" -- $(client tcp) 2>&1 || true)
    expect_eq "$1: a program via $UP1 still leaves by $UP1" "$ON_UP1" "$out"
    out=$(as_user "$VIA" "$UP1" -- $(client udp) 2>&1 || true)
    expect_eq "$1: its UDP too" "udp iif=$SV1 src=10.77.1.2" "$out"
    expect_eq "$1: none of its packets entered the VPN" "$before" "$(server_packets "$SV2" "$PORT")"
    out=$(as_user "$VIA" "$UP1" -- $(client tcp 10.77.0.1) 2>&1 || true)
    expect_eq "$1: the LAN of another interface is still reachable" "tcp iif=$SV0 src=10.77.0.2" "$out"
    expect_eq "$1: ordinary programs go into the VPN" "$ON_VPN" "$(as_user $(client tcp))"
}

# warned_once WHAT PREF: the next launch says that rule PREF takes its
# packets, the one after it does not say it again.
warned_once() {
    local first second
    first=$(as_user "$VIA" "$UP1" -- true 2>&1)
    expect_contains "$1: via warns at launch" \
        "via: warning: ip rule $2 (lookup $3) comes before via's and takes its programs' packets: they fail closed" "$first"
    second=$(as_user "$VIA" "$UP1" -- true 2>&1)
    expect_eq "$1: once" "" "$second"
}

# vpn_fails_closed WHAT: ordinary traffic goes into the VPN, a program via
# $UP1 gets no connection, and none of its packets leaves by another
# interface.
vpn_fails_closed() {
    local vpn=$(server_packets "$SV2" "$PORT") up0=$(server_packets "$SV0" "$PORT") rc=0 out
    out=$(as_user "$VIA" "$UP1" -- $(client udp) 2>&1) || rc=$?
    expect_eq "$1: a program via $UP1 fails at once (UDP), closed" "1 client: [Errno 1] Operation not permitted" "$rc $out"
    expect_eq "$1: none of its packets entered the VPN" "$vpn" "$(server_packets "$SV2" "$PORT")"
    expect_eq "$1: nor left by $UP0" "$up0" "$(server_packets "$SV0" "$PORT")"
    expect_eq "$1: ordinary programs go into the VPN" "$ON_VPN" "$(as_user $(client tcp))"
}

# wg-quick (and Mullvad): rules without a priority, added after via's, land
# just ahead of it. A program already running fails closed...
PROBE_KINDS="tcp udp" start_prober "$UP1"
check "a prober runs via $UP1" wait_probe 0 "$ON_UP1"
ip -n "$H" route add default via 10.77.2.1 dev "$UP2" table 51820
ip -n "$H" rule add not fwmark 51820 table 51820
ip -n "$H" rule add table main suppress_prefixlength 0
vpn=$(server_packets "$SV2" "$PORT")
from=$(probe_lines)
check "with the VPN's rules ahead of via's, the running prober fails closed" wait_probe "$from" "Operation not permitted"
expect_eq "none of its packets entered the VPN" "$vpn" "$(server_packets "$SV2" "$PORT")"
# ... until `via repair` (what the hooks run when the tunnel comes up).
as_user "$VIA" repair
# (They landed at 31898 and 31897, ahead of via's skip rule at 31899.)
expect_eq "via repair put via's rule just ahead of the VPN's catch-all" "0:	from all lookup local
31897:	from all lookup main suppress_prefixlength 0
31897:	from all fwmark $mark lookup $((mark)) proto 86
31898:	not from all fwmark 0xca6c lookup 51820" "$(ip -n "$H" rule show | head -n 4)"
expect_eq "with no skip pair in IPv4: the VPN's rule at 31897 would be jumped over" "" \
    "$(ip -n "$H" rule show | grep goto || true)"
from=$(probe_lines)
check "the running prober is back on $UP1" wait_probe "$from" "$ON_UP1" 2
stop_prober
expect_eq "and via had nothing to warn of" "" "$(as_user "$VIA" "$UP1" -- true 2>&1)"
vpn_holds "wg-quick's rules"
ip -n "$H" rule del not fwmark 51820 table 51820
ip -n "$H" rule del table main suppress_prefixlength 0
as_user "$VIA" "$UP1" -- true
expect_eq "with the VPN gone, the next launch puts via's rule back at 31900" \
    "31900:	from all fwmark $mark lookup $((mark)) proto 86" "$(ip -n "$H" rule show | grep "fwmark $mark")"

# Tailscale's exit node, NetworkManager's WireGuard: fixed priorities.
ip -n "$H" route add default via 10.77.2.1 dev "$UP2" table 52
ip -n "$H" rule add pref 5270 table 52
as_user "$VIA" "$UP1" -- true
expect_eq "via's rule goes just ahead of Tailscale's" "5269:	from all fwmark $mark lookup $((mark)) proto 86" \
    "$(ip -n "$H" rule show | grep "fwmark $mark")"
vpn_holds "Tailscale's rule at 5270"
ip -n "$H" rule del pref 5270 table 52
ip -n "$H" rule add pref 30862 not fwmark 0xcafe table 51820
vpn_holds "NetworkManager's WireGuard rule at 30862"
ip -n "$H" rule del pref 30862 not fwmark 0xcafe table 51820

# Below via's floor: not passed. The program fails closed; via says so once.
ip -n "$H" rule add pref 500 table 52
warned_once "a rule at 500" 500 52
vpn_fails_closed "a rule at 500"
ip -n "$H" rule del pref 500 table 52

# OpenVPN's redirect-gateway def1: two /1 routes in main, narrower than any
# default route. via's table does not consult main: the program keeps $UP1.
ip -n "$H" route add 0.0.0.0/1 via 10.77.2.1 dev "$UP2"
ip -n "$H" route add 128.0.0.0/1 via 10.77.2.1 dev "$UP2"
expect_eq "OpenVPN's routes in main: nothing to warn of" "" "$(as_user "$VIA" "$UP1" -- true 2>&1)"
expect_eq "and no need to move" "31900:	from all fwmark $mark lookup $((mark)) proto 86" "$(ip -n "$H" rule show | grep "fwmark $mark")"
vpn_holds "OpenVPN's 0.0.0.0/1 pair"

# ... and its kill switch holds there too.
as_user "$VIA" "$UP1" -- sh -c "while [ ! -e $TMP/go ]; do sleep 0.1; done; $(client tcp)" >"$TMP/out" 2>&1 &
waiter=$!
sleep 0.3
# (Counted after that pause: the last packets of the ordinary program's
# connection just above may still reach the VPN's server.)
before=$(server_packets "$SV2" "$PORT")
ip -n "$H" link set "$UP1" down
touch "$TMP/go"
wait "$waiter" || true
expect_eq "a running program's connection fails when $UP1 goes down" "client: [Errno 113] No route to host" "$(cat "$TMP/out")"
expect_eq "and does not enter the VPN" "$before" "$(server_packets "$SV2" "$PORT")"

finish
