#!/usr/bin/env bash
# Many users, one machine: two members of group via, A (the test user) and
# B. Nothing A may do changes B's route, DNS or kill switch, or blocks B's
# launches; /etc/via says who may do what, and bad configuration files are
# refused; dedicated users (via adduser, --as-user) leave by their uplink.
source "$(dirname "$0")/lib.sh"
setup_all

B=${TUSER}x
useradd --system --no-create-home --user-group --groups via --shell /usr/sbin/nologin "$B"
as_b() {
    in_host setpriv --reuid="$B" --regid="$B" --init-groups -- \
        env -i HOME=/ PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 "$@"
}
# A dedicated user for this run's uplink "d$RUN" (names are machine-wide).
U=d$RUN
DEDICATED=via-$U
test_cleanup() {
    pkill -9 -u "$B"
    pkill -9 -u "$DEDICATED"
    id "$DEDICATED" >/dev/null 2>&1 && userdel "$DEDICATED"
}

# Nobody is an admin: the machine's configuration has no [defaults] admins.
write_config "[uplink $U]
interface = $UP2
gateway = 10.77.2.1
as-user = $TUSER"

M1=$(mark_of "$UP1")
ON_UP1="tcp iif=$SV1 src=10.77.1.2"

# --- B runs a program via UP1 with its own name server ----------------------
blog=$TMP/b.log bstop=$TMP/b.stop
touch "$blog" && chown "$B" "$blog"
as_b "$VIA" --dns "$DNS" "$UP1" -- sh -c "i=0; while [ ! -e $bstop ]; do i=\$((i + 1));
    $PY $HELPERS/client.py dns 192.0.2.99 b\$i.example.test >>$blog 2>&1;
    $PY $HELPERS/client.py tcp $SERVICE $PORT >>$blog 2>&1; sleep 0.2; done" &
B_PID=$!
check "B's program resolves through its server and leaves by $UP1" wait_lines "$blog" 0 "$ON_UP1" 2
check "(its DNS answers)" wait_lines "$blog" 0 "^198.51.100.7$" 2
route_before=$(table_default "$M1")
route6_before=$(table_default "$M1" -6)
kill_before=$(kill_switch_in "$M1")

# --- what A may not do, and what A may do without touching B ---------------
try_a() {  # try_a DESCRIPTION CODE NEEDLE VIA-ARGS...
    local what=$1 code=$2 needle=$3 rc=0 out
    shift 3
    out=$(as_user "$VIA" "$@" 2>&1) || rc=$?
    expect_eq "$what: exit $code" "$code" "$rc"
    [ -z "$needle" ] || expect_contains "$what: says so" "$needle" "$out"
}
state_before=$(host_state)
try_a "A's --gateway is refused" 125 "via: --gateway sets the route of every program on interface '$UP1', which only root and its admins may change" \
    --gateway 10.77.1.99 "$UP1" -- true
try_a "A's --gateway6 is refused" 125 "--gateway6 sets the route of every program" --gateway6 2001:db8:1::99 "$UP1" -- true
try_a "A's --gateway for a configured uplink is refused" 125 "uplink '$U'" --gateway 10.77.2.99 "$U" -- true
expect_eq "refusals change nothing" "$state_before" "$(host_state)"

from=$(wc -l <"$blog")
try_a "A's --dns is A's own" 0 "" --dns 10.77.1.1 "$UP1" -- true
try_a "A may cut its own name resolution" 0 "" --dns 0.0.0.0 "$UP1" -- true
try_a "A's --no-kill-switch is A's own" 0 "" --no-kill-switch "$UP1" -- true
try_a "A's plain launch" 0 "" "$UP1" -- true
expect_eq "B's uplink keeps its route" "$route_before" "$(table_default "$M1")"
expect_eq "and its IPv6 route" "$route6_before" "$(table_default "$M1" -6)"
expect_eq "and its kill switch" "$kill_before" "$(kill_switch_in "$M1")"
check "B's running program still resolves through its own server" wait_lines "$blog" "$from" "^198.51.100.7$" 3
check "and still leaves by $UP1" wait_lines "$blog" "$from" "$ON_UP1" 3
expect_eq "no query or connection of B's failed" "" \
    "$(tail -n +"$((from + 1))" "$blog" | grep -v -e "$ON_UP1" -e '^198.51.100.7$' || true)"
touch "$bstop"
wait "$B_PID" || true

