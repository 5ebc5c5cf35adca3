#!/usr/bin/env bash
# /run/via as the first command after a boot makes it, whatever the umask
# of the caller: root's via gc under umask 0777 used to make it 0000, and
# every launch after it failed. (A tmpfs over the test's /run, in its
# private mount namespace, stands for a fresh boot's; the host namespace is
# entered by a descriptor held open, and /run comes back before cleanup.)
source "$(dirname "$0")/lib.sh"
setup_all

exec {host_ns}<"/run/netns/$H"
in_host() { nsenter --net="/proc/$$/fd/$host_ns" -- "$@"; }
test_cleanup() { umount /run 2>/dev/null || true; }
mount -t tmpfs -o mode=0755 via-test-run /run

check "(no /run/via: a fresh boot's /run)" test ! -e /run/via
in_host sh -c "umask 0777; exec $VIA gc" >/dev/null
expect_eq "root's via gc under umask 0777 made /run/via root's, 0755" "root 755" "$(stat -c '%U %a' /run/via)"
out=$(as_user "$VIA" "$UP1" -- "$PY" "$HELPERS/client.py" tcp "$SERVICE" "$PORT")
expect_contains "a member's launch after it works" "tcp iif=$SV1 src=10.77.1.2" "$out"
finish
