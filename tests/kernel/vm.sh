#!/usr/bin/env bash
# via's integration tests on another kernel: Debian's stock kernel package
# (Debian 12's own 6.1 by default), booted in QEMU with a Debian 12 userland
# in an initramfs, via installed in it from its Debian package ($VIA_DEB),
# as a user installs it (dpkg: group via, file capabilities). The scripts
# of tests/integration run there as on this machine, in the guest's own
# network namespaces; the guest has no network device at all.
#
#   VIA_DEB=PACKAGE tests/kernel/vm.sh [SCRIPT...]
#
# A SCRIPT is a path in this tree (tests/integration/test_tag.sh,
# tests/kernel/test_no_bpf_lsm.sh, bench/programs); by default, all of
# tests/integration but the systemd container's (see below). VIA_VM_APPEND adds to the kernel's
# command line (lsm=... for test_no_bpf_lsm).
#
# Cached under $VIA_TEST_CACHE (/var/cache/via-tests), made once:
#   kernel-PACKAGE/       the kernel package (apt-get download), its vmlinuz
#                         and the network modules, depmod'ed
#   debian12-vm-KEY/      the userland (debootstrap), keyed by its packages
#   debian12-vm-KEY.cpio  the same as an initramfs archive
# Each run appends an archive of its own (the package, the tests, /init)
# and boots that; nothing else on this machine changes.
#
# Left out in the guest: test_systemd*, which boot a systemd container of
# their own (systemd-nspawn inside TCG would take most of CI's time); they
# run on this machine's kernel.
#
# VIA_VM_KERNEL names another kernel package (say linux-image-6.12...
# from bookworm-backports). VIA_VM_ACCEL=kvm uses KVM: on these machines
# /dev/kvm is nested without VMX and stock kernels die under it, so TCG
# is the default (-accel tcg,thread=multi -cpu max, qboot).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$HERE/../..
: "${VIA_DEB:?VIA_DEB must name the Debian package of via, from scripts/package}"
[ "$(id -u)" = 0 ] || { echo "FATAL: run me as root (debootstrap, qemu)" >&2; exit 1; }
source "$HERE/../integration/mirror.sh"

CACHE=${VIA_TEST_CACHE:-/var/cache/via-tests}
# The packages of the guest: what via's package needs and what the tests use.
VM_PACKAGES=iproute2,nftables,python3,strace,libcap2-bin,libmnl0,procps,kmod,util-linux,passwd,bpftool,desktop-file-utils
# (Debian 12's current 6.1 ABI, as its metapackage names it.)
stock=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
KERNEL=${VIA_VM_KERNEL:-$stock}
[ -n "$KERNEL" ] || { echo "FATAL: no linux-image-amd64 in apt's lists (apt-get update)" >&2; exit 1; }

