#!/usr/bin/env bash
# The uplink's address changes under a running program: new connections
# leave with the new address.
source "$(dirname "$0")/lib.sh"
setup_all
# What network managers set, so a renewed address replaces the old one
# without flushing the interface's routes.
in_host sysctl -qw "net.ipv4.conf.$UP1.promote_secondaries=1"

leaked=$(server_packets "$SV0" "$PORT")
start_prober "$UP1"
check "the program starts with $UP1's first address" wait_probe 0 "tcp iif=$SV1 src=10.77.1.2"

# A renewal with a new address: added, then the old one removed.
from=$(probe_lines)
ip -n "$H" addr add 10.77.1.3/24 dev "$UP1"
ip -n "$H" addr del 10.77.1.2/24 dev "$UP1"
check "new connections carry the new address, nothing relaunched" wait_probe "$from" "tcp iif=$SV1 src=10.77.1.3"

# A client that flushes the interface first (routes go with the address):
# the kill switch holds until a launch of via repairs the uplink's table.
from=$(probe_lines)
ip -n "$H" addr flush dev "$UP1"
ip -n "$H" addr add 10.77.1.4/24 dev "$UP1"
ip -n "$H" route add default via 10.77.1.1 dev "$UP1" metric 200
check "meanwhile connections fail" wait_probe "$from" "client:" 2
from=$(probe_lines)
as_user "$VIA" "$UP1" -- true
check "after a launch of via, the running program uses the new address" \
    wait_probe "$from" "tcp iif=$SV1 src=10.77.1.4"

# A new gateway (a renewal that moves the default route): the launch of via
# that follows points the uplink's table at it.
ip -n "$S" addr add 10.77.1.254/24 dev "$SV1"
ip -n "$H" route replace default via 10.77.1.254 dev "$UP1" metric 200
mark=$(mark_of "$UP1")
out=$(as_user "$VIA" -v "$UP1" -- true 2>&1)
expect_contains "via adds the new route" "via: created  route default via 10.77.1.254 dev $UP1 table $((mark))" "$out"
expect_contains "and deletes the stale one" "deleted stale route default via 10.77.1.1 dev #" "$out"
expect_eq "the uplink's table points at the new gateway" "default via 10.77.1.254 dev $UP1 proto 86 metric 100" \
    "$(table_default "$mark")"
from=$(probe_lines)
check "the running program goes on by $UP1" wait_probe "$from" "tcp iif=$SV1 src=10.77.1.4"
stop_prober
expect_eq "no packet took $UP0 meanwhile" "$leaked" "$(server_packets "$SV0" "$PORT")"
expect_eq "the server never saw an old address after the last change" 0 \
    "$(tail -n +"$((from + 1))" "$PROBE_LOG" | grep -c 'src=10.77.1.[23]' || true)"

finish
