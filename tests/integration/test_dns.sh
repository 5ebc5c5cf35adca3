#!/usr/bin/env bash
# --dns: the program resolves names through the uplink, with its own
# sockets; not one DNS packet leaves by the default uplink. The servers
# are the launch's own: another launch on the same uplink keeps its own.
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

out=$(as_user "$VIA" --dns "$DNS" "$UP1" -- "$PY" "$HELPERS/client.py" dns-from 192.0.2.99 from.example.test)
expect_eq "the redirected reply seems to come from the address asked" "198.51.100.7 from 192.0.2.99" "$out"

# Servers of one family only: a query of the other has nowhere to go but a
# server the launch did not choose, and is refused, not sent.
dns1=$(server_packets "$SV1" 53)
rc=0; out=$(as_user "$VIA" --dns "$DNS" "$UP1" -- "$PY" "$HELPERS/client.py" dns 2001:db8:1::1 v6.example.test 2>&1) || rc=$?
expect_eq "with IPv4 --dns servers only, an IPv6 query is refused" "1 client: [Errno 1] Operation not permitted" "$rc $out"
rc=0; out=$(as_user "$VIA" --dns 2001:db8:1::1 "$UP1" -- "$PY" "$HELPERS/client.py" dns 192.0.2.99 v4.example.test 2>&1) || rc=$?
expect_eq "with IPv6 --dns servers only, an IPv4 query is refused" "1 client: [Errno 1] Operation not permitted" "$rc $out"
expect_eq "and neither was sent" "$dns1" "$(server_packets "$SV1" 53)"

# The program sees the machine's /run/via (via's lock and notes), not the
# scratch mount its resolv.conf was written in: a via it runs shares them.
out=$(as_user "$VIA" --dns "$DNS" "$UP1" -- ls /run/via)
expect_contains "a --dns program sees via's own /run/via" "uplinks" "$out"
expect_eq "with resolv.conf still its own" "nameserver $DNS" \
    "$(as_user "$VIA" --dns "$DNS" "$UP1" -- grep nameserver /etc/resolv.conf)"

# The redirection belongs to the launch: a later launch without --dns has none.
rc=0
as_user "$VIA" "$UP1" -- "$PY" "$HELPERS/client.py" dns 192.0.2.99 later.example.test >/dev/null 2>&1 || rc=$?
expect_eq "a launch without --dns is not redirected by an earlier one's" 1 "$rc"
check "its query went to the address it asked, not to the server" \
    sh -c "! grep -q later.example.test '$TMP/server.log'"

expect_eq "not one DNS packet left by the default uplink" "$dns0" "$(server_packets "$SV0" 53)"

# The capabilities used for the mount namespace are gone too.
out=$(as_user "$VIA" --dns "$DNS" "$UP1" -- grep -E '^Cap(Prm|Eff|Amb):' /proc/self/status | cut -f2 | sort -u)
expect_eq "with --dns the program still holds no capability" "0000000000000000" "$out"

# With --dns, the program runs with no_new_privs: a setuid program gets no
# privilege from the resolver its caller chose.
expect_eq "with --dns, no_new_privs" "NoNewPrivs:	1" "$(as_user "$VIA" --dns "$DNS" "$UP1" -- grep NoNewPrivs /proc/self/status)"
expect_eq "without, none" "NoNewPrivs:	0" "$(as_user "$VIA" "$UP1" -- grep NoNewPrivs /proc/self/status)"

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

# A name server on another uplink's network (a router's, from DHCP): its
# queries would leave by that uplink.
printf 'nameserver 10.77.0.1\n' >"$TMP/stub-resolv.conf"
expect_contains "a name server on another uplink's network is warned about" \
    "via: warning: names are resolved by 10.77.0.1, on the network of $UP0: the program's queries leave by $UP0, not $UP1" \
    "$(warn "$UP1")"
expect_eq "not when it is on the uplink's own network" "" "$(warn "$UP0")"

# The uplink's servers from /etc/via: a launch without --dns uses them.
write_config "[defaults]
admins = $TUSER
[uplink one]
interface = $UP1
dns = $DNS"
out=$(as_user "$VIA" one -- getent ahostsv4 conf.example.test | awk 'NR == 1 { print $1 }')
expect_eq "the uplink's configured servers resolve by default" "198.51.100.7" "$out"
expect_contains "by $UP1" "dns iif=$SV1 src=10.77.1.2 name=conf.example.test" "$(cat "$TMP/server.log")"
expect_eq "with the uplink's servers (not the caller's), no no_new_privs" "NoNewPrivs:	0" \
    "$(as_user "$VIA" one -- grep NoNewPrivs /proc/self/status)"

finish
