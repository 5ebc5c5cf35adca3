#!/usr/bin/env bash
# Everyday commands: status (and --json), gc, down, check, desktop, the
# sudo note, and what a user outside group via sees.
source "$(dirname "$0")/lib.sh"
setup_all

B=${TUSER}x  # a second member, not an admin
useradd --system --no-create-home --user-group --groups via --shell /usr/sbin/nologin "$B"
OUT=${TUSER}o  # not a member
useradd --system --no-create-home --user-group --shell /usr/sbin/nologin "$OUT"
test_cleanup() { id "$OUT" >/dev/null 2>&1 && userdel "$OUT"; }
as() {  # as USER COMMAND...: like as_user, for another user
    local who=$1
    shift
    in_host setpriv --reuid="$who" --regid="$who" --init-groups -- \
        env -i HOME=/ PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 "$@"
}
status_json() { as_user "$VIA" status --json | $PY -c "$1"; }

# Another tool's state in the host, which gc and down must leave alone.
ip -n "$H" rule add pref 31950 fwmark 0x77 lookup 77
ip -n "$H" route add unreachable default table 77
in_host nft add table inet other
in_host nft add chain inet other out '{ type filter hook output priority 0; }'
foreign() { ip -n "$H" rule show | grep 'lookup 77'; ip -n "$H" route show table 77; in_host nft list table inet other; }
foreign_before=$(foreign)

# --- status ---------------------------------------------------------------
expect_eq "with nothing set up, status says so" "via serves no uplink now." "$(as_user "$VIA" status)"
start_prober "$UP1"
check "the prober runs via $UP1" wait_probe 0 "tcp iif=$SV1 src=10.77.1.2"
text=$(as_user "$VIA" status)
expect_contains "status names the uplink and its state" "$UP1: up (ifindex" "$text"
expect_contains "its address" "10.77.1.2/24" "$text"
expect_contains "its next hop" "next hop     10.77.1.1" "$text"
expect_contains "its mark and table" "mark         $(mark_of "$UP1"), table $(($(mark_of "$UP1"))), ip rule 31900" "$text"
expect_contains "its kill switch" "kill switch  on" "$text"
expect_contains "the program, its user and command" "$TUSER" "$text"
expect_contains "the program's command line" "sh -c while" "$text"
packets() { status_json "import json,sys; d=json.load(sys.stdin); print(sum(p['packets'] for u in d['uplinks'] for p in u['programs']))"; }
first=$(packets)
check "its counters count packets" test "$first" -gt 0
sleep 1
second=$(packets)
check "and grow while it sends ($first, then $second)" test "$second" -gt "$first"
check "--json parses and names the uplink" status_json "import json,sys; d=json.load(sys.stdin); assert d['uplinks'][0]['name'] == '$UP1'"
pretty_parses() { as_user "$VIA" status --json=pretty | $PY -c 'import json,sys; json.load(sys.stdin)'; }
check "--json=pretty parses too" pretty_parses
expect_eq "--json is one line" 1 "$(as_user "$VIA" status --json | wc -l)"
expect_eq "--json=pretty is indented" 1 "$(as_user "$VIA" status --json=pretty | grep -c '^  \"uplinks\": \[')"
others=$(as "$B" "$VIA" status)
expect_eq "another member does not see the program" "" "$(grep -F 'sh -c while' <<<"$others" || true)"
expect_contains "but is told one runs" "programs     1 of other users" "$others"
root_sees() { grep -q 'sh -c while' <<<"$(in_host "$VIA" status)"; }
check "root sees it" root_sees
rc=0; err=$(as_user "$VIA" status nosuch 2>&1) || rc=$?
expect_eq "status of an uplink via does not serve fails" 125 "$rc"
expect_contains "and says so" "via serves no uplink nosuch" "$err"

