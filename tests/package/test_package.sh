#!/usr/bin/env bash
# The Debian package ($VIA_DEB, from scripts/package): it installs as
# dumpcap's does (group via, file capabilities), via runs from it as a
# member and leaves by the uplink asked for, the completions and hooks
# are where their tools look, and it uninstalls cleanly.
set -euo pipefail
: "${VIA_DEB:?VIA_DEB must name the package}"
# The package goes into overlays of /etc, /usr and /var, in a mount
# namespace of the test's own: the machine's installed via (scripts/setup's
# in /usr/local, or a package), its /etc/via, its hooks and dpkg's database
# stay as they were, whatever the test does and however it ends.
if [ -z "${VIA_PACKAGE_LAYERS:-}" ]; then
    layers=$(mktemp -d /tmp/via-package-XXXXXX)
    rc=0
    unshare --mount --propagation private env VIA_PACKAGE_LAYERS="$layers" bash "$0" "$@" || rc=$?
    rmdir "$layers"
    exit "$rc"
fi
if [ -z "${VIA_TEST_CGROUP:-}" ]; then
    layers=$VIA_PACKAGE_LAYERS
    mount -t tmpfs -o mode=0755 via-package "$layers"
    for dir in etc usr var; do
        mkdir -p "$layers/$dir.upper" "$layers/$dir.work"
        mount -t overlay overlay -o "lowerdir=/$dir,upperdir=$layers/$dir.upper,workdir=$layers/$dir.work" "/$dir"
    done
    # What the machine has of via is gone from the overlays: the package
    # installs as on a machine without it.
    if dpkg-query -W -f '${Status}' via 2>/dev/null | grep -q 'ok installed'; then dpkg --purge via >/dev/null; fi
    rm -rf /etc/via
    dpkg -i "$VIA_DEB" >/dev/null
    uninstall() {
        local rc=$? left
        dpkg --purge via >/dev/null || rc=1
        left=$(ls -d /usr/bin/via /usr/libexec/via /usr/share/zsh/vendor-completions/_via /usr/share/fish/vendor_completions.d/via.fish \
            /usr/share/bash-completion/completions/via /usr/lib/NetworkManager/dispatcher.d/90-via \
            /usr/lib/systemd/system-sleep/via /etc/via/via.conf 2>/dev/null || true)
        if [ -n "$left" ]; then echo "FAIL: left after purge: $left" >&2; rc=1; else echo "ok: purge removed every file"; fi
        exit "$rc"
    }
    trap uninstall EXIT
fi
VIA=/usr/bin/via
source "$(dirname "$0")/../integration/lib.sh"
setup_all

expect_eq "the postinst gave via its group and mode" "root:via 755" "$(stat -c '%U:%G %a' /usr/bin/via)"
expect_eq "and its capabilities" "/usr/bin/via cap_setgid,cap_setuid,cap_net_admin,cap_sys_admin=p" "$(getcap /usr/bin/via)"
expect_eq "via itself (libexec) too" "root:via 755 /usr/libexec/via/via cap_setgid,cap_setuid,cap_net_admin,cap_sys_admin=p" \
    "$(stat -c '%U:%G %a' /usr/libexec/via/via) $(getcap /usr/libexec/via/via)"
out=$(as_user "$VIA" "$UP1" -- $PY "$HELPERS/client.py" tcp "$SERVICE" "$PORT")
expect_contains "a member's program leaves by $UP1" "iif=$SV1 src=10.77.1.2" "$out"
check "via check passes for the member" as_user "$VIA" check "$UP1"
zsh_finds() { [[ $(zsh -fc 'for d in $fpath; do [[ -e $d/_via ]] && print found; done') == *found* ]]; }
check "zsh finds the completion in its default fpath" zsh_finds
fish_finds() { mkdir -p "$TMP/fish"; grep -q status <<<"$(XDG_CONFIG_HOME=$TMP/fish fish -c 'complete -C "via sta"')"; }
check "fish finds its completion" fish_finds
check "bash-completion finds its completion" test -e /usr/share/bash-completion/completions/via
check "the NetworkManager hook calls /usr/bin/via" grep -q 'exec /usr/bin/via repair' /usr/lib/NetworkManager/dispatcher.d/90-via
check "the man pages are installed" test -e /usr/share/man/man1/via.1
finish
