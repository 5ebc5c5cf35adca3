#!/usr/bin/env bash
# The launch's fast path (a stamp of what the last full ensure left) never
# hides a repair: each piece of via's state deleted between two launches,
# and each change to what via depends on, sends the next launch down the
# full ensure, which puts it back; the program leaves by its uplink.
source "$(dirname "$0")/lib.sh"
setup_all

STAMP=$(stamp_of "$UP1")
FAST="as the last launch left them"
mark=$(as_user "$VIA" "$UP1" -- true >/dev/null; mark_of "$UP1")
table=$((mark))

check "the first launch writes a stamp, root's" test "$(stat -c %U:%a "$STAMP" 2>/dev/null)" = root:644
out=$(as_user "$VIA" -v "$UP1" -- true 2>&1)
expect_contains "the next launch takes the fast path" "$FAST" "$out"
expect_eq "and changes nothing" 0 "$(grep -vc 'present' <<<"$out" || true)"

full_path() { ! grep -q "$FAST" <<<"$1"; }

# repaired DESCRIPTION EXPECTED-IN-VERBOSE-OUTPUT: the launch after a
# deletion repaired it, by the full ensure, and its program left by $UP1.
repaired() {
    local out
    out=$(as_user "$VIA" -v "$UP1" -- "$PY" "$HELPERS/client.py" tcp "$SERVICE" "$PORT" 2>&1)
    if ! full_path "$out"; then
        fail "$1: the launch took the fast path"
        return
    fi
    expect_contains "$1: repaired" "$2" "$out"
    expect_contains "$1: the program leaves by $UP1" "tcp iif=$SV1 src=10.77.1.2" "$out"
    out=$(as_user "$VIA" -v "$UP1" -- true 2>&1)
    expect_contains "$1: the launch after takes the fast path again" "$FAST" "$out"
}

ip -n "$H" rule del pref 31900 fwmark "$mark" lookup "$table"
repaired "IPv4 ip rule deleted" "created  ip rule 31900: fwmark $mark"

ip -n "$H" -6 rule del pref 31900 fwmark "$mark" lookup "$table"
repaired "IPv6 ip rule deleted" "created  ip rule -6 31900: fwmark $mark"

ip -n "$H" route del default table "$table" via 10.77.1.1
repaired "default route of via's table deleted" "created  route default via 10.77.1.1 dev $UP1 table $table"

ip -n "$H" route del unreachable default table "$table" metric 4294967295
repaired "kill switch deleted" "created  route unreachable default table $table"

ip -n "$H" -6 route flush table "$table"
repaired "IPv6 table flushed" "created  route -6 default via 2001:db8:1::1 dev $UP1 table $table"

in_host nft delete table inet via
repaired "nftables table deleted" "created  nft rule inet via uplinks \"via uplink $UP1: masquerade"

handle=$(in_host nft -a list chain inet via uplinks | sed -n "s/.*oifname \"$UP1\".* # handle \([0-9]*\)$/\1/p" | head -n1)
in_host nft delete rule inet via uplinks handle "$handle"
repaired "masquerade rule deleted" "created  nft rule inet via uplinks \"via uplink $UP1: masquerade"

handle=$(in_host nft -a list chain inet via postrouting | sed -n "s/.*jump uplinks.* # handle \([0-9]*\)$/\1/p" | head -n1)
in_host nft delete rule inet via postrouting handle "$handle"
repaired "jump to the masquerade rules deleted" "created  nft rule inet via postrouting \"via nat: only via's marks"

in_host ip rule del pref 31899
repaired "IPv4 skip rule deleted" "created  ip rule 31899: not fwmark 0x56480000/0xfffe0000 goto 31901"

in_host ip -6 rule del pref 31901
repaired "IPv6 skip target deleted" "created  ip rule -6 31901: nop"

in_host sysctl -qw "net.ipv4.conf.$UP1.src_valid_mark=0"
repaired "src_valid_mark reset" "created  sysctl net.ipv4.conf.$UP1.src_valid_mark=1"

# The BPF side is checked on every launch, fast path or not.
in_host rm -f "/sys/fs/bpf/via/$(marker)-"*
out=$(as_user "$VIA" -v "$UP1" -- "$PY" "$HELPERS/client.py" tcp "$SERVICE" "$PORT" 2>&1)
expect_contains "socket-marking program detached: attached again" "created  bpf program marking the sockets" "$out"
expect_contains "socket-marking program detached: the program leaves by $UP1" "tcp iif=$SV1 src=10.77.1.2" "$out"