out=$(as_b "$VIA" --dns "$DNS" "$UP1" -- "$PY" "$HELPERS/client.py" dns 192.0.2.99 next.example.test)
expect_eq "B's next launch resolves through its own server" "198.51.100.7" "$out"
expect_eq "and leaves by $UP1" "$ON_UP1" "$(as_b "$VIA" "$UP1" -- "$PY" "$HELPERS/client.py" tcp "$SERVICE" "$PORT")"

# --- the configuration decides ---------------------------------------------
expect_eq "a member uses the configured gateway of a named uplink" "tcp iif=$SV2 src=10.77.2.2" \
    "$(as_b "$VIA" "$U" -- "$PY" "$HELPERS/client.py" tcp "$SERVICE" "$PORT")"
write_config "[uplink $U]
interface = $UP2
gateway = 10.77.2.1
users = $TUSER
admins = $TUSER
kill-switch = always"
state_before=$(host_state)
rc=0; out=$(as_b "$VIA" "$U" -- true 2>&1) || rc=$?
expect_eq "B, not in users, may not use the uplink" 125 "$rc"
expect_contains "and is told" "via: you may not use uplink '$U'" "$out"
rc=0; out=$(as_b "$VIA" "$UP2" -- true 2>&1) || rc=$?
expect_eq "nor its interface by name" 125 "$rc"
expect_eq "refusals change nothing" "$state_before" "$(host_state)"
expect_eq "A, its admin, may set its gateway" "tcp iif=$SV2 src=10.77.2.2" \
    "$(as_user "$VIA" --gateway 10.77.2.1 "$U" -- "$PY" "$HELPERS/client.py" tcp "$SERVICE" "$PORT")"
write_config "[uplink $U]
interface = $UP2
gateway = 10.77.2.1
kill-switch = always"
rc=0; out=$(as_user "$VIA" --no-kill-switch "$U" -- true 2>&1) || rc=$?
expect_eq "kill-switch = always: --no-kill-switch is refused to members" 125 "$rc"
expect_contains "and says why" "always has its kill switch on" "$out"

# Files root does not own, or others may write, are refused.
refused_conf() {  # refused_conf DESCRIPTION NEEDLE
    local rc=0 out before
    before=$(host_state)
    out=$(as_user "$VIA" "$UP1" -- true 2>&1) || rc=$?
    expect_eq "$1: exit 125" 125 "$rc"
    expect_contains "$1: says so" "$2" "$out"
    expect_eq "$1: changes nothing" "$before" "$(host_state)"
}
write_config "[uplink $U]
interface = $UP2"
chmod 0666 /etc/via/via.conf
refused_conf "a world-writable via.conf" "via: /etc/via/via.conf is writable by everybody: via refuses to read it"
chmod 0664 /etc/via/via.conf
refused_conf "a group-writable via.conf" "is writable by its group"
chmod 0644 /etc/via/via.conf && chown "$TUSER" /etc/via/via.conf
refused_conf "a via.conf a member owns" "via: /etc/via/via.conf belongs to uid $(id -u "$TUSER"), not root"
chown root /etc/via/via.conf
mkdir -m 0777 /etc/via/conf.d
refused_conf "a world-writable conf.d" "/etc/via/conf.d is writable by everybody"
chmod 0755 /etc/via/conf.d
printf '[uplink extra]\ninterface = %s\nbogus = 1\n' "$UP0" >/etc/via/conf.d/10-extra.conf
refused_conf "a parse error" "via: /etc/via/conf.d/10-extra.conf:3: unknown key 'bogus' in [uplink extra]"
ln -sf /tmp/elsewhere.conf /etc/via/conf.d/10-extra.conf
refused_conf "a symbolic link" "via's configuration may not be a symbolic link"
rm -f /etc/via/conf.d/10-extra.conf

# --- a stuck launch does not hold up another --------------------------------
# A's via, verbose, with its stderr on a full pipe nobody reads: it blocks
# writing, after it released the lock.
"$PY" - "$TMP/stuck.pid" <<PYEOF &
import fcntl, os, subprocess, sys
r, w = os.pipe()
fcntl.fcntl(w, fcntl.F_SETFL, os.O_NONBLOCK)
try:
    while True:
        os.write(w, b"x" * 4096)
except BlockingIOError:
    pass
fcntl.fcntl(w, fcntl.F_SETFL, 0)
p = subprocess.Popen(["nsenter", "--net=/run/netns/$H", "--", "setpriv", "--reuid=$TUSER", "--regid=$TUSER",
                      "--init-groups", "--", "$VIA", "-v", "$UP1", "--", "true"], stderr=w)
