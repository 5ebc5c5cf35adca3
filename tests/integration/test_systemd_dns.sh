#!/usr/bin/env bash
# On a systemd machine: a launch without --dns resolves through the
# uplink's own servers, as systemd-resolved knows them for its interface
# (a network manager's per-link DNS; the launcher asks it itself), not
# through the system's resolver by the default uplink; and a service run as
# an uplink's dedicated user (User=via-NAME in its unit) leaves by that
# uplink with no via launch.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/container.sh"
setup_all
ct_start

in_ct() { nsenter -t "$CT_LEADER" -a "$@"; }
ON_UP1="tcp iif=$SV1 src=10.77.1.2"

# The name server is reachable only through $UP1: the server drops what
# comes for port 53 by $UP0 (its counters, earlier in the path, still count).
ip netns exec "$S" nft -f - <<NFT
table inet block {
    chain prerouting {
        type filter hook prerouting priority -200; policy accept;
        iifname "$SV0" meta l4proto { tcp, udp } th dport 53 drop
    }
}
NFT
# What NetworkManager does for a link it manages: resolved's per-link DNS.
in_ct resolvectl dns "$UP1" "$DNS"
expect_contains "resolved has $UP1's server" "$DNS" "$(in_ct resolvectl dns "$UP1")"

dns0=$(server_packets "$SV0" 53)
ct_script resolve <<EOF
via $UP1 -- getent ahostsv4 viaup1.example.test | awk 'NR == 1 { print \$1 }'
EOF
expect_eq "via $UP1 without --dns resolves through $UP1's own server" "198.51.100.7" "$(ct_user resolve)"
expect_contains "the server got the query by $UP1, from $UP1's address" \
    "dns iif=$SV1 src=10.77.1.2 name=viaup1.example.test" "$(cat "$TMP/server.log")"
expect_eq "0 DNS packets by $UP0" "$dns0" "$(server_packets "$SV0" 53)"
ct_script conf <<EOF
via $UP1 -- cat /etc/resolv.conf
EOF
expect_eq "the program's resolv.conf names $UP1's server" "nameserver $DNS" "$(ct_user conf | grep nameserver)"

# The launcher (bin/via) asks resolved itself: with via made unrunnable, a
# warm launch without --dns still gets $UP1's server from resolved.
ct_script launcher <<EOF
via $UP1 -- cat /etc/resolv.conf 2>&1
echo "exit \$?"
EOF
in_ct chmod 0700 /usr/local/libexec/via/via
out=$(ct_user launcher)
in_ct chmod 0755 /usr/local/libexec/via/via
expect_contains "the launcher alone launches" "exit 0" "$out"
expect_eq "with $UP1's server from resolved" "nameserver $DNS" "$(grep nameserver <<<"$out")"

ct_script check <<EOF
via check $UP1
EOF
expect_contains "via check sees $UP1's DNS server, from resolved" \
    "DNS through $UP1: $DNS (from systemd-resolved, for this link)" "$(ct_user check)"

# resolved frozen (SIGSTOP): a launch waits 2 s for it, not sd-bus's 25,
# says that the program asks the system's resolver, and runs.
ct_script frozen <<EOF
timeout 10 via $UP1 -- true
echo "exit \$?"
EOF
in_ct pkill -STOP -x systemd-resolve
out=$(ct_user frozen 2>&1)
in_ct pkill -CONT -x systemd-resolve
expect_contains "with resolved frozen, the launch ends within 10 s, and runs" "exit 0" "$out"
expect_contains "and says resolved did not answer" "systemd-resolved did not answer (in 2 s) for $UP1's name servers" "$out"
# A launch stopped before the lock (here: waiting for a frozen resolved),
# while root revokes what it was granted, decides again under the lock and
# launches nothing.
in_ct pkill -STOP -x systemd-resolve
ct_user frozen >"$TMP/revoked.out" 2>&1 &
revoked=$!
sleep 1
mkdir -p "$CT_ROOT/etc/via"
printf '[defaults]\ninterfaces = none\n' >"$CT_ROOT/etc/via/via.conf"
chmod 0644 "$CT_ROOT/etc/via/via.conf"
wait "$revoked" || true
in_ct pkill -CONT -x systemd-resolve
rm "$CT_ROOT/etc/via/via.conf"
expect_contains "a launch whose grant root revoked while it waited fails" "exit 125" "$(cat "$TMP/revoked.out")"
expect_contains "and says why" "members may not name interfaces directly" "$(cat "$TMP/revoked.out")"
# resolved stopped: the bus does not start it again for via.
in_ct systemctl stop systemd-resolved
ct_user frozen >/dev/null 2>&1
expect_eq "a launch does not make the bus start resolved" inactive "$(in_ct systemctl is-active systemd-resolved || true)"
in_ct systemctl start systemd-resolved
in_ct resolvectl dns "$UP1" "$DNS"

# (Asked last: resolved goes on retrying by $UP0 for a while.)
ct_script plain <<EOF
getent ahostsv4 plain.example.test || echo "no answer"
EOF
expect_eq "without via, the system's resolver (by $UP0) gets no answer" "no answer" "$(ct_user plain)"


# --- a service as the uplink's dedicated user --------------------------------
mkdir -p "$CT_ROOT/etc/via"
cat >"$CT_ROOT/etc/via/via.conf" <<EOF
[uplink one]
interface = $UP1
EOF
chmod 0644 "$CT_ROOT/etc/via/via.conf"
expect_contains "via adduser one" "made user via-one" "$(in_ct via adduser one)"
# A reboot's worth: via's bpffs directory gone, nothing marks via-one's
# sockets until the unit's ExecStartPre has run `via repair`.
in_ct sh -c 'rm -rf /sys/fs/bpf/via'
cat >"$CT_ROOT/etc/systemd/system/via-test-daemon.service" <<EOF
[Unit]
Description=a daemon that must use uplink one

[Service]
Type=oneshot
User=via-one
ExecStartPre=+/usr/local/bin/via repair one
ExecStart=/usr/bin/python3 /srv/via-test/client.py tcp $SERVICE $PORT
StandardOutput=file:/srv/via-test/daemon.out
EOF
in_ct systemctl daemon-reload
up0=$(server_packets "$SV0" "$PORT")
in_ct systemctl start via-test-daemon.service
expect_eq "the service, User=via-one, leaves by $UP1 with no via launch" "$ON_UP1" "$(cat "$(ct_file daemon.out)")"
expect_eq "and sends nothing by $UP0" "$up0" "$(server_packets "$SV0" "$PORT")"
expect_eq "it ran as via-one" "via-one" "$(in_ct systemctl show -p User --value via-test-daemon.service)"

finish