# --- down and gc ------------------------------------------------------------
before=$(host_state)
rc=0; err=$(as_user "$VIA" down "$UP1" 2>&1) || rc=$?
expect_eq "down is refused while a program runs" 125 "$rc"
expect_contains "saying why and what to do" "1 program runs through it" "$err"
expect_contains "with --force as the way out" "--force" "$err"
expect_eq "and changes nothing" "$before" "$(host_state)"
rc=0; err=$(as "$B" "$VIA" down "$UP1" 2>&1) || rc=$?
expect_eq "a member who is not an admin may not take an uplink down" 125 "$rc"
expect_contains "and is told who may" "only root and the admins" "$err"
rc=0; as "$B" "$VIA" gc >/dev/null 2>&1 || rc=$?
expect_eq "nor collect garbage" 125 "$rc"
expect_eq "which changed nothing" "$before" "$(host_state)"

# An uplink used once, then unused; and the ids of an interface made again.
check "a launch via $UP2" as_user "$VIA" --gateway 10.77.2.1 "$UP2" -- true
ip -n "$H" link add vdum type veth peer name vdump
ip -n "$H" addr add 10.77.9.2/24 dev vdum
ip -n "$H" link set vdum up
ip -n "$H" link set vdump up
check "a launch via a dummy interface" as_user "$VIA" --gateway 10.77.9.1 vdum -- true
old_dummy=$(mark_of vdum)
ip -n "$H" link del vdum
ip -n "$H" link add vdum type veth peer name vdump
ip -n "$H" link set vdum up
# Not `ip rule show | grep -q`: ip writes each rule on its own, and once grep
# has quit at the match the next write kills ip with SIGPIPE (pipefail).
old_rule() { grep -q "fwmark $old_dummy" <<<"$(ip -n "$H" rule show)"; }
check "the old interface's rule is still there" old_rule
text=$(as_user "$VIA" status)
expect_contains "status shows its ids as gone" "gone (ifindex $((old_dummy & 0xffff)))" "$text"
up1_rules=$(via_rules | grep "$(mark_of "$UP1")")
out=$(as_user "$VIA" gc)
expect_contains "gc removes the unused uplink" "removed $UP2 (unused)" "$out"
expect_contains "and the gone interface's ids" "its interface is gone" "$out"
expect_contains "and keeps the one in use" "kept $UP1: 1 program runs through it" "$out"
expect_eq "no rule of $UP2 is left" "" "$(via_rules | grep "$(mark_of "$UP2")" || true)"
expect_eq "nor its table" "" "$(ip -n "$H" route show table $(($(mark_of "$UP2"))) 2>/dev/null)"
expect_eq "nor the old interface's rule" "" "$(via_rules | grep "$old_dummy" || true)"
expect_eq "nor its kill switch" "" "$(ip -n "$H" route show table $((old_dummy)) 2>/dev/null)"
expect_eq "nor $UP2's masquerade" "" "$(in_host nft list table inet via | grep "oifname \"$UP2\"" || true)"
expect_eq "$UP1's rules are untouched" "$up1_rules" "$(via_rules | grep "$(mark_of "$UP1")")"
expect_eq "and so is the skip pair they sit in, in both families" 2 "$(via_rules | grep -c 'goto 31901')"
from=$(probe_lines)
check "and its program still goes by $UP1" wait_probe "$from" "tcp iif=$SV1 src=10.77.1.2"
expect_eq "nothing of the other tool's changed" "$foreign_before" "$(foreign)"
out=$(as_user "$VIA" gc)
expect_eq "a second gc finds nothing more to remove" "" "$(grep removed <<<"$out" || true)"
expect_contains "and keeps $UP1" "kept $UP1: 1 program runs through it" "$out"

