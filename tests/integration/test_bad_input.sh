#!/usr/bin/env bash
# Bad input: the documented exit code, a clear message, and no state created.
source "$(dirname "$0")/lib.sh"
setup_all

printf '#!/bin/sh\necho hi\n' >"$TMP/not-executable"
chmod 0644 "$TMP/not-executable"

# try NAME EXPECTED_CODE EXPECTED_TEXT ARGS...
try() {
    local name=$1 code=$2 text=$3
    shift 3
    local before after out rc=0
    before=$(host_state)
    out=$(as_user "$VIA" "$@" 2>&1) || rc=$?
    after=$(host_state)
    expect_eq "$name: exit code" "$code" "$rc"
    expect_contains "$name: message" "$text" "$out"
    expect_eq "$name: no state created" "$before" "$after"
}

try "unknown interface" 125 "via: no network interface named 'nosuch0'" nosuch0 -- true
try "interface down" 125 "via: interface '$DOWN' is down" "$DOWN" -- true
try "interface without IPv4" 125 "via: interface '$NOIP' has no IPv4 address" "$NOIP" -- true
try "no next hop and no --gateway" 125 "hint: pass its gateway: via --gateway ADDR $UP2 -- PROGRAM" "$UP2" -- true
try "--gateway off the uplink's subnets" 125 "via: gateway 10.99.0.1 is not on a network of interface '$UP2'" --gateway 10.99.0.1 "$UP2" -- true
try "program not found" 127 "via: 'no-such-program-xyz': command not found" "$UP1" -- no-such-program-xyz
try "program not executable" 126 "via: cannot run '$TMP/not-executable': Permission denied" "$UP1" -- "$TMP/not-executable"
try "missing --" 125 "via: missing '--' between UPLINK and PROGRAM" "$UP1" true
try "bad interface name" 125 "is not a valid interface name" ../x -- true
try "bad gateway" 125 "is not an IPv4 address" --gateway nope "$UP2" -- true

# A via installed without its capabilities, or setuid: refused with a hint,
# nothing created.
# (Group via, as installed: for anyone outside it via drops every capability.)
cp "$VIA" "$TMP/via-nocaps"
chown root:via "$TMP/via-nocaps"
chmod 0755 "$TMP/via-nocaps"
try_binary() {  # try_binary NAME BINARY EXPECTED_TEXT
    local before out rc=0
    before=$(host_state)
    out=$(in_host setpriv --reuid="$TUSER" --regid="$TUSER" --init-groups -- env "$2" "$UP1" -- true 2>&1) || rc=$?
    expect_eq "$1: exit code" 125 "$rc"
    expect_contains "$1: message" "$3" "$out"
    expect_contains "$1: hint" "hint: install via with its capabilities: setcap" "$out"
    expect_eq "$1: no state created" "$before" "$(host_state)"
}
try_binary "installed without capabilities" "$TMP/via-nocaps" "via: via lacks cap_setgid"
cp "$VIA" "$TMP/via-setuid"
chown root:via "$TMP/via-setuid"
chmod 04755 "$TMP/via-setuid"
if findmnt -no OPTIONS -T "$TMP" | grep -qw nosuid; then
    fail "cannot test a setuid install: $TMP is mounted nosuid"
else
    try_binary "installed setuid" "$TMP/via-setuid" "via: via is installed setuid or setgid, which it refuses"
fi

# A user outside group via may run the file, without any capability, and
# is told how to join the group.
useradd --system --no-create-home --user-group --shell /usr/sbin/nologin "${TUSER}x"
rc=0
before=$(host_state)
# (through env: setpriv itself still holds root's capabilities when it execs)
out=$(in_host setpriv --reuid="${TUSER}x" --regid="${TUSER}x" --init-groups -- env "$VIA" "$UP1" -- true 2>&1) || rc=$?
expect_eq "a user outside group via is refused" 125 "$rc"
expect_contains "and told how to join" "hint: ask root to run 'usermod -aG via \$USER'" "$out"
expect_eq "nothing was created" "$before" "$(host_state)"

finish
