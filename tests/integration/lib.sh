# Shared by the integration tests; sourced, never run.
#
# Builds, per run, throwaway network namespaces and a test user:
#
#   host ($H)                                         server ($S)
#   $UP0 10.77.0.2/24 2001:db8:0::2/64 -- veth -- $SV0 10.77.0.1 2001:db8:0::1
#   $UP1 10.77.1.2/24 2001:db8:1::2/64 -- veth -- $SV1 10.77.1.1 2001:db8:1::1
#   $UP2 10.77.2.2/24 (no IPv6)        -- veth -- $SV2 10.77.2.1
#   $NOIP  up, no IPv4                     lo: $SERVICE 198.51.100.7
#   $DOWN  down, with an address               $SERVICE6 2001:db8:ff::7
#                                              $DNS 198.51.100.53
#
# The host's default routes (v4 and v6) are via $UP0 (metric 100); $UP1 has
# second ones (metric 200), as a network manager makes for a second uplink;
# $UP2 has none (it needs --gateway). Strict rp_filter everywhere in the
# host. The server answers on port $PORT (TCP and UDP, v4 and v6) with the
# interface a connection arrived on and its source address, and answers DNS
# on $DNS port 53; nft counters in the server namespace count,
# per interface, the packets that arrive for $PORT and for 53
# (server_packets IFACE PORT).
#
# Nothing here touches the root namespace's network state. Everything made
# is removed on exit, failure included.

set -euo pipefail

: "${VIA:?VIA must name the installed via binary}"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=/usr/bin/python3

