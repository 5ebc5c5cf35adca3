#!/usr/bin/env bash
# A server launched via $UP1 answers a connection that came in by another
# interface ($UP0) the way it came, from that interface's address, while
# its own outgoing connections still leave by $UP1.
source "$(dirname "$0")/lib.sh"
setup_all

LISTEN=8000
# Answers every connection with a line, until killed.
as_user "$VIA" "$UP1" -- "$PY" -c "
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', $LISTEN))
s.listen(8)
while True:
    c, peer = s.accept()
    c.sendall(b'hello from via\n')
    c.close()
" >"$TMP/listener.log" 2>&1 &
for _ in $(seq 50); do in_host ss -Hltn "sport = :$LISTEN" | grep -q . && break; sleep 0.1; done
check "the server launched via $UP1 listens" bash -c "nsenter --net=/run/netns/$H ss -Hltn 'sport = :$LISTEN' | grep -q ."

# Which interface the server's answers come in by, seen from the client's side.
ip netns exec "$S" nft -f - <<NFT
table inet answers {
    chain prerouting {
        type filter hook prerouting priority -300; policy accept;
        iifname "$SV0" tcp sport $LISTEN counter comment "by $UP0"
        iifname "$SV1" tcp sport $LISTEN counter comment "by $UP1"
    }
}
NFT
answers() {
    ip netns exec "$S" nft list chain inet answers prerouting |
        awk -v c="\"by $1\"" 'index($0, c) { for (i = 1; i <= NF; i++) if ($i == "packets") print $(i + 1) }'
}

# A client out on the Internet (the service address) that reaches the
# machine by $UP0, as through a port forwarded by $UP0's router.
connect_by_up0() {
    ip netns exec "$S" "$PY" -c "
import socket
s = socket.socket()
s.settimeout(3)
s.bind(('$SERVICE', 0))
s.connect(('10.77.0.2', $LISTEN))
print(s.makefile().readline().strip())"
}

out=$(connect_by_up0)
expect_eq "a client that came by $UP0 gets its answer" "hello from via" "$out"
check "the answer came back by $UP0" test "$(answers "$UP0")" -gt 0
expect_eq "none of it by $UP1" 0 "$(answers "$UP1")"
out=$(connect_by_up0)
expect_eq "and again (the rules are in place, nothing to create)" "hello from via" "$out"
expect_eq "still none by $UP1" 0 "$(answers "$UP1")"

# The same program's own connections still leave by $UP1.
out=$(as_user "$VIA" "$UP1" -- "$PY" "$HELPERS/client.py" tcp "$SERVICE" "$PORT")
expect_eq "outgoing connections still leave by $UP1" "tcp iif=$SV1 src=10.77.1.2" "$out"

pkill -u "$TUSER" -f "s.bind\(\('0.0.0.0', $LISTEN" || true
finish
