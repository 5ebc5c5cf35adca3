#!/usr/bin/env bash
# via's pin directory is root's alone, or via refuses it: where /sys/fs/bpf
# is open to all (a bpffs mounted with mode 1777), a member who makes
# /sys/fs/bpf/via before via does would own via's pins and could detach
# everyone's programs. The launch fails closed instead (125), says what to
# do, attaches nothing; once root removes the directory, via makes its own.
source "$(dirname "$0")/lib.sh"
setup_all

chmod 1777 /sys/fs/bpf  # as a bpffs mounted with mode=1777
as_user mkdir /sys/fs/bpf/via
expect_eq "(the member made the directory)" "$TUSER 755" "$(stat -c '%U %a' /sys/fs/bpf/via)"

rc=0; err=$(as_user "$VIA" "$UP1" -- "$PY" "$HELPERS/client.py" tcp "$SERVICE" "$PORT" 2>&1) || rc=$?
expect_eq "a launch refuses a pin directory a member owns" 125 "$rc"
expect_contains "and says whose it is" "/sys/fs/bpf/via belongs to uid $(id -u "$TUSER") with mode 0755" "$err"
expect_contains "and what to do" "hint: as root, remove it (rm -r /sys/fs/bpf/via)" "$err"
expect_eq "nothing of via's is pinned there" "" "$(ls /sys/fs/bpf/via)"
expect_eq "nor attached" 0 "$(markers_at)"

rmdir /sys/fs/bpf/via
mkdir -m 0777 /sys/fs/bpf/via
rc=0; err=$(as_user "$VIA" "$UP1" -- true 2>&1) || rc=$?
expect_eq "root's, but writable by others: refused too" 125 "$rc"
expect_contains "(its mode said)" "with mode 0777, not to root alone" "$err"

rmdir /sys/fs/bpf/via
out=$(as_user "$VIA" "$UP1" -- "$PY" "$HELPERS/client.py" tcp "$SERVICE" "$PORT")
expect_contains "once root removed it, the launch works" "tcp iif=$SV1 src=10.77.1.2" "$out"
expect_eq "in a directory via made: root's, 0700" "root 700" "$(stat -c '%U %a' /sys/fs/bpf/via)"

# Later, too: a launch checks the directory every time, fast path or not.
chmod 0777 /sys/fs/bpf/via
rc=0; as_user "$VIA" "$UP1" -- true 2>/dev/null || rc=$?
expect_eq "a directory loosened later is refused at the next launch" 125 "$rc"
chmod 0700 /sys/fs/bpf/via
check "and accepted again once it is root's alone" as_user "$VIA" "$UP1" -- true
finish