TMP=$(mktemp -d /tmp/via-vm-XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# The kernel and its network modules (veth, nftables and their
# dependencies), from the package, once.
vm_kernel() {
    local dir=$CACHE/kernel-$KERNEL
    if [ ! -e "$dir/ready" ]; then
        echo "fetching $KERNEL (once)" >&2
        rm -rf "$dir" && mkdir -p "$dir/deb"
        (cd "$dir/deb" && apt-get download -q "$KERNEL" >/dev/null 2>"$TMP/download.log") ||
            { cat "$TMP/download.log" >&2; exit 1; }
        dpkg-deb -x "$dir"/deb/*.deb "$dir/x"
        local version
        version=$(ls "$dir/x/lib/modules")
        cp "$dir/x/boot/vmlinuz-$version" "$dir/vmlinuz"
        mkdir -p "$dir/root/usr/lib/modules/$version/kernel"
        local sub
        for sub in net lib crypto arch drivers/net/veth.ko; do
            [ -e "$dir/x/lib/modules/$version/kernel/$sub" ] || continue
            mkdir -p "$(dirname "$dir/root/usr/lib/modules/$version/kernel/$sub")"
            cp -a "$dir/x/lib/modules/$version/kernel/$sub" "$dir/root/usr/lib/modules/$version/kernel/$sub"
        done
        cp "$dir/x/lib/modules/$version/modules.builtin"* "$dir/x/lib/modules/$version/modules.order" \
            "$dir/root/usr/lib/modules/$version/"
        depmod -b "$dir/root/usr" "$version"
        (cd "$dir/root" && find . | cpio -o -H newc --quiet >"$dir/modules.cpio")
        rm -rf "$dir/x" "$dir/root" "$dir/deb"
        touch "$dir/ready"
    fi
    echo "$dir"
}

# The Debian 12 userland, once per package list.
vm_userland() {
    local key rootfs
    key=$(printf '%s\n' "$VM_PACKAGES" | sha256sum | cut -c1-12)
    rootfs=$CACHE/debian12-vm-$key
    if [ ! -e "$rootfs.cpio" ]; then
        echo "building the VM's userland in $rootfs (once)" >&2
        mkdir -p "$CACHE"
        rm -rf "$rootfs.tmp"
        debootstrap --variant=minbase --include="$VM_PACKAGES" bookworm "$rootfs.tmp" "$(debian_mirror)" \
            >"$TMP/debootstrap.log" 2>&1 || { tail -20 "$TMP/debootstrap.log" >&2; exit 1; }
        # What no test reads, out of the initramfs.
        rm -rf "$rootfs.tmp"/usr/share/{doc,info,locale,man}/* "$rootfs.tmp"/var/cache/apt/archives/*.deb \
            "$rootfs.tmp"/var/lib/apt/lists/*
        # A resolver of the tests' own (their DNS host, in their namespaces).
        echo "nameserver 198.51.100.53" >"$rootfs.tmp/etc/resolv.conf"
        echo via-vm >"$rootfs.tmp/etc/hostname"
        (cd "$rootfs.tmp" && find . | cpio -o -H newc --quiet >"$rootfs.cpio.tmp")
        rm -rf "$rootfs"
        mv "$rootfs.tmp" "$rootfs"
        mv "$rootfs.cpio.tmp" "$rootfs.cpio"
    fi
    echo "$rootfs.cpio"
}

# This run's archive: the package, the tests and the guest's PID 1.
vm_run_archive() {
    local run=$TMP/run
    mkdir -p "$run/srv/via/tests"
    # What the scripts would compile in the guest, which has no compiler.
    cc -O2 -Wall -static -o "$run/srv/via/load" "$SRC/bench/load.c"
    cp "$VIA_DEB" "$run/srv/via/via.deb"
    cp -a "$SRC/tests/integration" "$SRC/tests/kernel" "$run/srv/via/tests/"
    cp -a "$SRC/bench" "$SRC/contrib" "$SRC/README.md" "$run/srv/via/"  # (test_seeds reads the README)
    printf '%s\n' "$@" >"$run/srv/via/tests.list"
    install -m 0755 "$HERE/guest-init" "$run/via-init"
    (cd "$run" && find . | cpio -o -H newc --quiet >"$TMP/run.cpio")
}

if [ $# -eq 0 ]; then
    set --
    for t in "$SRC"/tests/integration/test_*.sh; do
        name=$(basename "$t" .sh)
        case $name in test_systemd*) continue ;; esac
        set -- "$@" "tests/integration/$name.sh"
    done
fi

kernel=$(vm_kernel)
userland=$(vm_userland)
vm_run_archive "$@"
cat "$userland" "$kernel/modules.cpio" "$TMP/run.cpio" >"$TMP/initrd"

accel=${VIA_VM_ACCEL:-tcg}
[ "$accel" = tcg ] && accel=tcg,thread=multi
echo "booting $KERNEL ($accel) for ${#@} tests" >&2
rc=0
timeout "${VIA_VM_SECONDS:-2700}" qemu-system-x86_64 -accel "$accel" -cpu max -machine q35 -bios /usr/share/qemu/qboot.rom \
    -smp "$(nproc)" -m 4096 -nic none -display none -monitor none -no-reboot -serial "file:$TMP/console.log" \
    -kernel "$kernel/vmlinuz" -initrd "$TMP/initrd" \
    -append "console=ttyS0 rdinit=/via-init panic=-1 quiet loglevel=4 ${VIA_VM_APPEND:-}" </dev/null || rc=$?
# (The serial console ends its lines with CR LF.)
tr -d '\r' <"$TMP/console.log" >"$TMP/console.txt"
cat "$TMP/console.txt"
[ "$rc" = 0 ] || { echo "FATAL: qemu exited with $rc (124: the guest ran out of time)" >&2; exit 1; }
# The guest's own closing line, as each test's finish() prints it.
result=$(grep -a '^via-vm: tests: ' "$TMP/console.txt" | tail -n1)
[ -n "$result" ] || { echo "FATAL: the guest did not finish its tests" >&2; exit 1; }
echo "$result"
grep -aq '^via-vm: tests: [0-9]* passed, 0 failed$' <<<"$result"
