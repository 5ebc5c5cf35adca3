#!/usr/bin/env bash
# IPv6 leaves by the uplink when it has IPv6; else the program's IPv6 fails
# at once and not one packet of it leaves by another interface.
source "$(dirname "$0")/lib.sh"
setup_all

client() { echo "$PY $HELPERS/client.py $1 $2 $PORT"; }

out=$(as_user $(client tcp "$SERVICE6"))
expect_eq "without via, IPv6 goes by the default uplink" "tcp6 iif=$SV0 src=2001:db8::2" "$out"

out=$(as_user "$VIA" "$UP1" -- $(client tcp "$SERVICE6"))
expect_eq "via $UP1: IPv6 TCP arrives by $UP1 from its address" "tcp6 iif=$SV1 src=2001:db8:1::2" "$out"
out=$(as_user "$VIA" "$UP1" -- $(client udp "$SERVICE6"))
expect_eq "via $UP1: IPv6 UDP too" "udp6 iif=$SV1 src=2001:db8:1::2" "$out"
out=$(as_user "$VIA" --gateway6 2001:db8:1::1 "$UP1" -- $(client tcp "$SERVICE6"))
expect_eq "--gateway6 names the IPv6 next hop" "tcp6 iif=$SV1 src=2001:db8:1::2" "$out"

mark=$(mark_of "$UP1")
expect_eq "the uplink's IPv6 table" "default via 2001:db8:1::1 dev $UP1 proto 86 metric 100 pref medium" \
    "$(table_default "$mark" -6)"

# $UP2 has no IPv6 at all.
before=$(server_packets "$SV0" "$PORT")
rc=0
err=$(as_user "$VIA" -v --gateway 10.77.2.1 "$UP2" -- $(client tcp "$SERVICE6") 2>&1) || rc=$?
expect_eq "IPv6 through an uplink without IPv6 fails" 1 "$rc"
# EHOSTUNREACH from connect() itself (via's unreachable route), not a
# time-out: the refusal is immediate.
expect_contains "at once, as unreachable" "client: [Errno 113] No route to host" "$err"
expect_contains "--verbose says why" "has no global IPv6 address: the program's IPv6 is refused" "$err"
rc=0
err=$(as_user "$VIA" --gateway 10.77.2.1 "$UP2" -- $(client udp "$SERVICE6") 2>&1) || rc=$?
expect_contains "IPv6 UDP is refused the same way" "No route to host" "$err"
expect_eq "not one IPv6 packet reached the server by the default uplink" "$before" "$(server_packets "$SV0" "$PORT")"
out=$(as_user "$VIA" --gateway 10.77.2.1 "$UP2" -- $(client tcp "$SERVICE"))
expect_eq "while IPv4 by $UP2 works" "tcp iif=$SV2 src=10.77.2.2" "$out"
expect_eq "the IPv6 refusal: an unreachable route in the uplink's IPv6 table" 1 "$(kill_switch_in "$(mark_of "$UP2")" -6)"
expect_eq "and no IPv6 default route" "" "$(table_default "$(mark_of "$UP2")" -6)"

finish