# down --force: the program's uplink state goes, and it fails closed.
leaked=$(server_packets "$SV0" "$PORT")
out=$(as_user "$VIA" down --force "$UP1")
expect_contains "down --force removes it while a program runs" "removed $UP1" "$out"
expect_eq "its rules are gone" "" "$(via_rules)"
no_table() { ! in_host nft list table inet via >/dev/null 2>&1; }
check "nft table inet via is gone with the last uplink" no_table
from=$(probe_lines)
check "the program's connections now fail" wait_probe "$from" "client:" 2
expect_eq "and none leaves by $UP0" "$leaked" "$(server_packets "$SV0" "$PORT")"
check "a relaunch sets the uplink up again" as_user "$VIA" "$UP1" -- true
from=$(probe_lines)
check "and the running program goes by $UP1 again" wait_probe "$from" "tcp iif=$SV1 src=10.77.1.2"
stop_prober
out=$(as_user "$VIA" down "$UP1")
expect_contains "with nothing running, down needs no force" "removed $UP1 (unused)" "$out"
rc=0; err=$(as_user "$VIA" down "$UP1" 2>&1) || rc=$?
expect_eq "down of what is not set up fails" 125 "$rc"
expect_contains "saying so" "via has nothing set up for $UP1" "$err"
expect_eq "nothing of the other tool's changed at the end" "$foreign_before" "$(foreign)"

# --- check -----------------------------------------------------------------
rc=0; out=$(as_user "$VIA" check "$UP1") || rc=$?
expect_eq "check of a working uplink exits 0" 0 "$rc"
expect_contains "and says a launch should work" "via $UP1 -- PROGRAM should work." "$out"
expect_contains "it checked the binary and its capabilities" "root:via 0755, cap_" "$out"
expect_contains "and the uplink" "next hop 10.77.1.1" "$out"
try_check() {  # try_check DESCRIPTION NEEDLE [as USER] ARGS...: check fails, with advice
    local what=$1 needle=$2
    shift 2
    local rc=0 out
    out=$("$@" 2>&1) || rc=$?
    expect_eq "check fails: $what" 1 "$rc"
    expect_contains "with the advice: $what" "$needle" "$out"
}
try_check "an interface that is down" "is down" as_user "$VIA" check "$DOWN"
try_check "an interface with no IPv4 address" "has no IPv4 address" as_user "$VIA" check "$NOIP"
try_check "an interface that does not exist" "no network interface named 'nosuch0'" as_user "$VIA" check nosuch0
write_config "[defaults]
admins = $TUSER
[uplink one]
interface = $UP1
users = $B"
try_check "an uplink the caller may not use" "users, groups" as_user "$VIA" check one
write_config "[defaults]
admins = $TUSER"
try_check "a caller outside group via" "usermod -aG via $OUT" as "$OUT" "$VIA" check
# The launcher and via itself, copied without their capabilities.
for f in bin/via libexec/via/via; do
    install -D -m 0755 "$(dirname "$VIA")/../$f" "$TMP/nocaps/$f"
    chown root:via "$TMP/nocaps/$f"
done
chmod 0755 "$TMP/nocaps" "$TMP/nocaps/bin" "$TMP/nocaps/libexec" "$TMP/nocaps/libexec/via"
try_check "a via without its capabilities" "setcap cap_net_admin" as_user "$TMP/nocaps/bin/via" check
ip -n "$H" rule add pref 100 lookup 100
rc=0; out=$(as_user "$VIA" check "$UP1") || rc=$?
expect_contains "a rule ahead of via's is named" "ip rule 100 (lookup 100) comes before via's" "$out"
ip -n "$H" rule del pref 100 lookup 100

# --- outside group via, and sudo -------------------------------------------
rc=0; err=$(as "$OUT" "$VIA" "$UP1" -- true 2>&1) || rc=$?
expect_eq "a user outside group via is refused" 125 "$rc"
expect_contains "and told how to join" "you are not in group via" "$err"
rc=0; as "$OUT" "$VIA" status >/dev/null 2>&1 || rc=$?
expect_eq "status too" 125 "$rc"
err=$(in_host env SUDO_UID=1000 "$VIA" "$UP1" -- true 2>&1)
expect_contains "a launch by sudo says the program runs as root" "runs as root, because via was started with sudo" "$err"

