#!/usr/bin/env bash
# The uplink belongs to the program's processes, not to a cgroup: moved to
# another cgroup, turned into a daemon or threaded, they still leave by it.
# via's pins live in /sys/fs/bpf/via; a deleted one is repaired by the next
# launch, for programs already running too; nothing else in bpffs changes.
source "$(dirname "$0")/lib.sh"
setup_all

client() { echo "$PY $HELPERS/client.py $1 $SERVICE $PORT"; }
ON_UP1="tcp iif=$SV1 src=10.77.1.2"

# --- moved to another cgroup -----------------------------------------------
mkdir "$CG2/elsewhere"
start_prober "$UP1"
check "the prober runs via $UP1" wait_probe 0 "$ON_UP1"
# Root moves every process of the prober, as PID 1 does for a scope.
for pid in $(pgrep -u "$TUSER"); do echo "$pid" >"$CG2/elsewhere/cgroup.procs" 2>/dev/null || true; done
check "the prober now runs in another cgroup" test -n "$(cat "$CG2/elsewhere/cgroup.procs")"
from=$(probe_lines)
up0_before=$(server_packets "$SV0" "$PORT")
check "after the move, new connections still leave by $UP1" wait_probe "$from" "$ON_UP1" 3
expect_eq "and none by $UP0" "$up0_before" "$(server_packets "$SV0" "$PORT")"
expect_eq "no connection failed" "" "$(tail -n +"$((from + 1))" "$PROBE_LOG" | grep -v "$ON_UP1" || true)"

# --- deleted pins are repaired by the next launch --------------------------
rm /sys/fs/bpf/via/*-*
expect_eq "no program of via's is attached any more" 0 "$(markers_at)"
as_user "$VIA" "$UP2" --gateway 10.77.2.1 -- true  # another user's launch, another uplink
expect_eq "the next launch attached it again" 1 "$(markers_at)"
from=$(probe_lines)
check "the running prober is back on $UP1 (its tag stayed in the map)" wait_probe "$from" "$ON_UP1" 3
# The tags map's pin deleted: the next launch pins the same map again (not
# a new, empty one), so the running prober keeps its tag.
rm /sys/fs/bpf/via/tasks
as_user "$VIA" "$UP2" --gateway 10.77.2.1 -- true
check "the tags map is pinned again" test -e /sys/fs/bpf/via/tasks
from=$(probe_lines)
check "the running prober still leaves by $UP1" wait_probe "$from" "$ON_UP1" 3
out=$(as_user "$VIA" "$UP1" -- $(client tcp) 2>&1)
expect_contains "and a new launch on $UP1 leaves by it" "$ON_UP1" "$out"
stop_prober

# --- a daemon: setsid and a double fork ------------------------------------
touch "$TMP/daemon.out" && chown "$TUSER" "$TMP/daemon.out"
as_user "$VIA" "$UP1" -- sh -c "setsid sh -c '($(client tcp) >$TMP/daemon.out 2>&1 &)'"
for _ in $(seq 50); do [ -s "$TMP/daemon.out" ] && break; sleep 0.1; done
expect_eq "a daemonised grandchild leaves by $UP1" "$ON_UP1" "$(cat "$TMP/daemon.out")"

# --- threads ---------------------------------------------------------------
out=$(as_user "$VIA" "$UP1" -- "$PY" -c "
import subprocess, threading
out = []
t = threading.Thread(target=lambda: out.append(subprocess.run(['$PY', '$HELPERS/client.py', 'udp', '$SERVICE', '$PORT'], capture_output=True, text=True).stdout.strip()))
t.start(); t.join()
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
def send():
    s.settimeout(3); s.sendto(b'x', ('$SERVICE', $PORT)); out.append(s.recv(100).decode().strip())
t = threading.Thread(target=send); t.start(); t.join()
print(' / '.join(out))")
expect_eq "a thread's sockets, and its children's, leave by $UP1" "udp iif=$SV1 src=10.77.1.2 / udp iif=$SV1 src=10.77.1.2" "$out"

# --- nesting ---------------------------------------------------------------
rc=0
out=$(as_user "$VIA" "$UP1" -- "$VIA" "$UP0" -- $(client tcp) 2>&1) || rc=$?
expect_eq "via inside a program launched via $UP1 cannot switch to $UP0" 125 "$rc"
expect_contains "and says why" "already runs via $UP1, and a program launched via an uplink never leaves it" "$out"
out=$(as_user "$VIA" "$UP1" -- "$VIA" "$UP1" -- $(client tcp))
expect_eq "via inside it for the same uplink works" "$ON_UP1" "$out"

# --- bpffs: via's directory only ------------------------------------------
bpftool map create /sys/fs/bpf/someone-else type array key 4 value 4 entries 1 name other
other_before=$(bpftool map show pinned /sys/fs/bpf/someone-else)
ours=$(ls /sys/fs/bpf/via)
# As an older via left them: the same pins under another stamp.
for pin in /sys/fs/bpf/via/*-*; do mv "$pin" "${pin%-*}-0000000000000000"; done
as_user "$VIA" "$UP1" -- true
expect_eq "an older via's pins are replaced by this via's" "$ours" "$(ls /sys/fs/bpf/via)"
expect_eq "and its program is detached: one of via's at the root" 1 "$(markers_at)"
expect_eq "a foreign pin beside via's directory is untouched" "$other_before" "$(bpftool map show pinned /sys/fs/bpf/someone-else)"
expect_eq "bpffs holds via's directory and the foreign pin, nothing else" "someone-else
via" "$(ls /sys/fs/bpf | grep -v '\.debug$')"  # (*.debug: the kernel's own)
expect_eq "via's pins are root's, closed to others" "drwx------ root root" "$(stat -c '%A %U %G' /sys/fs/bpf/via)"

finish
