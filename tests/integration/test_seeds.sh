#!/usr/bin/env bash
# The README's two /etc/via snippets for the tutorials via grew from
# (../shared/seeds), run as written: the blocks are read from README.md,
# and the host namespace has the interfaces they name.
#
#   host ($H)                                   server ($S)
#   wlan0 10.77.0.2/24 (default, metric 100) -- s-wlan0 10.77.0.1
#   wlan1 192.168.0.10/24 (metric 200)       -- s-wlan1 192.168.0.1
#   tun0  10.8.0.2/24 (no default route)     -- s-tun0  10.8.0.1
#   br-lan 192.168.1.1/24                    -- lan0 192.168.1.2 in the LAN ($L)
#
# The VPN tutorial: RTMP (1935, tcp and udp) of the machine and of its LAN
# clients by tun0. The two-ISP one: all DNS and one user's traffic by
# wlan1. Counters on the other interfaces stay at 0.
source "$(dirname "$0")/lib.sh"
README=$HERE/../../README.md

# The blocks: ```ini fences whose first line names /etc/via/conf.d/seed-*.
snippet() {  # snippet NAME
    awk -v want="# /etc/via/conf.d/seed-$1.conf" '
        /^```ini$/ { inside = 1; first = 1; block = ""; next }
        /^```$/ && inside { if (keep) printf "%s", block; inside = 0; keep = 0; next }
        inside { if (first) { keep = index($0, want) == 1; first = 0 } block = block $0 "\n" }
    ' "$README"
}
VPN_CONF=$(snippet vpn)
ISP_CONF=$(snippet isp)
[ -n "$VPN_CONF" ] && [ -n "$ISP_CONF" ] || fatal "README.md lacks the seed-vpn or seed-isp block"

PORT=1935  # the server answers there, and its counters count it
SV0=s-wlan0 SV1=s-wlan1 SV2=s-tun0
L=via-l-$RUN
LB=loadbalancinguser
made_lb=
test_cleanup() {
    ip netns del "$L" 2>/dev/null
    if [ -n "$made_lb" ]; then pkill -9 -u "$LB"; sleep 0.2; userdel "$LB"; fi
}

setup_user
getent passwd "$LB" >/dev/null || { useradd --system --no-create-home --shell /usr/sbin/nologin "$LB" && made_lb=1; }
ip netns add "$H"
ip netns add "$S"
ip netns add "$L"
for ns in "$H" "$S" "$L"; do ip -n "$ns" link set lo up; done
ip -n "$S" addr add "$SERVICE/32" dev lo
ip -n "$S" addr add "$DNS/32" dev lo
ip -n "$S" addr add "$SERVICE6/128" dev lo
ip netns exec "$S" sysctl -qw net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.default.arp_announce=2
in_host sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.default.rp_filter=1
pair() {  # pair HOST-IFACE HOST-ADDR PEER PEER-NS PEER-ADDR
    ip -n "$H" link add "$1" type veth peer name "$3" netns "$4"
    ip -n "$H" addr add "$2" dev "$1"
    ip -n "$4" addr add "$5" dev "$3"
    ip -n "$H" link set "$1" up
    ip -n "$4" link set "$3" up
}
pair wlan0 10.77.0.2/24 s-wlan0 "$S" 10.77.0.1/24
pair wlan1 192.168.0.10/24 s-wlan1 "$S" 192.168.0.1/24
pair tun0 10.8.0.2/24 s-tun0 "$S" 10.8.0.1/24
pair br-lan 192.168.1.1/24 lan0 "$L" 192.168.1.2/24
ip -n "$H" route add default via 10.77.0.1 dev wlan0 metric 100
ip -n "$H" route add default via 192.168.0.1 dev wlan1 metric 200
ip -n "$L" route add default via 192.168.1.1
# What no rule chooses of the LAN goes by main, unmasqueraded: the server
# answers it by wlan0.
ip -n "$S" route add 192.168.1.0/24 via 10.77.0.2
in_host sysctl -qw net.ipv4.ip_forward=1
start_server
H_NETNS=$(netns_cookie "$H")

