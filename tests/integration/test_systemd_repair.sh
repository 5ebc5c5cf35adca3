#!/usr/bin/env bash
# On a systemd machine, what others delete is repaired without relaunching,
# and meanwhile nothing leaks: networkd deletes via's ip rules when it
# reconfigures a link or restarts (ManageForeignRoutingPolicyRules=yes, its
# default), nftables.service flushes the whole ruleset on reload. The
# hooks scripts/setup installs (networkd-dispatcher, the nftables.service
# drop-in) call `via repair`.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/container.sh"
setup_all
ct_start

ON_UP1="tcp iif=$SV1 src=10.77.1.2"
in_ct() { nsenter -t "$CT_LEADER" -a "$@"; }

# What will break via is said once at launch: here networkd, when via's
# hook is not there to repair what networkd deletes.
ct_script warn <<EOF
via $UP1 -- true 2>&1
EOF
expect_eq "with the hooks installed, no warning about networkd" "" "$(ct_user warn | grep 'networkd deletes' || true)"
hook=$CT_ROOT/etc/networkd-dispatcher/configured.d/50-via
mv "$hook" "$CT_DIR/50-via.away"
expect_contains "without the hook, the launch says what networkd will do" \
    "via: warning: systemd-networkd deletes other tools' ip rules when it reconfigures a link" "$(ct_user warn)"
expect_eq "once per boot" "" "$(ct_user warn | grep 'networkd deletes' || true)"
mv "$CT_DIR/50-via.away" "$hook"

ct_start_prober "$UP1"
check "the prober runs via $UP1" ct_wait_probe 0 "$ON_UP1"
up0=$(server_packets "$SV0" "$PORT")

# repaired WHAT COMMAND...: COMMAND deletes via's state; the hooks put it
# back; the prober, never relaunched, is on $UP1 again, and sent nothing by
# $UP0 meanwhile.
repaired() {
    local what=$1 from
    shift
    from=$(ct_probe_lines)
    "$@"
    check "$what: the running prober is back on $UP1, by the hooks" ct_wait_probe "$from" "$ON_UP1" 3
    expect_eq "$what: not one of its packets left by $UP0" "$up0" "$(server_packets "$SV0" "$PORT")"
}

# networkd deletes foreign rules as it configures a link; the test waits
# for the deletion to have happened before it counts on the repair.
reconfigure() {
    in_ct networkctl reconfigure "$UP0"
    in_ct /lib/systemd/systemd-networkd-wait-online --interface="$UP0" --timeout=30
}
restart_networkd() {
    in_ct systemctl restart systemd-networkd
    in_ct /lib/systemd/systemd-networkd-wait-online --interface="$UP0" --timeout=30
}
# First without the hook: networkd really deletes via's rules, and the
# prober fails closed.
hooks="$CT_ROOT/etc/networkd-dispatcher/routable.d/50-via $CT_ROOT/etc/networkd-dispatcher/configured.d/50-via"
chmod -x $hooks
from=$(ct_probe_lines)
reconfigure
expect_eq "without the hook, networkctl reconfigure leaves none of via's ip rules that route" 0 \
    "$(via_rules | grep -c ' lookup ' || true)"
# It leaves the gotos of via's skip pairs (their nop targets go): the kernel
# ignores a goto whose target is gone.
expect_eq "what it leaves of the skip pairs jumps nowhere" "" "$(via_rules | grep -v unresolved || true)"
check "and the prober's connections fail" ct_wait_probe "$from" "client:" 2
expect_eq "without leaking by $UP0" "$up0" "$(server_packets "$SV0" "$PORT")"
chmod +x $hooks

# via's rules back: one per family for the uplink, and a skip pair around them.
rules_back() {
    expect_eq "$1: via's two ip rules are back" 2 "$(via_rules | grep -c ' lookup ' || true)"
    expect_eq "$1: and the skip pairs, resolved" "2 2 0" \
        "$(via_rules | grep -c ' goto 31901 ' || true) $(via_rules | grep -c ' nop ' || true) $(via_rules | grep -c unresolved || true)"
}
repaired "networkctl reconfigure $UP0" reconfigure
rules_back "networkctl reconfigure"
repaired "networkd restarted" restart_networkd
rules_back "networkd restarted"

# Debian's nftables.conf begins with "flush ruleset": every start and
# reload of nftables.service deletes via's table.
check "the container's nftables.conf flushes the ruleset" grep -q '^flush ruleset' "$CT_ROOT/etc/nftables.conf"
repaired "systemctl start nftables" in_ct systemctl start nftables
check "via's table is back after the start" ip netns exec "$H" nft list table inet via
repaired "systemctl reload nftables" in_ct systemctl reload nftables
check "via's table is back after the reload" ip netns exec "$H" nft list table inet via

ct_stop_prober

# /etc/via's rules from boot on: via-rules.service, enabled by the hooks'
# installer, ran at boot (with no rule: it changed nothing), and puts the
# rules in place when it runs again, as at the next boot; a firewall
# reload's drop-in restores them too.
expect_eq "via-rules.service is enabled" enabled "$(in_ct systemctl is-enabled via-rules.service || true)"
expect_eq "it ran at boot" active "$(in_ct systemctl is-active via-rules.service || true)"
mkdir -p "$CT_ROOT/etc/via"
printf '[rule rtmp]\nuplink = %s\nports = tcp/1935 udp/1935\n' "$UP1" >"$CT_ROOT/etc/via/via.conf"
chmod 0644 "$CT_ROOT/etc/via/via.conf"
check "via-rules.service applies a rule" in_ct systemctl restart via-rules.service
check "the rule's maps are in table inet via" bash -c "ip netns exec '$H' nft list map inet via rule_ports | grep -q 1935"
in_ct systemctl reload nftables
check "after a firewall reload, the drop-in's via repair puts them back" \
    bash -c "ip netns exec '$H' nft list map inet via rule_ports | grep -q 1935"
finish
