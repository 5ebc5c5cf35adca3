#!/usr/bin/env bash
# Network namespaces each have their own interfaces: the same name is
# another interface elsewhere, with another ifindex, another mark and other
# connected networks. A launch in another namespace (a member's, on an
# uplink of the same name there) leaves the programs of this one as they
# were: on their uplink, their LAN still reachable.
source "$(dirname "$0")/lib.sh"
setup_all

H2=via-h2-$RUN
test_cleanup() { ip netns del "$H2" 2>/dev/null; }
ip netns add "$H2"
ip -n "$H2" link set lo up
# Devices first, so that $UP1 there gets another ifindex than here.
for i in 1 2 3 4 5; do ip -n "$H2" link add "pad$i" type veth peer name "pad${i}p"; done
ip -n "$H2" link add "$UP1" type veth peer name "${UP1}p"
ip -n "$H2" addr add 10.88.1.2/24 dev "$UP1"
ip -n "$H2" addr add 10.88.9.2/24 dev "${UP1}p"
ip -n "$H2" link set "$UP1" up
ip -n "$H2" link set "${UP1}p" up
ip -n "$H2" route add default via 10.88.1.1 dev "$UP1"
here=$(ip -n "$H" -o link show "$UP1" | cut -d: -f1)
there=$(ip -n "$H2" -o link show "$UP1" | cut -d: -f1)
check "$UP1 has another ifindex in the other namespace ($there, not $here)" test "$here" != "$there"

# A program here, on $UP1, that connects once told to: to the service (by
# $UP1) and to the LAN of $UP0 (10.77.0.1, by $UP0).
mkdir -m 1777 "$TMP/shared"
as_user "$VIA" "$UP1" -- sh -c "while [ ! -e $TMP/shared/go ]; do sleep 0.1; done
    $PY $HELPERS/client.py tcp $SERVICE $PORT; $PY $HELPERS/client.py tcp 10.77.0.1 $PORT" >"$TMP/here.out" 2>&1 &
program=$!
for _ in $(seq 50); do pgrep -u "$TUSER" -x sh >/dev/null && break; sleep 0.1; done

# Meanwhile the member launches on $UP1 of the other namespace.
rc=0; out=$(nsenter --net="/run/netns/$H2" -- setpriv --reuid="$TUSER" --regid="$TUSER" --init-groups -- \
    "$VIA" -v "$UP1" -- true 2>&1) || rc=$?
expect_eq "a launch on $UP1 in the other namespace succeeds" 0 "$rc"
expect_contains "with the mark of $UP1 there" "$(printf 'mark 0x%x' $((0x56490000 + there)))" "$out"

touch "$TMP/shared/go"
rc=0; wait "$program" || rc=$?
expect_eq "the program here ends well" 0 "$rc"
expect_eq "still on $UP1 here, and its LAN by $UP0 still reachable" \
    "tcp iif=$SV1 src=10.77.1.2
tcp iif=$SV0 src=10.77.0.2" "$(cat "$TMP/here.out")"

# Each namespace's via sees its own: down there leaves this one's uplink.
nsenter --net="/run/netns/$H2" -- "$VIA" down "$UP1" >/dev/null
expect_eq "after via down there, a program here still goes by $UP1" "tcp iif=$SV1 src=10.77.1.2" \
    "$(as_user "$VIA" "$UP1" -- "$PY" "$HELPERS/client.py" tcp "$SERVICE" "$PORT")"
expect_contains "and via status here still lists $UP1" "$UP1" "$(in_host "$VIA" status)"

finish
