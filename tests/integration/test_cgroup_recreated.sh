#!/usr/bin/env bash
# The mark rule matches a cgroup id, fixed when it is loaded. A cgroup that
# was removed and made again has a new id: via replaces its stale rule
# instead of adding a second one, and traffic keeps going by the uplink.
source "$(dirname "$0")/lib.sh"
setup_all

as_user "$VIA" "$UP1" -- true
rule() { ip netns exec "$H" nft list chain inet via output | grep "uplink $UP1:"; }
first=$(rule)

rmdir "$CG2/via/$UP1"
out=$(as_user "$VIA" -v "$UP1" -- "$PY" "$HELPERS/client.py" tcp "$SERVICE" "$PORT" 2>"$TMP/err")
expect_eq "traffic from the new cgroup goes by $UP1" "tcp iif=$SV1 src=10.77.1.2" "$out"
expect_contains "via says it replaced the rule" "replaced nft rule inet via output" "$(cat "$TMP/err")"
second=$(rule)
expect_eq "exactly one mark rule for $UP1" 1 "$(wc -l <<<"$second")"
check "the rule now names another cgroup id" test "$first" != "$second"
new_id=$(sed -E 's/.*socket cgroupv2 level 2 ([0-9]+).*/\1/' <<<"$second")
cg_id=$(stat -c %i "$CG2/via/$UP1")
expect_eq "the rule's cgroup id is the cgroup's" "$cg_id" "$new_id"

finish
