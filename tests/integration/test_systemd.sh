#!/usr/bin/env bash
# On a systemd machine: a program launched via an uplink from a logind
# session stays in that session, and stays on the uplink when it moves to a
# scope of its own (systemd-run --user --scope, StartTransientUnit over
# D-Bus for itself) or when PID 1 moves it (AttachProcessesToUnit).
# Routing, the kill switch and DNS work there as on a bare host, and via
# changes nothing in bpffs, nor among the programs systemd attached, but
# its own pins.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/container.sh"
setup_all
ct_start

CLIENT="python3 /srv/via-test/client.py"
ON_UP1="tcp iif=$SV1 src=10.77.1.2"
in_ct() { nsenter -t "$CT_LEADER" -a "$@"; }

# --- the test bed is what it claims to be ---------------------------------
ct_script bed <<'EOF'
echo "session=$XDG_SESSION_ID"
systemctl --user is-system-running
busctl --user status >/dev/null && echo "session bus"
EOF
bed=$(ct_user bed)
expect_contains "a logind session" "session=" "$bed"
expect_contains "the user manager runs" "running" "$bed"
expect_contains "with a session bus" "session bus" "$bed"
expect_eq "networkd manages $UP0" "configured" "$(in_ct networkctl list --no-legend "$UP0" | awk '{ print $5 }')"
expect_contains "resolved has $UP0's DNS server" "$DNS" "$(in_ct resolvectl dns "$UP0")"
bpf_before=$(in_ct find /sys/fs/bpf | sort)
# Programs others attached, by id (systemd attaches more as it starts units).
attached_ids() {
    # A cgroup that goes while bpftool walks the tree (the container's
    # systemd ends a scope) fails the walk: walked again.
    local tree=
    for _ in 1 2 3 4 5; do
        tree=$(bpftool cgroup tree "$CG2" 2>/dev/null) && break
        tree=
        sleep 0.2
    done
    awk '$1 ~ /^[0-9]+$/ && !/via_/ { print $1 }' <<<"$tree" | sort -u
}
others_before=$(attached_ids)

# --- a plain launch from the session --------------------------------------
# (The container's /run is its own: the first launch makes /run/via.)
expect_eq "no /run/via before via's first launch" "" "$(in_ct ls -d /run/via 2>/dev/null || true)"
ct_script plain <<EOF
via $UP1 -- sh -c 'grep "^0::" /proc/self/cgroup; $CLIENT tcp $SERVICE $PORT'
EOF
out=$(ct_user plain)
expect_contains "via $UP1 from a session: the server sees $UP1's address" "$ON_UP1" "$out"
expect_contains "the program stays in the caller's session scope" \
    "0::/user.slice/user-$(in_ct id -u "$CT_USER").slice/session-" "$out"
expect_eq "via made /run/via and its lock, root's" "root:755 root:600" \
    "$(in_ct stat -c %U:%a /run/via /run/via/lock 2>/dev/null | paste -sd' ')"

# --- scopes of its own ----------------------------------------------------
up0=$(server_packets "$SV0" "$PORT")
ct_script scope <<EOF
via $UP1 -- systemd-run --user --scope --quiet sh -c 'grep "^0::" /proc/self/cgroup; $CLIENT tcp $SERVICE $PORT'
EOF
out=$(ct_user scope)
expect_contains "systemd-run --user --scope moved the program to app.slice" "/app.slice/run-" "$out"
expect_contains "and it still leaves by $UP1" "$ON_UP1" "$out"

# What Chromium and flatpak do: ask the user manager for a scope of one's own.
ct_script transient <<EOF
via $UP1 -- sh -c '
    busctl --user call org.freedesktop.systemd1 /org/freedesktop/systemd1 org.freedesktop.systemd1.Manager \\
        StartTransientUnit "ssa(sv)a(sa(sv))" via-test-\$\$.scope fail 1 PIDs au 1 \$\$ 0 >/dev/null
    for i in 1 2 3 4 5 6 7 8 9 10; do grep -q via-test- /proc/self/cgroup && break; sleep 0.1; done
    grep "^0::" /proc/self/cgroup
    $CLIENT tcp $SERVICE $PORT'
EOF
out=$(ct_user transient)
expect_contains "StartTransientUnit for itself moved the program to its scope" "/via-test-" "$out"
expect_contains "and it still leaves by $UP1" "$ON_UP1" "$out"