fatal() { echo "FATAL: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fatal "integration tests build network namespaces: run them as root"

cgroup2_mount() {
    awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") print $5; break } }' /proc/self/mountinfo |
        tail -n1
}

# via attaches its socket program at the root of the cgroup2 hierarchy it
# sees and pins it in /sys/fs/bpf. Each test runs in a cgroup namespace
# rooted at a cgroup of its own, with its own cgroup2, bpffs and /run/via
# mounts, so that it attaches only there, and all of it goes when the test
# ends.
if [ -z "${VIA_TEST_CGROUP:-}" ]; then
    outer=$(cgroup2_mount)
    [ -n "$outer" ] || fatal "no cgroup2 mount in /proc/self/mountinfo"
    test_cg=$(mktemp -d "$outer/via-test-XXXXXX")
    # A mount point for the test's private /etc/via (below), if the
    # machine has none.
    made_etc_via= made_run_via=
    [ -d /etc/via ] || { mkdir -m 0755 /etc/via && made_etc_via=1; }
    # And for its private /run/via.
    [ -d /run/via ] || { mkdir -m 0755 /run/via && made_run_via=1; }
    rc=0
    (
        echo "$BASHPID" >"$test_cg/cgroup.procs"
        exec unshare --mount --cgroup --propagation private env VIA_TEST_CGROUP="$test_cg" bash "$0" "$@"
    ) || rc=$?
    # Whatever a failed test left running, then the cgroups it made.
    echo 1 >"$test_cg/cgroup.kill" 2>/dev/null || true
    for _ in $(seq 50); do
        find "$test_cg" -depth -type d -exec rmdir {} + 2>/dev/null || true
        [ -d "$test_cg" ] || break
        sleep 0.1
    done
    [ -d "$test_cg" ] && echo "warning: could not remove $test_cg" >&2
    [ -n "$made_etc_via" ] && rmdir /etc/via
    [ -n "$made_run_via" ] && rmdir /run/via
    exit "$rc"
fi
# (The same hierarchy cannot be mounted on itself: off with the inherited view.)
CG2=$(cgroup2_mount)
umount "$CG2"
mount -t cgroup2 cgroup2 "$CG2"
mount -t bpf -o mode=0700 bpf /sys/fs/bpf
# via's lock and notes in /run/via, private to the test as well.
mount -t tmpfs -o mode=0755 via-test /run/via
# via's configuration, private to the test too: by default the test user is
# the machine's admin (it may pass --gateway); tests write their own with
# write_config.
mount -t tmpfs -o mode=0755 via-test-etc /etc/via
[ -x "$VIA" ] || fatal "$VIA is not an installed via"
caps=$(getcap -v "$VIA" | sed 's/^[^ ]* //')
[ "$caps" = "cap_setgid,cap_setuid,cap_net_admin,cap_sys_admin=p" ] ||
    fatal "$VIA lacks its file capabilities (cmake --install as root): '$caps'"

RUN=$(od -An -N2 -tx2 /dev/urandom | tr -d ' ')
H=via-h-$RUN
S=via-s-$RUN
UP0=vu0$RUN UP1=vu1$RUN UP2=vu2$RUN
SV0=vs0$RUN SV1=vs1$RUN SV2=vs2$RUN
NOIP=vn$RUN DOWN=vd$RUN
SERVICE=198.51.100.7
SERVICE6=2001:db8:ff::7
DNS=198.51.100.53
PORT=7000
TUSER=via-t$RUN
TMP=$(mktemp -d /tmp/via-it-XXXXXX)
chmod 0755 "$TMP"
# The test user must be able to read the helpers wherever this tree is.
cp "$HERE/client.py" "$HERE/server.py" "$HERE/instance.py" "$TMP/"
HELPERS=$TMP
CG2=$(cgroup2_mount)

PASSED=0
FAILED=0
SERVER_PID=

cleanup() {
    local rc=$?
    set +e
    if declare -F test_cleanup >/dev/null; then test_cleanup; fi  # a test's own
    if declare -F ct_stop >/dev/null; then ct_stop; fi
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
    # Programs a failed test left running under via (the test's cgroup and
    # its pins go when the test's namespaces do, see the top).
    # userdel refuses while the user still has a process, and SIGKILL takes
    # a moment: wait for them to go, and say so if a user stays behind.
    pkill -9 -u "$TUSER" 2>/dev/null
    for _ in $(seq 40); do pgrep -u "$TUSER" >/dev/null 2>&1 || break; sleep 0.05; done
    ip netns del "$H" 2>/dev/null
    ip netns del "$S" 2>/dev/null
    local u
    for u in "$TUSER" "${TUSER}x"; do
        id "$u" >/dev/null 2>&1 && ! userdel "$u" 2>/dev/null && echo "warning: could not remove user $u" >&2
    done
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT

in_host() { nsenter --net="/run/netns/$H" -- "$@"; }
in_server() { nsenter --net="/run/netns/$S" -- "$@"; }

# Runs a command in the host namespace as the unprivileged test user, with
# the cgroup mounts visible (nsenter, not `ip netns exec`).
as_user() {
    in_host setpriv --reuid="$TUSER" --regid="$TUSER" --init-groups -- \
        env -i HOME=/ PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 "$@"
}

setup_user() {
    getent group via >/dev/null || fatal "group via is missing (cmake --install creates it)"
    useradd --system --no-create-home --user-group --groups via --shell /usr/sbin/nologin "$TUSER"
    write_config "[defaults]
admins = $TUSER"
}

# The path of an uplink's newest note in /run/via/uplinks/NETNS
# (NAME:GENERATION), or nothing; the host's namespace unless one is given.
note_of() {  # note_of UPLINK [NETNS-COOKIE]
    local dir=/run/via/uplinks/${2:-$H_NETNS} newest
    newest=$(ls "$dir" 2>/dev/null | grep -E "^$1:[0-9]+\$" | sort -t: -k2 -n | tail -n1)
    [ -z "$newest" ] || echo "$dir/$newest"
}

# The path of an uplink's stamp (the host's namespace's).
stamp_of() { echo "/run/via/stamps/$H_NETNS/$1"; }

# Writes /etc/via/via.conf (root's, 0644) with the given text.
write_config() {
    printf '%s\n' "$1" >/etc/via/via.conf
    chmod 0644 /etc/via/via.conf
}

setup_topology() {
    ip netns add "$H"
    ip netns add "$S"
    ip -n "$H" link set lo up
    ip -n "$S" link set lo up
    ip -n "$S" addr add "$SERVICE/32" dev lo
    ip -n "$S" addr add "$DNS/32" dev lo
    ip -n "$S" addr add "$SERVICE6/128" dev lo
    # The server plays both the uplinks' gateways and the remote host. A real
    # gateway asks ARP questions from its own LAN address; this one would
    # ask from the service address its reply comes from, and the host's
    # strict rp_filter (below) rightly ignores ARP from an address that main
    # routes elsewhere. arp_announce=2 makes it ask as a gateway does.
    ip netns exec "$S" sysctl -qw net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.default.arp_announce=2
    # Strict reverse-path filtering in the host, before its interfaces exist.
    in_host sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.default.rp_filter=1
    local i up sv
    for i in 0 1 2; do
        up=vu$i$RUN sv=vs$i$RUN
        ip -n "$H" link add "$up" type veth peer name "$sv" netns "$S"
        ip -n "$H" addr add "10.77.$i.2/24" dev "$up"
        ip -n "$S" addr add "10.77.$i.1/24" dev "$sv"
        ip -n "$H" link set "$up" up
        ip -n "$S" link set "$sv" up
    done
    for i in 0 1; do
        ip -n "$H" addr add "2001:db8:$i::2/64" dev "vu$i$RUN" nodad
        ip -n "$S" addr add "2001:db8:$i::1/64" dev "vs$i$RUN" nodad
    done
    ip -n "$H" route add default via 10.77.0.1 dev "$UP0" metric 100
    ip -n "$H" route add default via 10.77.1.1 dev "$UP1" metric 200
    ip -n "$H" -6 route add default via 2001:db8:0::1 dev "$UP0" metric 100
    ip -n "$H" -6 route add default via 2001:db8:1::1 dev "$UP1" metric 200
    # (No dummy driver on every kernel: host-local veth pairs instead.)
    ip -n "$H" link add "$NOIP" type veth peer name "${NOIP}p"
    ip -n "$H" link set "$NOIP" up
    ip -n "$H" link add "$DOWN" type veth peer name "${DOWN}p"
    ip -n "$H" addr add 10.77.9.2/24 dev "$DOWN"
    in_host sysctl -qw "net.ipv4.conf.$UP1.rp_filter=1" "net.ipv4.conf.$UP2.rp_filter=1"
}

# Counters, in the server namespace, of what arrives from the host.
setup_counters() {
    local rules="" i port
    for i in "$SV0" "$SV1" "$SV2"; do
        for port in "$PORT" 53; do
            rules+="iifname \"$i\" meta l4proto { tcp, udp } th dport $port counter comment \"$i $port\"
"
        done
    done
    ip netns exec "$S" nft -f - <<NFT
table inet seen {
    chain prerouting {
        type filter hook prerouting priority -300; policy accept;
$rules    }
}
NFT
}

server_packets() {  # server_packets IFACE PORT: packets that arrived there
    ip netns exec "$S" nft list chain inet seen prerouting |
        awk -v c="\"$1 $2\"" 'index($0, c) { for (i = 1; i <= NF; i++) if ($i == "packets") print $(i + 1) }'
}

start_server() {
    # Counters match interface names, so they outlive a restart.
    ip netns exec "$S" nft list table inet seen >/dev/null 2>&1 || setup_counters
    local ready
    ready=$(cat "$TMP/server.log" 2>/dev/null | grep -c ready || true)
    # nsenter execs the server, so $! is the server itself.
    nsenter --net="/run/netns/$S" -- "$PY" "$HELPERS/server.py" "$TMP/server.log" "$PORT" "$DNS" "$SV0" "$SV1" "$SV2" \
        >"$TMP/server.out" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 50); do
        [ "$(cat "$TMP/server.log" 2>/dev/null | grep -c ready)" -gt "$ready" ] && return 0
        sleep 0.1
    done
    fatal "test server did not start"
}

# Its sockets are bound to interfaces: after one is recreated, restart it.
restart_server() {
    kill "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
    start_server
}

setup_all() {
    setup_user
    setup_topology
    start_server
    H_NETNS=$(netns_cookie "$H")
}

# The cookie of a network namespace (SO_NETNS_COOKIE), by which via keeps
# its notes and stamps in /run/via apart (ids::own_netns).
netns_cookie() {  # netns_cookie NAME
    nsenter --net="/run/netns/$1" -- "$PY" -c 'import socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
print(int.from_bytes(s.getsockopt(socket.SOL_SOCKET, 71, 8), "little"))'
}

# --- assertions ---------------------------------------------------------

pass() { PASSED=$((PASSED + 1)); echo "ok: $1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL: $1" >&2; }

check() {  # check DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}

expect_eq() {  # expect_eq DESCRIPTION EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: expected '$2', got '$3'"; fi
}

expect_contains() {  # expect_contains DESCRIPTION NEEDLE HAYSTACK
    case $3 in
        *"$2"*) pass "$1" ;;
        *) fail "$1: '$2' not in: $3" ;;
    esac
}

