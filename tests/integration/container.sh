# The systemd test bed; sourced after lib.sh, never run.
#
# A Debian 12 container booted by systemd-nspawn in the test's host network
# namespace ($H): systemd 252 as PID 1, the system bus, logind, networkd
# managing $UP0 (the default uplink), resolved with $UP0's DNS server, and
# a lingering member of group via ($CT_USER) with a user manager and a
# session bus, networkd-dispatcher, and via's hooks installed as
# scripts/setup installs them. $UP1 and $UP2 are left to the test, as a second network
# manager would. The installed via is copied in with its capabilities
# (root:via, 0755).
#
#   ct_start        boot it (and build the cached rootfs first)
#   ct_script NAME  save the shell script on stdin as the container's
#                   /srv/via-test/NAME.sh
#   ct_user NAME    run it as $CT_USER from a real logind session
#                   (PAMName=login), its output piped back
#   ct_root NAME    run it as root, outside any session
#   ct_file NAME    the path, seen from the host, of /srv/via-test/NAME
#
# Scripts are files rather than command lines, because systemd-run expands
# "$" in its arguments. The rootfs is debootstrapped once from the mirror
# apt uses here and cached under $VIA_TEST_CACHE (/var/cache/via-tests),
# keyed by the package list: another list, another rootfs. Each run boots
# an overlay of it; everything is removed when the test ends.

CT_PACKAGES=systemd,systemd-sysv,systemd-resolved,dbus,dbus-user-session,libpam-systemd,iproute2,nftables,python3-minimal,libcap2-bin,libnl-3-200,libnl-route-3-200,libmnl0,libnftnl11,libbpf1,procps,networkd-dispatcher
CT_USER=alice
CT_DIR=$TMP/ct
CT_ROOT=$CT_DIR/merged
CT_LEADER=
CT_NSPAWN_PID=

source "$HERE/mirror.sh"

ct_rootfs() {
    local cache=${VIA_TEST_CACHE:-/var/cache/via-tests}
    local key
    key=$(printf '%s\n' "$CT_PACKAGES" | sha256sum | cut -c1-12)
    local rootfs=$cache/debian12-$key
    if [ ! -x "$rootfs/lib/systemd/systemd" ]; then
        echo "building the container's rootfs in $rootfs (once)" >&2
        mkdir -p "$cache"
        rm -rf "$rootfs.tmp"
        debootstrap --variant=minbase --include="$CT_PACKAGES" bookworm "$rootfs.tmp" "$(debian_mirror)" \
            >"$TMP/debootstrap.log" 2>&1 || { tail -20 "$TMP/debootstrap.log" >&2; fatal "debootstrap failed"; }
        systemctl --root="$rootfs.tmp" enable systemd-networkd systemd-resolved >/dev/null 2>&1
        # Boots faster and quieter: no consoles to log in on.
        systemctl --root="$rootfs.tmp" mask console-getty.service getty@.service >/dev/null 2>&1
        rm -rf "$rootfs"
        mv "$rootfs.tmp" "$rootfs"
    fi
    echo "$rootfs"
}

# Per-run changes, in the overlay's upper layer: the user, group via and
# the installed via, networkd's configuration for $UP0.
ct_prepare() {
    groupadd --root "$CT_ROOT" --system via
    useradd --root "$CT_ROOT" --create-home --groups via --shell /bin/sh "$CT_USER"
    mkdir -p "$CT_ROOT/var/lib/systemd/linger"
    touch "$CT_ROOT/var/lib/systemd/linger/$CT_USER"
    # The launcher and via itself (libexec), as installed beside each other.
    local gid f
    gid=$(awk -F: '$1 == "via" { print $3 }' "$CT_ROOT/etc/group")
    for f in bin/via libexec/via/via; do
        install -D -m 0755 "$(dirname "$VIA")/../$f" "$CT_ROOT/usr/local/$f"
        chown "root:$gid" "$CT_ROOT/usr/local/$f"
        setcap "$(getcap -v "$(dirname "$VIA")/../$f" | sed 's/^[^ ]* //')" "$CT_ROOT/usr/local/$f"
    done
    "$HERE/../../scripts/install-hooks" "$CT_ROOT" /usr/local/bin/via >/dev/null
    mkdir -p "$CT_ROOT/srv/via-test"
    cp "$HELPERS/client.py" "$CT_ROOT/srv/via-test/"
    chmod -R a+rwX "$CT_ROOT/srv/via-test"
    cat >"$CT_ROOT/etc/systemd/network/10-$UP0.network" <<EOF
[Match]
Name=$UP0

[Network]
Address=10.77.0.2/24
Address=2001:db8:0::2/64
DNS=$DNS
IPv6AcceptRA=no
LinkLocalAddressing=no

[Route]
Gateway=10.77.0.1
Metric=100

[Route]
Gateway=2001:db8:0::1
Metric=100
EOF
    echo via-test >"$CT_ROOT/etc/hostname"
}