on() { server_packets "$1" "$2"; }
as() {  # as USER CLIENT-ARGS...
    local who=$1
    shift
    in_host setpriv --reuid="$who" --regid="$(id -g "$who")" --init-groups -- \
        env -i HOME=/ PATH=/usr/bin:/bin "$PY" "$HELPERS/client.py" "$@" 2>&1 || true
}
lan_client() { nsenter --net="/run/netns/$L" -- "$PY" "$HELPERS/client.py" "$@" 2>&1 || true; }

# --- the VPN tutorial -----------------------------------------------------------
write_config "$VPN_CONF"
check "via repair applies the VPN block" in_host "$VIA" repair
wlan0=$(on s-wlan0 "$PORT") wlan1=$(on s-wlan1 "$PORT")
expect_contains "RTMP over tcp leaves by tun0" "iif=s-tun0 src=10.8.0.2" "$(as "$TUSER" tcp "$SERVICE" "$PORT")"
expect_contains "over udp too" "iif=s-tun0 src=10.8.0.2" "$(as "$TUSER" udp "$SERVICE" "$PORT")"
expect_contains "a LAN client's RTMP leaves by tun0, masqueraded" "iif=s-tun0 src=10.8.0.2" \
    "$(lan_client tcp "$SERVICE" "$PORT")"
expect_contains "its udp too" "iif=s-tun0 src=10.8.0.2" "$(lan_client udp "$SERVICE" "$PORT")"
expect_eq "the machine's DNS keeps the main route" "198.51.100.7" "$(as "$TUSER" dns "$DNS" vpn.example.test)"
dns0=$(on s-wlan0 53)
expect_eq "so does the LAN's, which no rule chooses" "198.51.100.7" "$(lan_client dns "$DNS" lan.example.test)"
check "(by wlan0)" test "$(on s-wlan0 53)" -gt "$dns0"
expect_eq "no RTMP by wlan0" "$wlan0" "$(on s-wlan0 "$PORT")"
expect_eq "none by wlan1" "$wlan1" "$(on s-wlan1 "$PORT")"
ip -n "$H" link set tun0 down
expect_contains "with tun0 down, the machine's RTMP is refused" "client:" "$(as "$TUSER" udp "$SERVICE" "$PORT")"
expect_contains "and the LAN's gets nowhere" "client:" "$(lan_client udp "$SERVICE" "$PORT")"
expect_eq "still none by wlan0" "$wlan0" "$(on s-wlan0 "$PORT")"
expect_eq "nor by wlan1" "$wlan1" "$(on s-wlan1 "$PORT")"
ip -n "$H" link set tun0 up
check "via repair when the VPN is back" in_host "$VIA" repair
expect_contains "RTMP by tun0 again" "iif=s-tun0" "$(as "$TUSER" tcp "$SERVICE" "$PORT")"

# --- the two-ISP tutorial --------------------------------------------------------
write_config "$ISP_CONF"
check "via repair applies the two-ISP block" in_host "$VIA" repair
wlan0=$(on s-wlan0 "$PORT") dns0=$(on s-wlan0 53) dns1=$(on s-wlan1 53) tun=$(on s-tun0 "$PORT")
expect_contains "$LB's traffic leaves by wlan1" "iif=s-wlan1 src=192.168.0.10" "$(as "$LB" tcp "$SERVICE" "$PORT")"
expect_contains "its udp too" "iif=s-wlan1 src=192.168.0.10" "$(as "$LB" udp "$SERVICE" "$PORT")"
expect_eq "none of it by wlan0" "$wlan0" "$(on s-wlan0 "$PORT")"
expect_contains "another user's keeps wlan0" "iif=s-wlan0 src=10.77.0.2" "$(as "$TUSER" tcp "$SERVICE" "$PORT")"
expect_eq "every user's DNS leaves by wlan1" "198.51.100.7" "$(as "$TUSER" dns "$DNS" isp.example.test)"
expect_eq "root's too" "198.51.100.7" "$(in_host "$PY" "$HELPERS/client.py" dns "$DNS" root.example.test 2>&1)"
expect_eq "no DNS by wlan0" "$dns0" "$(on s-wlan0 53)"
check "and the server saw it on wlan1" test "$(on s-wlan1 53)" -gt "$dns1"
expect_eq "RTMP has no rule now: nothing by tun0" "$tun" "$(on s-tun0 "$PORT")"
status=$(in_host "$VIA" status)
expect_contains "via status lists the rule" "isp2" "$status"

finish
