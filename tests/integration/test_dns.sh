#!/usr/bin/env bash
# --dns: the program resolves names through the uplink, with its own
# sockets; not one DNS packet leaves by the default uplink.
source "$(dirname "$0")/lib.sh"
setup_all

resolv_before=$(sha256sum /etc/resolv.conf)
dns0=$(server_packets "$SV0" 53)

out=$(as_user "$VIA" --dns "$DNS" "$UP1" -- getent ahostsv4 www.example.test | awk 'NR == 1 { print $1 }')
expect_eq "names resolve (through the system resolver, glibc) by $UP1" "198.51.100.7" "$out"
expect_contains "the server got the query by $UP1 from $UP1's address" \
    "dns iif=$SV1 src=10.77.1.2 name=www.example.test" "$(cat "$TMP/server.log")"

out=$(as_user "$VIA" --dns "$DNS" "$UP1" -- cat /etc/resolv.conf)
expect_eq "the program's resolv.conf names only the --dns servers" "nameserver $DNS" "$(grep nameserver <<<"$out")"
expect_eq "the machine's resolv.conf is untouched" "$resolv_before" "$(sha256sum /etc/resolv.conf)"
expect_eq "programs outside via see the machine's resolv.conf" "$(cat /etc/resolv.conf)" "$(as_user cat /etc/resolv.conf)"

# A program that ignores resolv.conf and asks another server: redirected.
out=$(as_user "$VIA" --dns "$DNS" "$UP1" -- "$PY" "$HELPERS/client.py" dns 192.0.2.99 direct.example.test)
expect_eq "port-53 traffic to any server goes to the --dns server" "198.51.100.7" "$out"
expect_contains "through $UP1" "dns iif=$SV1 src=10.77.1.2 name=direct.example.test" "$(cat "$TMP/server.log")"

# The redirection belongs to the uplink: a later launch without --dns keeps it.
out=$(as_user "$VIA" "$UP1" -- "$PY" "$HELPERS/client.py" dns 192.0.2.99 later.example.test)
expect_eq "a launch without --dns keeps the uplink's DNS redirection" "198.51.100.7" "$out"

expect_eq "not one DNS packet left by the default uplink" "$dns0" "$(server_packets "$SV0" 53)"

# The capabilities used for the mount namespace are gone too.
out=$(as_user "$VIA" --dns "$DNS" "$UP1" -- grep -E '^Cap(Prm|Eff|Amb):' /proc/self/status | cut -f2 | sort -u)
expect_eq "with --dns the program still holds no capability" "0000000000000000" "$out"

# Without --dns, a local stub in resolv.conf earns a warning. The stub is
# shown to via alone, in a private mount namespace of the test's.
printf 'nameserver 127.0.0.53\nsearch lan\n' >"$TMP/stub-resolv.conf"
warn() {
    unshare -m sh -c "mount --bind $TMP/stub-resolv.conf /etc/resolv.conf &&
        nsenter --net=/run/netns/$H -- setpriv --reuid=$TUSER --regid=$TUSER --init-groups -- \
            env -i PATH=/usr/bin:/bin $VIA $* -- true" 2>&1
}
expect_contains "a local stub is warned about" \
    "via: warning: names are resolved by the local resolver at 127.0.0.53, whose queries leave by the default uplink, not $UP1" \
    "$(warn "$UP1")"
expect_eq "with --dns there is no warning" "" "$(warn --dns "$DNS" "$UP1")"

finish
