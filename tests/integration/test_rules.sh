#!/usr/bin/env bash
# /etc/via's rules: the seeds' ways to choose traffic for the whole
# machine, with no launch. A destination port, a destination network, a
# user, all DNS, and a LAN client namespace behind the host: each leaves
# by the rule's uplink ($UP1, whose default route is the second one) or
# not at all, with the counters on $UP0 at 0; when via's nftables table,
# its ip rules or its routes are wiped, and with the uplink down, nothing
# of it leaves by $UP0 either; `via repair` brings it back; `via status`
# counts it; a bad rule is refused with file:line and changes nothing.
source "$(dirname "$0")/lib.sh"
setup_all

M1=$(mark_of "$UP1")
ON_UP1="iif=$SV1 src=10.77.1.2"
ON_UP0="iif=$SV0 src=10.77.0.2"
OTHER=7001  # a port no rule chooses: the main route, by $UP0

# A second port on the server, for the traffic no rule chooses.
in_server "$PY" - "$OTHER" <<'PY' >/dev/null 2>&1 &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.listen(16)
while True:
    c, peer = s.accept()
    c.sendall(f"src={peer[0]}\n".encode())
    c.close()
PY
OTHER_PID=$!
test_cleanup() { kill "$OTHER_PID" 2>/dev/null; ip netns del "$L" 2>/dev/null; }

# $UP1 up again as a network manager brings it: IPv6 addresses go with
# the link, and the default routes with them.
up1_again() {
    ip -n "$H" link set "$UP1" up
    ip -n "$H" addr replace 2001:db8:1::2/64 dev "$UP1" nodad
    ip -n "$H" route replace default via 10.77.1.1 dev "$UP1" metric 200
    ip -n "$H" -6 route replace default via 2001:db8:1::1 dev "$UP1" metric 200
}

# What a network manager that owns the rules does: every rule of via's goes.
delete_via_ip_rules() {
    local fam pref
    for fam in -4 -6; do
        ip -n "$H" $fam rule show | awk -F: '/proto 86/ { print $1 }' | while read -r pref; do
            ip -n "$H" $fam rule del pref "$pref"
        done
    done
}

# refused_while WHAT CLIENT COMMAND...: once COMMAND has wiped a layer of
# via's, CLIENT's UDP to the rule's port gets no answer, and nothing of it
# reaches $UP0.
refused_while() {
    local what=$1 client=$2 before
    shift 2
    before=$(on "$SV0" "$PORT")
    "$@"
    expect_contains "$what: refused" "client:" "$("$client" udp "$SERVICE" "$PORT")"
    expect_eq "$what: nothing reached $UP0" "$before" "$(on "$SV0" "$PORT")"
}

# The packets via status counted for rule N (in /etc/via's order).
rule_packets() {
    in_host "$VIA" status --json | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["rules"][int(sys.argv[1])]["packets"])' "$1"
}

# The client as the test user, with no via in between.
plain() { as_user "$PY" "$HELPERS/client.py" "$@" 2>&1 || true; }
repair() { in_host "$VIA" repair 2>&1; }
on() { server_packets "$1" "$2"; }

# --- a destination port: the seed's RTMP rule -------------------------------
write_config "[rule rtmp]
uplink = $UP1
ports = tcp/$PORT udp/$PORT"
check "via repair applies the rule" repair
before0=$(on "$SV0" "$PORT")
expect_contains "tcp to the rule's port leaves by $UP1" "$ON_UP1" "$(plain tcp "$SERVICE" "$PORT")"
expect_contains "udp to it too" "$ON_UP1" "$(plain udp "$SERVICE" "$PORT")"
expect_contains "IPv6 to it too" "iif=$SV1" "$(plain tcp "$SERVICE6" "$PORT")"
expect_eq "nothing of it reached $UP0" "$before0" "$(on "$SV0" "$PORT")"
expect_contains "another port keeps the main route" "src=10.77.0.2" "$(plain tcp "$SERVICE" "$OTHER")"
status=$(in_host "$VIA" status)
expect_contains "via status lists the rule" "rtmp" "$status"
packets=$(rule_packets 0)
check "via status counts its packets ($packets)" test "$packets" -gt 0