finish() {
    echo "$PASSED passed, $FAILED failed"
    [ "$FAILED" = 0 ]
}

# --- observing the host -------------------------------------------------

# Everything of the host's network state that via could change, as text.
# Counters excepted (traffic changes them), byte for byte otherwise.
host_state() {
    ip -n "$H" rule show
    # (Less the link-local addresses' local routes, which appear when the
    # kernel's duplicate address detection is done, whenever that is.)
    ip -n "$H" route show table all | grep -v '^local fe80::' || true
    ip netns exec "$H" nft list ruleset | sed -E 's/counter packets [0-9]+ bytes [0-9]+/counter/'
    local i
    for i in "$UP0" "$UP1" "$UP2" "$NOIP" "$DOWN"; do
        printf '%s src_valid_mark=%s\n' "$i" "$(ip netns exec "$H" sysctl -n "net.ipv4.conf.$i.src_valid_mark")"
    done
    ls /sys/fs/bpf/via 2>/dev/null || true
    bpftool cgroup show "$CG2"
}

# via's table MARK (a number or 0x...): its default route, as `ip route`
# shows it; whether it holds the kill switch (1 or 0). [-6] for IPv6.
table_default() { ip -n "$H" ${2:-} route show table $(($1)) | grep '^default' | sed 's/ *$//'; }
kill_switch_in() { ip -n "$H" ${2:-} route show table $(($1)) | grep -c '^unreachable default' || true; }
# via's ip rules (one per mark and family), as `ip rule` shows them.
via_rules() { { ip -n "$H" rule show; ip -n "$H" -6 rule show; } | grep 'proto 86' || true; }