ct_start() {
    local rootfs
    rootfs=$(ct_rootfs)
    mkdir -p "$CT_DIR/upper" "$CT_DIR/work" "$CT_ROOT" "$CT_DIR/bpf"
    mount -t overlay overlay -o "lowerdir=$rootfs,upperdir=$CT_DIR/upper,workdir=$CT_DIR/work" "$CT_ROOT"
    # nspawn gives the container a read-only /sys without /sys/fs/bpf:
    # systemd's containers get a bpffs bound in, as an administrator would.
    mount -t bpf -o mode=0700 bpf "$CT_DIR/bpf"
    ct_prepare
    # networkd configures $UP0 itself, from nothing.
    ip -n "$H" addr flush dev "$UP0"
    ip -n "$H" route flush dev "$UP0"
    ip -n "$H" -6 route flush dev "$UP0"
    # nspawn puts its payload and supervisor cgroups beside its own: start
    # it from a cgroup of its own below the test's.
    mkdir "$CG2/container"
    (
        echo "$BASHPID" >"$CG2/container/cgroup.procs"
        SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 SYSTEMD_NSPAWN_API_VFS_WRITABLE=network exec systemd-nspawn \
            --quiet --boot --directory="$CT_ROOT" --register=no --keep-unit \
            --network-namespace-path="/run/netns/$H" --resolv-conf=off \
            --capability=CAP_BPF,CAP_PERFMON,CAP_NET_ADMIN --system-call-filter=bpf \
            --bind="$CT_DIR/bpf:/sys/fs/bpf" </dev/null >"$CT_DIR/console.log" 2>&1
    ) &
    CT_NSPAWN_PID=$!
    local init
    for _ in $(seq 100); do
        init=$(find "$CG2/container" -path '*/init.scope/cgroup.procs' -exec cat {} + 2>/dev/null | head -n1)
        [ -n "$init" ] && break
        sleep 0.1
    done
    [ -n "$init" ] || { cat "$CT_DIR/console.log" >&2; fatal "the container did not boot"; }
    CT_LEADER=$init
    for _ in $(seq 100); do
        nsenter -t "$CT_LEADER" -a test -S /run/systemd/private && break
        sleep 0.1
    done
    local state
    state=$(timeout 60 nsenter -t "$CT_LEADER" -a systemctl is-system-running --wait || true)
    [ "$state" = running ] || {
        nsenter -t "$CT_LEADER" -a systemctl --failed --no-pager >&2 || true
        fatal "the container's systemd is '$state', not running"
    }
    nsenter -t "$CT_LEADER" -a /lib/systemd/systemd-networkd-wait-online --interface="$UP0" --timeout=30 ||
        fatal "networkd did not configure $UP0"
    # A second uplink that networkd does not manage: its default route,
    # as the other network manager would add it.
    ip -n "$H" route replace default via 10.77.1.1 dev "$UP1" metric 200
}

ct_stop() {
    [ -n "$CT_NSPAWN_PID" ] || return 0
    # SIGTERM asks the container's systemd to power off, cleanly.
    kill -TERM "$CT_NSPAWN_PID" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$CT_NSPAWN_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$CT_NSPAWN_PID" 2>/dev/null
    wait "$CT_NSPAWN_PID" 2>/dev/null
    CT_NSPAWN_PID=
    umount "$CT_ROOT" 2>/dev/null
    umount "$CT_DIR/bpf" 2>/dev/null
}

ct_systemd_run() {  # ct_systemd_run SYSTEMD-RUN-ARGS... -- COMMAND...
    nsenter -t "$CT_LEADER" -a systemd-run --quiet --wait --pipe "$@"
}

ct_script() {
    cat >"$(ct_file "$1.sh")"
    chmod a+r "$(ct_file "$1.sh")"
}
ct_user() { ct_systemd_run -p User="$CT_USER" -p PAMName=login -- /bin/sh "/srv/via-test/$1.sh"; }
ct_root() { ct_systemd_run -- /bin/sh "/srv/via-test/$1.sh"; }
ct_file() { echo "$CT_ROOT/srv/via-test/$1"; }

# A program launched via UPLINK as $CT_USER from a logind session (a
# service, so it outlives the call), making a TCP connection to the server
# every 0.2 s and logging each answer or error in ct_file probe.log, until
# ct_stop_prober. Its main PID is $CT_PROBER_PID.
ct_start_prober() {  # ct_start_prober UPLINK
    ct_script prober <<EOF
exec via $1 -- sh -c 'while [ ! -e /srv/via-test/stop ]; do python3 /srv/via-test/client.py tcp $SERVICE $PORT >>/srv/via-test/probe.log 2>&1; sleep 0.2; done'
EOF
    rm -f "$(ct_file stop)"
    nsenter -t "$CT_LEADER" -a systemd-run --quiet --unit=via-test-prober -p User="$CT_USER" -p PAMName=login \
        -- /bin/sh /srv/via-test/prober.sh
    for _ in $(seq 50); do [ "$(ct_probe_lines)" -ge 1 ] && break; sleep 0.1; done
    CT_PROBER_PID=$(nsenter -t "$CT_LEADER" -a systemctl show -p MainPID --value via-test-prober.service)
}

ct_stop_prober() { touch "$(ct_file stop)"; }
ct_probe_lines() { cat "$(ct_file probe.log)" 2>/dev/null | wc -l; }

# ct_wait_probe FROM PATTERN [N]: as wait_probe, in the container's prober's log.
ct_wait_probe() { wait_lines "$(ct_file probe.log)" "$@"; }
