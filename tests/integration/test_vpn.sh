#!/usr/bin/env bash
# A system-wide VPN (here: a tunnel played by $UP2) takes everybody's
# traffic. A program launched via $UP1:
# - still leaves by $UP1 when the VPN catches traffic with routes in main
#   (OpenVPN's 0.0.0.0/1 pair): via's table does not consult main;
# - fails closed when the VPN's rules come before via's (wg-quick's and
#   Mullvad's, added without a priority after via's, Tailscale's at 5270,
#   NetworkManager's at 30862): none of its packets enters the VPN, nor
#   any other interface, and it has no connection until the VPN is gone.
# Directly connected networks stay reachable.
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
# just ahead of it.
ip -n "$H" route add default via 10.77.2.1 dev "$UP2" table 51820
ip -n "$H" rule add not fwmark 51820 table 51820
ip -n "$H" rule add table main suppress_prefixlength 0
expect_eq "the kernel put the VPN's rules ahead of via's" "0:	from all lookup local
31898:	from all lookup main suppress_prefixlength 0
31899:	not from all fwmark 0xca6c lookup 51820
31900:	from all fwmark $mark lookup $((mark)) proto 86" "$(ip -n "$H" rule show | head -n 4)"
warned_once "wg-quick's rules" 31899 51820
vpn_fails_closed "wg-quick's rules"
ip -n "$H" rule del not fwmark 51820 table 51820
ip -n "$H" rule del table main suppress_prefixlength 0

# Tailscale's exit node, NetworkManager's WireGuard: fixed priorities.
ip -n "$H" route add default via 10.77.2.1 dev "$UP2" table 52
ip -n "$H" rule add pref 5270 table 52
warned_once "Tailscale's rule" 5270 52
vpn_fails_closed "Tailscale's rule at 5270"
ip -n "$H" rule del pref 5270 table 52
ip -n "$H" rule add pref 30862 not fwmark 0xcafe table 51820
warned_once "NetworkManager's rule" 30862 51820
vpn_fails_closed "NetworkManager's WireGuard rule at 30862"
ip -n "$H" rule del pref 30862 not fwmark 0xcafe table 51820
expect_eq "with the VPN's rules gone, the program is on $UP1 again" "$ON_UP1" "$(as_user "$VIA" "$UP1" -- $(client tcp))"

# OpenVPN's redirect-gateway def1: two /1 routes in main, narrower than any
# default route. via's table does not consult main: the program keeps $UP1.
ip -n "$H" route add 0.0.0.0/1 via 10.77.2.1 dev "$UP2"
ip -n "$H" route add 128.0.0.0/1 via 10.77.2.1 dev "$UP2"
expect_eq "OpenVPN's routes in main: nothing to warn of" "" "$(as_user "$VIA" "$UP1" -- true 2>&1)"
vpn_holds "OpenVPN's 0.0.0.0/1 pair"

# ... and its kill switch holds there too.
before=$(server_packets "$SV2" "$PORT")
as_user "$VIA" "$UP1" -- sh -c "while [ ! -e $TMP/go ]; do sleep 0.1; done; $(client tcp)" >"$TMP/out" 2>&1 &
waiter=$!
sleep 0.3
ip -n "$H" link set "$UP1" down
touch "$TMP/go"
wait "$waiter" || true
expect_eq "a running program's connection fails when $UP1 goes down" "client: [Errno 113] No route to host" "$(cat "$TMP/out")"
expect_eq "and does not enter the VPN" "$before" "$(server_packets "$SV2" "$PORT")"

finish