# A map's pin removed while via's programs still use the map: a new map
# there would be one they never read (this launch's tag, its uplink's mark:
# the program left by the default route). via pins the same map again, so
# running programs keep their tags too.
for map in tasks uplinks_ns; do
    in_host rm -f "/sys/fs/bpf/via/$map"
    out=$(as_user "$VIA" -v "$UP1" -- "$PY" "$HELPERS/client.py" tcp "$SERVICE" "$PORT" 2>&1)
    expect_contains "map $map unpinned: the same map pinned again" \
        "replaced bpf map /sys/fs/bpf/via/$map, pinned again" "$out"
    expect_contains "map $map unpinned: the program leaves by $UP1" "tcp iif=$SV1 src=10.77.1.2" "$out"
    expect_eq "map $map unpinned: one socket program of via's at the cgroup root" 1 \
        "$(markers_at)"
done

# A link detached in place (`bpftool link detach`) keeps its pin, but the
# cgroup root no longer lists its program: the launch attaches it again.
in_host bpftool link detach pinned "$(ls /sys/fs/bpf/via/egress-*)"
out=$(as_user "$VIA" -v "$UP1" -- "$PY" "$HELPERS/client.py" tcp "$SERVICE" "$PORT" 2>&1)
expect_contains "egress program detached in place: attached again" \
    "created  bpf program dropping what via's sockets send" "$out"
expect_contains "egress program detached in place: the program leaves by $UP1" "tcp iif=$SV1 src=10.77.1.2" "$out"
expect_eq "one egress program of via's at the cgroup root" 1 "$(bpftool cgroup show "$CG2" | grep -c via_egress)"

# The fast path reads no src_valid_mark: it compares the count of writes
# that via's cgroup/sysctl program keeps. Writes made while that program was
# detached went uncounted, so the launch that attaches it again takes the
# full ensure too.
in_host rm -f /sys/fs/bpf/via/sysctl-*
in_host sysctl -qw "net.ipv4.conf.$UP1.src_valid_mark=0"
repaired "sysctl-counting program detached, then src_valid_mark reset" \
    "created  sysctl net.ipv4.conf.$UP1.src_valid_mark=1"

# The stamp names the cgroup2 mount the programs are attached at, so that
# the fast path reads no /proc/self/mountinfo; a wrong id there makes the
# launch look the mount up, and its sockets are marked all the same.
expect_eq "the stamp names the cgroup2 mount" "cgroup_point $(findmnt -n -o TARGET -t cgroup2 | tail -n1)" \
    "$(grep '^cgroup_point ' "$STAMP")"
sed -i 's/^cgroup_id .*/cgroup_id 12345/' "$STAMP"
out=$(as_user "$VIA" -v "$UP1" -- "$PY" "$HELPERS/client.py" tcp "$SERVICE" "$PORT" 2>&1)
expect_contains "a wrong cgroup id in the stamp: still the fast path" "$FAST" "$out"
expect_contains "and the program still leaves by $UP1" "tcp iif=$SV1 src=10.77.1.2" "$out"
expect_eq "no program was attached anew" "" "$(grep created <<<"$out" || true)"

rm -f "$(note_of "$UP1")"
out=$(as_user "$VIA" -v "$UP1" -- true 2>&1)
check "served record deleted: written again" test -n "$(note_of "$UP1")"

printf 'garbage\n' >"$STAMP"
out=$(as_user "$VIA" -v "$UP1" -- true 2>&1)
check "a stamp that is not one: the full ensure" full_path "$out"
check "and it is stamped again" grep -q "^digest " "$STAMP"

# What via depends on, not what it made: a new gateway in main.
in_server ip addr add 10.77.1.254/24 dev "$SV1"
ip -n "$H" route replace default via 10.77.1.254 dev "$UP1" metric 200
repaired "main's gateway for $UP1 changed" "created  route default via 10.77.1.254 dev $UP1 table $table"

# Another request (--no-kill-switch) is not the stamped one.
out=$(as_user "$VIA" -v --no-kill-switch "$UP1" -- true 2>&1)
check "another request takes the full ensure" full_path "$out"