# --- desktop ---------------------------------------------------------------
home=$TMP/home
mkdir -p "$home" "$TMP/share/applications" "$TMP/bin"
cat >"$TMP/share/applications/org.example.Viewer.desktop" <<'XEOF'
[Desktop Entry]
Type=Application
Name=Viewer
Name[fr]=Visionneuse
Exec=viewer --open %U
Icon=viewer
DBusActivatable=true
Actions=new-window;

[Desktop Action new-window]
Name=New window
Exec="/opt/viewer/bin/viewer" --new-window %u
XEOF
cat >"$TMP/share/applications/firefox-esr.desktop" <<'XEOF'
[Desktop Entry]
Type=Application
Name=Firefox ESR
Exec=/usr/lib/firefox-esr/firefox-esr %u
Icon=firefox-esr
XEOF
chown -R "$TUSER:" "$home"
chmod -R a+rX "$TMP/share" "$TMP"
as_desktop() {
    in_host setpriv --reuid="$TUSER" --regid="$TUSER" --init-groups -- \
        env -i HOME="$home" XDG_DATA_DIRS="$TMP/share" PATH="$TMP/bin:/usr/local/bin:/usr/bin:/bin" "$@"
}
out=$(as_desktop "$VIA" desktop "$UP1" org.example.Viewer)
entry=$home/.local/share/applications/via-$UP1-org.example.Viewer.desktop
expect_contains "desktop writes the wrapped entry" "wrote $entry" "$out"
check "desktop-file-validate accepts it" desktop-file-validate "$entry"
expect_contains "its Exec is wrapped, field codes kept" "Exec=via --notify $UP1 -- viewer --open %U" "$(cat "$entry")"
expect_contains "so is its action's" "Exec=via --notify $UP1 -- \"/opt/viewer/bin/viewer\" --new-window %u" "$(cat "$entry")"
expect_contains "its name says the uplink" "Name=Viewer (via $UP1)" "$(cat "$entry")"
expect_contains "in every language" "Name[fr]=Visionneuse (via $UP1)" "$(cat "$entry")"
expect_eq "D-Bus activation is off" "DBusActivatable=false" "$(grep DBusActivatable "$entry")"
expect_eq "the file is the user's" "$TUSER" "$(stat -c %U "$entry")"
as_desktop "$VIA" desktop "$UP1" firefox-esr >/dev/null
ff=$home/.local/share/applications/via-$UP1-firefox-esr.desktop
check "desktop-file-validate accepts Firefox's" desktop-file-validate "$ff"
expect_contains "Firefox gets a profile of its own" \
    "-- /usr/lib/firefox-esr/firefox-esr --new-instance --profile $home/.local/share/via/profiles/firefox-esr-$UP1 %u" "$(cat "$ff")"
rc=0; err=$(as_desktop "$VIA" desktop "$UP1" nosuchapp 2>&1) || rc=$?
expect_eq "an unknown application fails" 125 "$rc"
expect_contains "saying where it looked" "no application 'nosuchapp' in $home/.local/share/applications, $TMP/share/applications" "$err"

# A launch from the menu that fails shows its error as a notification.
cat >"$TMP/bin/notify-send" <<XEOF
#!/bin/sh
printf '%s\n' "\$@" >$home/notified
XEOF
chmod 0755 "$TMP/bin/notify-send"
rc=0; as_desktop "$VIA" --notify "$DOWN" -- true 2>/dev/null || rc=$?
expect_eq "a failing --notify launch still fails" 125 "$rc"
expect_contains "and sends a notification with the error" "is down" "$(cat "$home/notified" 2>/dev/null)"
rm -f "$home/notified"
rc=0; as_desktop "$VIA" --notify "$UP1" -- nosuchprogram 2>/dev/null || rc=$?
expect_eq "a --notify launch of a missing program" 127 "$rc"
expect_contains "notifies too" "nosuchprogram" "$(cat "$home/notified" 2>/dev/null)"

finish