mark_of() {  # mark_of IFACE: via's mark (and table) for an interface of the host
    local ifindex
    ifindex=$(ip -n "$H" -o link show "$1" | cut -d: -f1)
    printf '0x%x' $((0x56490000 + ifindex))
}

# via's socket-marking program, as this kernel takes it (src/bpf/socket.bpf.c):
# sock_create where cgroup socket programs may read task storage (6.16+),
# socket (lsm_cgroup/socket_post_create) elsewhere. Known once via has
# loaded its programs; [DIR], the pin directory to look in.
marker() { ls "${1:-/sys/fs/bpf/via}" | sed -n 's/^\(sock_create\|socket\)-.*/\1/p'; }
# How many of via's socket-marking programs bpftool lists at a cgroup
# (the test's root by default).
markers_at() { bpftool cgroup show "${1:-$CG2}" | grep -cE 'via_sock_create|via_socket' || true; }

# The server's log lines since the given line count.
server_lines_since() { tail -n +"$(($1 + 1))" "$TMP/server.log"; }
server_line_count() { wc -l <"$TMP/server.log"; }

# --- a long-running program ----------------------------------------------

# Starts, through via on the given uplink, a program that makes a new TCP
# connection to the server every 0.2 s (and for each kind in $PROBE_KINDS,
# tcp by default, "tcp udp" for both) and logs each answer or error to
# $PROBE_LOG, until $PROBE_STOP exists.
start_prober() {  # start_prober VIA-ARGS...
    local dir kind body=""
    dir=$(mktemp -d "$TMP/prober-XXXXXX")
    PROBE_LOG=$dir/log PROBE_STOP=$dir/stop
    touch "$PROBE_LOG"
    chown -R "$TUSER:" "$dir"
    for kind in ${PROBE_KINDS:-tcp}; do
        body+="$PY $HELPERS/client.py $kind $SERVICE $PORT >>$PROBE_LOG 2>&1; "
    done
    as_user "$VIA" "$@" -- sh -c "while [ ! -e $PROBE_STOP ]; do $body sleep 0.2; done" &
    PROBER_PID=$!
}

stop_prober() {
    touch "$PROBE_STOP"
    wait "$PROBER_PID" || true
}

probe_lines() { wc -l <"$PROBE_LOG"; }

# Waits (10 s at most) until N lines matching PATTERN follow line FROM of
# LOG; true if they did.
wait_lines() {  # wait_lines LOG FROM PATTERN [N]
    local log=$1 from=$2 pattern=$3 n=${4:-1}
    for _ in $(seq 100); do
        [ "$(tail -n +"$((from + 1))" "$log" 2>/dev/null | grep -c -- "$pattern")" -ge "$n" ] && return 0
        sleep 0.1
    done
    return 1
}

# The same in the prober's log.
wait_probe() { wait_lines "$PROBE_LOG" "$@"; }  # wait_probe FROM PATTERN [N]