# PID 1 moves a running program into a unit of root's.
in_ct systemd-run --quiet --unit=via-test-target -p Delegate=yes sleep infinity
ct_start_prober "$UP1"
check "the prober runs via $UP1" ct_wait_probe 0 "$ON_UP1"
in_ct busctl call org.freedesktop.systemd1 /org/freedesktop/systemd1 org.freedesktop.systemd1.Manager \
    AttachProcessesToUnit ssau via-test-target.service "" 1 "$CT_PROBER_PID"
expect_contains "PID 1 moved the prober into root's unit" "via-test-target.service" "$(in_ct cat "/proc/$CT_PROBER_PID/cgroup")"
check "after the move, its connections still leave by $UP1" ct_wait_probe "$(ct_probe_lines)" "$ON_UP1" 3
expect_eq "no connection of the prober failed" "" "$(grep -v "$ON_UP1" "$(ct_file probe.log)" || true)"

# --- status and check, from a session of the member ---------------------------
ct_script status <<EOF
via status
EOF
out=$(ct_user status)
expect_contains "via status in the container lists $UP1" "$UP1: up" "$out"
expect_contains "and the moved prober, as the member's" "$CT_USER" "$out"
expect_contains "by its command line" "sh -c while" "$out"
ct_script status_json <<EOF
via status --json | python3 -c 'import json, sys; d = json.load(sys.stdin); print(sum(p["packets"] for u in d["uplinks"] for p in u["programs"]))'
EOF
check "its counters count what it sent" test "$(ct_user status_json)" -gt 0
ct_script check <<EOF
via check $UP1; echo "exit \$?"
EOF
out=$(ct_user check)
expect_contains "via check $UP1 passes in the container" "exit 0" "$out"
expect_contains "and names $UP1's next hop" "next hop 10.77.1.1" "$out"

# --- kill switch, on the moved prober ---------------------------------------
ip -n "$H" link set "$UP1" down
check "with $UP1 down, its connections fail at once (unreachable)" \
    ct_wait_probe "$(ct_probe_lines)" "No route to host" 2
ip -n "$H" link set "$UP1" up
ip -n "$H" route replace default via 10.77.1.1 dev "$UP1" metric 200
ct_script relaunch <<EOF
via $UP1 -- true 2>/dev/null
EOF
from=$(ct_probe_lines)
ct_user relaunch
check "the next launch brings it back to $UP1" ct_wait_probe "$from" "$ON_UP1"
ct_stop_prober
expect_eq "none of these programs' packets ever left by $UP0" "$up0" "$(server_packets "$SV0" "$PORT")"

# --- DNS ------------------------------------------------------------------
ct_script stub <<EOF
via $UP1 -- true 2>&1
EOF
expect_contains "without --dns, via warns of resolved's stub" "127.0.0.53" "$(ct_user stub)"
dns0=$(server_packets "$SV0" 53)
ct_script dns <<EOF
via --dns $DNS $UP1 -- getent ahostsv4 example.test
EOF
expect_contains "with --dns, the name resolves" "198.51.100.7" "$(ct_user dns)"
check "the server answered the query on $UP1" grep -q "dns iif=$SV1 src=10.77.1.2 name=example.test" "$TMP/server.log"
expect_eq "and no DNS packet left by $UP0" "$dns0" "$(server_packets "$SV0" 53)"

# --- via's own objects only ---------------------------------------------
expect_eq "bpffs gained via's directory and nothing else" \
    "$(printf '%s\n' "$bpf_before" /sys/fs/bpf/via "$(in_ct sh -c 'ls -d /sys/fs/bpf/via/*')" | sort)" \
    "$(in_ct find /sys/fs/bpf | sort)"
ct_marker=$(in_ct ls /sys/fs/bpf/via | sed -n 's/^\(sock_create\|socket\)-.*/\1/p')
expect_eq "via's pins: fourteen maps, ten links" \
    "$(printf '%s\n' connect4- connect6- dns_peers egress- fork- lans_ns launches owners recvmsg4- recvmsg6- rule_ports \
        rule_to rules_ns sendmsg4- sendmsg6- "$ct_marker-" sock_dns sock_netns state sysctl- tasks traffic uplinks_ns \
        users | LC_ALL=C sort | xargs)" \
    "$(in_ct ls /sys/fs/bpf/via | LC_ALL=C sort | sed 's/-.*/-/' | xargs)"
check "systemd had attached programs of its own" test -n "$others_before"
expect_eq "none of them was detached or replaced" "" "$(comm -23 <(echo "$others_before") <(attached_ids))"
payload=$(find "$CG2/container" -maxdepth 2 -type d -name payload)
check "via's socket program is attached at the container's root cgroup" \
    bash -c "bpftool cgroup show '$payload' | grep -qE 'via_sock_create|via_socket'"

finish