open(sys.argv[1], "w").write(str(p.pid))
p.wait()
PYEOF
STUCK=$!
for _ in $(seq 50); do [ -s "$TMP/stuck.pid" ] && break; sleep 0.1; done
stuck_via=$(pgrep -P "$(cat "$TMP/stuck.pid")" || cat "$TMP/stuck.pid")
blocked() { grep -q pipe_write "/proc/$stuck_via/wchan" 2>/dev/null || grep -q pipe "/proc/$stuck_via/stack" 2>/dev/null; }
for _ in $(seq 100); do blocked && break; sleep 0.1; done
check "A's via is blocked writing to its full stderr" blocked
rc=0; timeout 10 nsenter --net="/run/netns/$H" -- setpriv --reuid="$B" --regid="$B" --init-groups -- \
    "$VIA" "$UP1" -- true || rc=$?
expect_eq "meanwhile B's launch goes through" 0 "$rc"
check "while A's is still blocked" blocked
kill -9 "$stuck_via" 2>/dev/null; wait "$STUCK" 2>/dev/null || true

# A holder that never lets go, stopped (as its caller may stop a via):
# others go on after a second.
flock -o /run/via/lock sleep 30 &  # (-o: flock alone holds it, not sleep)
HOLDER=$!
for _ in $(seq 50); do grep -q "FLOCK.* $HOLDER " /proc/locks && break; sleep 0.1; done
kill -STOP "$HOLDER"
rc=0; out=$(timeout 10 nsenter --net="/run/netns/$H" -- setpriv --reuid="$B" --regid="$B" --init-groups -- \
    "$VIA" -v "$UP1" -- true 2>&1) || rc=$?
expect_eq "a launch goes on when the lock's holder is stopped" 0 "$rc"
expect_contains "and says so under -v" "the via holding the lock is stopped or stuck; going on without it" "$out"
rc=0; timeout 10 "$VIA" gc >/dev/null 2>&1 || rc=$?
expect_eq "nor does root's via gc wait for it" 0 "$rc"
kill -CONT "$HOLDER"; kill "$HOLDER"; wait "$HOLDER" 2>/dev/null || true
# A holder that is only slow (a loaded machine) is waited for: two full
# ensures at once would each add what the other adds.
flock -o /run/via/lock sleep 2 &
HOLDER=$!
for _ in $(seq 50); do grep -q "FLOCK.* $HOLDER " /proc/locks && break; sleep 0.1; done
rc=0; out=$(as_b "$VIA" -v "$UP1" -- true 2>&1) || rc=$?
expect_eq "a launch behind a busy holder succeeds" 0 "$rc"
expect_eq "having waited for it, not gone on without the lock" "" "$(grep 'without it' <<<"$out" || true)"
wait "$HOLDER" 2>/dev/null || true