# With many devices (their LANs reachable, so their src_valid_mark set),
# the fast path still reads none of the settings: one count stands for all.
for n in $(seq 1 8); do
    ip -n "$H" link add "vm$n$RUN" type veth peer name "vn$n$RUN" netns "$S"
    ip -n "$H" addr add "10.79.$n.2/24" dev "vm$n$RUN"
    ip -n "$H" link set "vm$n$RUN" up
    ip -n "$S" link set "vn$n$RUN" up
done
as_user "$VIA" "$UP1" -- true
expect_eq "the stamp has their networks, whose devices it watches" 8 "$(grep -c '^net [0-9]* 2 0a4f[0-9a-f]* 24 vm' "$STAMP")"
out=$(as_user "$VIA" -v "$UP1" -- true 2>&1)
expect_contains "with 11 devices, the fast path" "$FAST" "$out"
in_host sysctl -qw "net.ipv4.conf.vm5$RUN.src_valid_mark=0"
repaired "src_valid_mark of one of 11 devices reset" "created  sysctl net.ipv4.conf.vm5$RUN.src_valid_mark=1"

# A stamp some member could write would be no stamp: it must be root's.
as_user "$VIA" "$UP1" -- true
chmod 0666 "$STAMP"
out=$(as_user "$VIA" -v "$UP1" -- true 2>&1)
check "a stamp writable by others is ignored" full_path "$out"

# Launches with and without --no-kill-switch do not take turns at the full
# ensure: the open one's covers the kill switch's. Not the other way, and a
# deletion in the open table still sends the next launch to the full one.
out=$(as_user "$VIA" -v --no-kill-switch "$UP1" -- true 2>&1)
check "an open launch after kill-switch ones takes the full ensure" full_path "$out"
out=$(as_user "$VIA" -v "$UP1" -- true 2>&1)
expect_contains "a kill-switch launch after it, the fast path" "$FAST" "$out"
out=$(as_user "$VIA" -v --no-kill-switch "$UP1" -- true 2>&1)
expect_contains "and the open one after that, the fast path too" "$FAST" "$out"
out=$(as_user "$VIA" -v "$UP1" -- "$PY" "$HELPERS/client.py" tcp "$SERVICE" "$PORT" 2>&1)
expect_contains "the kill-switch launch's program leaves by $UP1" "tcp iif=$SV1 src=10.77.1.2" "$out"
open_table=$((mark - 0x10000))  # the open mark's (owned.hpp)
ip -n "$H" route flush table "$open_table"
out=$(as_user "$VIA" -v "$UP1" -- true 2>&1)
check "with the open table emptied, a kill-switch launch takes the full ensure" full_path "$out"
out=$(as_user "$VIA" -v --no-kill-switch "$UP1" -- true 2>&1)
check "and the open launch after it too, which refills it" full_path "$out"
made_again() { grep -qE "created  route default via [0-9.]+ dev $UP1 table $open_table " <<<"$1"; }
check "the open table's default route made again" made_again "$out"

# The launcher (bin/via) does a warm launch alone, with the launch's
# options too: via itself, which it hands everything else to, does not run.
# With via made unrunnable, warm launches still work, and what needs via
# fails and says why.
FULL=$(dirname "$VIA")/../libexec/via/via
as_user "$VIA" "$UP1" -- true
chmod 0700 "$FULL"
rc=0; out=$(as_user "$VIA" "$UP1" -- echo launched 2>&1) || rc=$?
expect_eq "a warm launch is the launcher's alone" "0 launched" "$rc $out"
rc=0; out=$(as_user "$VIA" --dns 10.77.1.1 --notify -v "$UP1" -- cat /etc/resolv.conf 2>&1) || rc=$?
expect_eq "with --dns, --notify and -v too" 0 "$rc"
expect_contains "the program sees only its name server" "nameserver 10.77.1.1" "$out"
expect_contains "verified, not rebuilt" "$FAST" "$out"
rc=0; out=$(as_user "$VIA" --version 2>&1) || rc=$?
chmod 0755 "$FULL"
expect_eq "what is no launch goes to via" 125 "$rc"
expect_contains "and says what is missing" "the launcher cannot start via" "$out"
rc=0; out=$(as_user "$VIA" --version 2>&1) || rc=$?
expect_eq "which answers once it can" "0 $("$FULL" --version)" "$rc $out"

finish