# Fail closed: wipe each of via's layers; nothing leaves by $UP0.
refused_while "with table inet via deleted" plain in_host nft delete table inet via
expect_contains "and tcp does not connect" "client:" "$(plain tcp "$SERVICE" "$PORT")"
check "via repair restores the table" repair
expect_contains "then it leaves by $UP1 again" "$ON_UP1" "$(plain tcp "$SERVICE" "$PORT")"
refused_while "with via's ip rules deleted" plain delete_via_ip_rules
refused_while "and with its routes flushed too" plain ip -n "$H" route flush table "$((M1))"
check "via repair restores rules and routes" repair
expect_contains "it leaves by $UP1 again" "$ON_UP1" "$(plain udp "$SERVICE" "$PORT")"
refused_while "with $UP1 down" plain ip -n "$H" link set "$UP1" down
up1_again
check "via repair after the link came back" repair
expect_contains "it leaves by $UP1 again" "$ON_UP1" "$(plain tcp "$SERVICE" "$PORT")"

# A launch's uplink wins over the rule for its own programs.
expect_contains "a launch via $UP0 keeps $UP0 for the rule's port" "$ON_UP0" \
    "$(as_user "$VIA" "$UP0" -- "$PY" "$HELPERS/client.py" tcp "$SERVICE" "$PORT" 2>&1)"

# --- a destination network ----------------------------------------------------
write_config "[rule service]
uplink = $UP1
to = $SERVICE/32 ${SERVICE6%::7}::/64"
check "via repair replaces the rule" repair
before0=$(on "$SV0" "$OTHER")
expect_contains "the network's traffic leaves by $UP1, on any port" "src=10.77.1.2" "$(plain tcp "$SERVICE" "$OTHER")"
expect_contains "the old port rule is gone: $PORT to $DNS keeps the main route" "$ON_UP0" \
    "$(plain tcp "$DNS" "$PORT")"
