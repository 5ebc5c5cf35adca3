#!/usr/bin/env bash
# When the uplink goes away, the program's traffic fails instead of taking
# the default uplink; it flows again when the uplink is back.
source "$(dirname "$0")/lib.sh"
setup_all

start_prober "$UP1"
check "the running program goes by $UP1" wait_probe 0 "tcp iif=$SV1 src=10.77.1.2"

# 1. Carrier lost (cable pulled, Wi-Fi gone): the kernel keeps the routes.
leaked=$(server_packets "$SV0" "$PORT")
from=$(probe_lines)
ip -n "$S" link set "$SV1" down
check "without carrier, connections fail" wait_probe "$from" "client:" 2
expect_eq "not one packet took $UP0 meanwhile" "$leaked" "$(server_packets "$SV0" "$PORT")"
from=$(probe_lines)
ip -n "$S" link set "$SV1" up
check "with carrier back, the same program's connections go by $UP1 again, nothing relaunched" \
    wait_probe "$from" "tcp iif=$SV1 src=10.77.1.2"

# 2. Interface down: the kernel deletes every route through it.
from=$(probe_lines)
ip -n "$H" link set "$UP1" down
check "with $UP1 down, connections fail" wait_probe "$from" "client:" 3
errors=$(tail -n +"$((from + 1))" "$PROBE_LOG" | grep "client:" | sort -u)
expect_eq "at once, as unreachable (the kill switch), not by time-out" \
    "client: [Errno 113] No route to host" "$errors"
expect_eq "not one packet took $UP0 meanwhile" "$leaked" "$(server_packets "$SV0" "$PORT")"
expect_eq "the kill switch is there, in the uplink's table" 1 "$(kill_switch_in "$(mark_of "$UP1")")"

# Back up: the network manager (here: the test) restores main's routes and
# runs its dispatcher hooks, via's among them, which restores the uplink's
# table for every program already running on it.
ip -n "$H" link set "$UP1" up
ip -n "$H" route add default via 10.77.1.1 dev "$UP1" metric 200
from=$(probe_lines)
in_host env PATH="$(dirname "$VIA"):/usr/bin:/bin" sh "$HERE/../../contrib/networkmanager/90-via" "$UP0" up
check "after the hook (for any interface), the same program's connections flow again, nothing relaunched" \
    wait_probe "$from" "tcp iif=$SV1 src=10.77.1.2"
expect_eq "the hook made nothing for $UP0, which via does not serve" "" \
    "$(ip -n "$H" route show table $(($(mark_of "$UP0"))) 2>/dev/null; via_rules | grep "$(mark_of "$UP0")" || true)"
stop_prober
expect_eq "no packet of the program ever took $UP0" "$leaked" "$(server_packets "$SV0" "$PORT")"

# --no-kill-switch: the launch's programs fall back to the normal routes (a
# leak, by design and documented); other launches on the uplink keep their
# kill switch.
start_prober --no-kill-switch --gateway 10.77.2.1 "$UP2"
check "with --no-kill-switch, the program goes by $UP2" wait_probe 0 "tcp iif=$SV2 src=10.77.2.2"
open_mark=$(printf '0x%x' $(($(mark_of "$UP2") - 0x10000)))
expect_eq "its launch has the open mark, whose table has no kill switch" 0 "$(kill_switch_in "$open_mark")"
expect_contains "and a rule of its own" "31900:	from all fwmark $open_mark lookup $((open_mark)) proto 86" "$(via_rules)"
expect_eq "while the uplink's own mark keeps its kill switch" 1 "$(kill_switch_in "$(mark_of "$UP2")")"
from=$(probe_lines)
ip -n "$H" link set "$UP2" down
check "with $UP2 down, it falls back to the default uplink" wait_probe "$from" "tcp iif=$SV0 src=10.77.0.2"
stop_prober

finish