# --- umask -----------------------------------------------------------------
rm -rf /run/via/* /sys/fs/bpf/via
as_user sh -c "umask 077; exec $VIA $UP1 -- true"
expect_eq "after a first launch under umask 077, /run/via/uplinks and its namespace's are 0755" "755 755" \
    "$(stat -c %a /run/via/uplinks "/run/via/uplinks/$H_NETNS" | xargs)"
expect_eq "and the note of the uplink 0644" "644" "$(stat -c %a "$(note_of "$UP1")")"
expect_eq "B can use the uplink" "$ON_UP1" "$(as_b "$VIA" "$UP1" -- "$PY" "$HELPERS/client.py" tcp "$SERVICE" "$PORT")"

# --- dedicated users ---------------------------------------------------------
write_config "[uplink $U]
interface = $UP2
gateway = 10.77.2.1
as-user = $TUSER"
rc=0; out=$(as_user "$VIA" adduser "$U" 2>&1) || rc=$?
expect_eq "via adduser is root's" 125 "$rc"
expect_contains "and says so" "only root may run it" "$out"
rc=0; out=$(in_host "$VIA" adduser nosuch 2>&1) || rc=$?
expect_eq "via adduser wants a configured uplink" 125 "$rc"
out=$(in_host "$VIA" adduser "$U")
expect_contains "root makes the uplink's user" "via: made user $DEDICATED" "$out"
expect_contains "a system user without a shell" "/usr/sbin/nologin" "$(getent passwd "$DEDICATED")"
expect_contains "again: kept" "kept the existing user $DEDICATED" "$(in_host "$VIA" adduser "$U")"

ON_UP2="tcp iif=$SV2 src=10.77.2.2"
expect_eq "--as-user: the program runs as the uplink's user" "$DEDICATED" "$(as_user "$VIA" --as-user "$U" -- id -un)"
expect_eq "with no capability" "CapEff:	0000000000000000" "$(as_user "$VIA" --as-user "$U" -- grep CapEff /proc/self/status)"
expect_eq "and no other group" "$DEDICATED" "$(as_user "$VIA" --as-user "$U" -- id -Gn)"
expect_eq "and leaves by $UP2" "$ON_UP2" "$(as_user "$VIA" --as-user "$U" -- "$PY" "$HELPERS/client.py" tcp "$SERVICE" "$PORT")"
rc=0; out=$(as_b "$VIA" --as-user "$U" -- id -un 2>&1) || rc=$?
expect_eq "B, not in as-user, may not" 125 "$rc"
expect_contains "and is told" "you may not run programs as the dedicated user of uplink '$U'" "$out"
expect_eq "root may" "$ON_UP2" "$(in_host "$VIA" --as-user "$U" -- "$PY" "$HELPERS/client.py" tcp "$SERVICE" "$PORT")"

# The attack: any process of the dedicated user (another as-user member's
# program, the user's services) may ptrace an as-user program; holding the
# caller's controlling terminal, it could push keystrokes into the caller's
# shell (TIOCSTI). From a real terminal (script(1) gives the member one),
# the program has the terminal as its stdin, but not as its controlling one.
cat >"$TMP/inject.py" <<'PYEOF2'
import fcntl, os, sys, termios
print("tty" if os.isatty(0) else "no tty")
try:
    os.close(os.open("/dev/tty", os.O_RDWR))
    print("controlling terminal")
except OSError as e:
    print("no controlling terminal")
try:
    fcntl.ioctl(0, termios.TIOCSTI, b"x")
    print("injected")
except OSError as e:
    print("TIOCSTI refused:", e.strerror)
PYEOF2
chmod a+r "$TMP/inject.py"
out=$(as_user script -qec "$VIA --as-user $U -- $PY $TMP/inject.py" /dev/null | tr -d '\r')
expect_contains "(the as-user program's stdin is the member's terminal)" "tty" "$out"
expect_contains "but it has no controlling terminal" "no controlling terminal" "$out"
expect_contains "and cannot push keystrokes into the member's shell" "TIOCSTI refused: Operation not permitted" "$out"
out=$(as_user script -qec "$VIA $UP2 -- $PY $TMP/inject.py" /dev/null | tr -d '\r')
expect_eq "(a launch as the member keeps its controlling terminal)" "controlling terminal" "$(sed -n 2p <<<"$out")"

# Without via: any process of that user (a service) leaves by the uplink.
direct() { in_host setpriv --reuid="$DEDICATED" --regid="$DEDICATED" --clear-groups -- "$PY" "$HELPERS/client.py" "$@"; }
expect_eq "a process started as $DEDICATED without via leaves by $UP2" "$ON_UP2" "$(direct tcp "$SERVICE" "$PORT")"
expect_eq "UDP too" "udp iif=$SV2 src=10.77.2.2" "$(direct udp "$SERVICE" "$PORT")"
ip -n "$H" link set "$UP2" down
rc=0; direct udp "$SERVICE" "$PORT" >/dev/null 2>&1 || rc=$?
expect_eq "with $UP2 down, it has no way out (kill switch)" 1 "$rc"
ip -n "$H" link set "$UP2" up
ip -n "$H" addr add 10.77.2.2/24 dev "$UP2" 2>/dev/null || true
in_host "$VIA" repair

# The dedicated user removed: its uid is no longer marked after via gc, so
# that a new account given the same uid is not forced onto the uplink.
marked_uids() {
    bpftool -j map dump pinned /sys/fs/bpf/via/users | "$PY" -c '
import json, sys
for e in json.load(sys.stdin):
    k = e.get("key")
    if isinstance(k, list): k = int.from_bytes(bytes(int(b, 16) for b in k), "little")
    print(k)'
}
uid=$(id -u "$DEDICATED")
expect_contains "(the dedicated user's uid is marked)" "$uid" "$(marked_uids)"
in_host "$VIA" gc >/dev/null
expect_contains "via gc keeps it while the user exists" "$uid" "$(marked_uids)"
userdel "$DEDICATED"
in_host "$VIA" gc >/dev/null
expect_eq "once the user is removed, via gc unmarks its uid" "" "$(marked_uids | grep -x "$uid" || true)"

finish
