#!/usr/bin/env bash
# A tether re-plugged or a VPN reconnecting deletes the interface and makes
# a new one of the same name, with a new ifindex: via gives it new ids and
# never hands the old ones to anything else; a program still running on it
# carries on once via has seen the new interface.
source "$(dirname "$0")/lib.sh"
setup_all

make_up2() {
    ip -n "$H" link add "$UP2" type veth peer name "$SV2" netns "$S"
    ip -n "$H" addr add 10.77.2.2/24 dev "$UP2"
    ip -n "$S" addr add 10.77.2.1/24 dev "$SV2"
    ip -n "$H" link set "$UP2" up
    ip -n "$S" link set "$SV2" up
}

old_mark=$(mark_of "$UP2")
leaked=$(server_packets "$SV0" "$PORT")
start_prober --gateway 10.77.2.1 "$UP2"
check "the program goes by $UP2" wait_probe 0 "tcp iif=$SV2 src=10.77.2.2"

from=$(probe_lines)
ip -n "$H" link del "$UP2"
check "with $UP2 gone, its connections fail" wait_probe "$from" "client:" 2

# The same name again, as after a re-plug: a new ifindex.
ip -n "$H" link add "${UP2}x" type veth peer name "${UP2}y"  # takes the next ifindex
make_up2
restart_server
new_mark=$(mark_of "$UP2")
check "the new $UP2 has a new ifindex, so new ids" test "$new_mark" != "$old_mark"

# Any launch of via for it (the user's next one, here) brings the running
# program along. ($UP2 has no default route of its own, so the network
# manager's hook could not; test_kill_switch covers the hook.)
from=$(probe_lines)
as_user "$VIA" --gateway 10.77.2.1 "$UP2" -- true
check "the running program now goes by the new $UP2" wait_probe "$from" "tcp iif=$SV2 src=10.77.2.2"
stop_prober

ruleset=$(ip netns exec "$H" nft list table inet via)
expect_eq "one masquerade rule for $UP2, with the new mark" 1 "$(grep -c "uplink $UP2: masquerade marks $new_mark" <<<"$ruleset")"
expect_eq "no nft rule of the old mark" 0 "$(grep -c "$old_mark" <<<"$ruleset" || true)"
expect_eq "the new table holds the new route" "default via 10.77.2.1 dev $UP2 proto 86 metric 100" \
    "$(table_default "$new_mark")"
expect_eq "the old table has no default route" "" "$(table_default "$old_mark")"
# The old mark's rules stay (nothing uses that mark: ifindexes are not
# reused) and still end in the kill switch.
expect_eq "the old mark still ends in the kill switch" 1 \
    "$(kill_switch_in "$old_mark")"
expect_eq "no packet took $UP0 meanwhile" "$leaked" "$(server_packets "$SV0" "$PORT")"

finish