in_host nft delete table inet via
expect_contains "with table inet via deleted, the network is refused" "client:" "$(plain tcp "$SERVICE" "$OTHER")"
check "via repair" repair
expect_contains "IPv6 network too" "iif=$SV1" "$(plain tcp "$SERVICE6" "$PORT")"
# A connection from the rule's network that came in by $UP0 is answered
# by $UP0: only connections this machine opens are chosen.
in_host "$PY" - <<'PY' >/dev/null 2>&1 &
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 7002))
s.listen(4)
s.settimeout(10)
c, _ = s.accept()
c.sendall(b"hello from the host\n")
c.close()
PY
HOST_SERVER=$!
sleep 0.3
answer=$(in_server "$PY" -c '
import socket
s = socket.create_connection(("10.77.0.2", 7002), timeout=3, source_address=("198.51.100.7", 0))
print(s.recv(100).decode().strip())' 2>&1 || true)
expect_eq "a connection from the rule's network, in by $UP0, is answered" "hello from the host" "$answer"
wait "$HOST_SERVER" 2>/dev/null || true

# --- a domain: its addresses, asked of the uplink's server through it --------
write_config "[uplink second]
interface = $UP1
dns = $DNS

[rule names]
uplink = second
domains = svc.example.test"
dns0=$(on "$SV0" 53) dns1=$(on "$SV1" 53)
out=$(in_host "$VIA" repair --verbose 2>&1)
expect_contains "via repair resolves the domain, and says until when it holds" \
    "rule names: svc.example.test is 198.51.100.7/32 2001:db8:ff::7/128 (for 60 s, as of now)" "$out"
check "it asked the uplink's server through $UP1" test "$(on "$SV1" 53)" -gt "$dns1"
expect_eq "not by $UP0" "$dns0" "$(on "$SV0" 53)"
expect_contains "the name's address leaves by $UP1, on any port" "src=10.77.1.2" "$(plain tcp "$SERVICE" "$OTHER")"
expect_contains "its IPv6 address too" "iif=$SV1" "$(plain tcp "$SERVICE6" "$PORT")"
expect_contains "via status shows what the rule chooses" "domains svc.example.test" "$(in_host "$VIA" status)"
refused_while "with table inet via deleted, the domain's address" plain in_host nft delete table inet via
check "via repair" repair

# --- a user: the seed's --uid-owner -----------------------------------------
write_config "[rule person]
uplink = $UP1
users = $TUSER"
check "via repair applies the user rule" repair
expect_contains "every connection of $TUSER leaves by $UP1" "src=10.77.1.2" "$(plain tcp "$SERVICE" "$OTHER")"
expect_contains "root's keep the main route" "src=10.77.0.2" \
    "$(in_host "$PY" "$HELPERS/client.py" tcp "$SERVICE" "$OTHER" 2>&1)"
before0=$(on "$SV0" "$PORT")
in_host nft delete table inet via
ip -n "$H" route flush table "$((M1))"
expect_contains "with nftables and routes wiped, $TUSER's traffic is refused" "client:" "$(plain udp "$SERVICE" "$PORT")"
expect_eq "nothing of it reached $UP0" "$before0" "$(on "$SV0" "$PORT")"
check "via repair" repair

# --- all DNS ------------------------------------------------------------------
write_config "[rule resolver]
uplink = $UP1
dns = all"
check "via repair applies dns = all" repair
before0=$(on "$SV0" 53) before1=$(on "$SV1" 53)
expect_eq "every program's DNS query leaves by $UP1" "198.51.100.7" "$(plain dns "$DNS" rule.example.test)"
expect_eq "root's too" "198.51.100.7" "$(in_host "$PY" "$HELPERS/client.py" dns "$DNS" root.example.test 2>&1)"
expect_eq "none by $UP0" "$before0" "$(on "$SV0" 53)"
check "and the server saw them on $UP1" test "$(on "$SV1" 53)" -gt "$before1"

# --- the LAN behind the machine ---------------------------------------------
L=via-l-$RUN LAN=vl$RUN
ip netns add "$L"
ip -n "$L" link set lo up
ip -n "$H" link add "$LAN" type veth peer name "${LAN}c" netns "$L"
ip -n "$H" addr add 192.168.77.1/24 dev "$LAN"
ip -n "$L" addr add 192.168.77.2/24 dev "${LAN}c"
ip -n "$H" link set "$LAN" up
ip -n "$L" link set "${LAN}c" up
ip -n "$L" route add default via 192.168.77.1
in_host sysctl -qw net.ipv4.ip_forward=1
lan_client() { nsenter --net="/run/netns/$L" -- "$PY" "$HELPERS/client.py" "$@" 2>&1 || true; }

write_config "[rule lan]
uplink = $UP1
from = $LAN 192.168.77.0/24"
check "via repair applies the LAN rule" repair
expect_contains "via check says forwarding is on" "IPv4 forwarding is on" "$(in_host "$VIA" check 2>&1)"
before0=$(on "$SV0" "$PORT")
expect_contains "a LAN client leaves by $UP1, masqueraded" "$ON_UP1" "$(lan_client tcp "$SERVICE" "$PORT")"
expect_contains "its UDP too" "$ON_UP1" "$(lan_client udp "$SERVICE" "$PORT")"
expect_eq "nothing of it reached $UP0" "$before0" "$(on "$SV0" "$PORT")"
refused_while "with the uplink's routes flushed, the LAN client" lan_client ip -n "$H" route flush table "$((M1))"
check "via repair" repair
# (Unmasqueraded by $UP1, it gets no answer.)
refused_while "with table inet via deleted, the LAN client" lan_client in_host nft delete table inet via
check "via repair" repair
refused_while "with via's ip rules deleted, the LAN client" lan_client delete_via_ip_rules
check "via repair" repair
expect_contains "after each repair, it leaves by $UP1 again" "$ON_UP1" "$(lan_client tcp "$SERVICE" "$PORT")"
refused_while "with $UP1 down, the LAN client" lan_client ip -n "$H" link set "$UP1" down
up1_again
check "via repair" repair
lan_packets=$(rule_packets 0)
check "via status counts the LAN's packets ($lan_packets)" test "$lan_packets" -gt 0
in_host sysctl -qw net.ipv4.ip_forward=0
expect_contains "via check says when forwarding is off" "IPv4 forwarding is off" "$(in_host "$VIA" check 2>&1)"

# --- bad rules: file:line, and nothing changes --------------------------------
state_before=$(host_state)
bad() {  # bad DESCRIPTION NEEDLE CONFIG
    write_config "$3"
    local out rc=0
    out=$(in_host "$VIA" repair 2>&1) || rc=$?
    expect_eq "$1: exit 125" 125 "$rc"
    expect_contains "$1: says where" "$2" "$out"
}
bad "a port in two rules" "via.conf:4: rule 'b': tcp/$PORT is already chosen by rule 'a'" "[rule a]
uplink = $UP1
ports = tcp/$PORT
[rule b]
uplink = $UP0
ports = tcp/$((PORT - 1))-$PORT"
bad "a rule without uplink" "via.conf:1: rule 'x' has no uplink" "[rule x]
ports = 80"
bad "an unknown user" "no user 'nobody-$RUN'" "[rule u]
uplink = $UP1
users = nobody-$RUN"
bad "host bits" "has host bits set: the network is 203.0.113.0/24" "[rule n]
uplink = $UP1
to = 203.0.113.7/24"
expect_eq "refused rules change nothing" "$state_before" "$(host_state)"

# --- no rule: what rules left goes ------------------------------------------
write_config ""
check "via repair with no rule" repair
expect_eq "no rule of via's rules is left" "" "$(in_host nft list table inet via 2>/dev/null | grep 'via rules' || true)"
expect_contains "a LAN-ruled port goes by the main route again" "src=10.77.0.2" "$(plain tcp "$SERVICE" "$OTHER")"

finish
