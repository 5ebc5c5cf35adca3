#!/usr/bin/env bash
# The program holds no capability, and has exactly the caller's uid, gids,
# environment, file descriptors and cgroup.
source "$(dirname "$0")/lib.sh"
setup_all

inside=$(as_user "$VIA" "$UP1" -- grep -E '^(Cap(Inh|Prm|Eff|Amb)):' /proc/self/status)
for set in CapInh CapPrm CapEff CapAmb; do
    expect_eq "$set of the program is empty" "0000000000000000" "$(awk -v s="$set:" '$1 == s { print $2 }' <<<"$inside")"
done

ids_without=$(as_user grep -E '^(Uid|Gid|Groups):' /proc/self/status)
ids_with=$(as_user "$VIA" "$UP1" -- grep -E '^(Uid|Gid|Groups):' /proc/self/status)
expect_eq "uid, gids and groups are the caller's" "$ids_without" "$ids_with"
expect_contains "the caller is the unprivileged test user" "Uid:	$(id -u "$TUSER")	$(id -u "$TUSER")	$(id -u "$TUSER")	$(id -u "$TUSER")" "$ids_with"

# Variables the dynamic loader strips in secure mode must survive too.
env_vars=(LD_LIBRARY_PATH=/opt/x/lib TMPDIR=/var/tmp/x LOCALDOMAIN=example.test TZDIR=/z FOO='a b' EMPTY=)
env_without=$(as_user env "${env_vars[@]}" env | sort)
env_with=$(as_user env "${env_vars[@]}" "$VIA" "$UP1" -- env | sort)
expect_eq "the environment is the caller's, byte for byte" "$env_without" "$env_with"

# libnl's debug variables reach the program, and nothing inside via reads
# them (it links no libnl): no netlink message, no debug line.
out=$(as_user env NLDBG=7 NLCB=debug NLSYSCONFDIR="$TMP/nowhere" "$VIA" "$UP1" -- env 2>&1)
expect_contains "the program gets NLDBG" "NLDBG=7" "$out"
expect_contains "the program gets NLCB" "NLCB=debug" "$out"
if grep -qE 'NETLINK MESSAGE|DBG<' <<<"$out"; then fail "via printed netlink debug output: $out"; else pass "via prints no netlink debug output for NLCB and NLDBG"; fi

umask_with=$(as_user sh -c "umask 027; exec $VIA $UP1 -- sh -c umask")
expect_eq "the program gets the caller's umask" "0027" "$umask_with"
# A cold launch: the launcher hands it to via itself, the umask with it.
in_host "$VIA" down --force "$UP1" >/dev/null 2>&1
umask_cold=$(as_user sh -c "umask 027; exec $VIA -v $UP1 -- sh -c umask" 2>&1)
expect_contains "(a launch handed to via itself)" "created" "$umask_cold"
expect_eq "it gets the caller's umask too" "0027" "$(tail -n1 <<<"$umask_cold")"

fds_without=$(as_user ls /proc/self/fd)
fds_with=$(as_user "$VIA" "$UP1" -- ls /proc/self/fd)
expect_eq "no file descriptor of via reaches the program" "$fds_without" "$fds_with"

cg_without=$(as_user cat /proc/self/cgroup)
cg_with=$(as_user "$VIA" "$UP1" -- cat /proc/self/cgroup)
expect_eq "the program stays in the caller's cgroup" "$cg_without" "$cg_with"

out=$(as_user "$VIA" "$UP1" -- sh -c 'exit 42'; echo "rc=$?")
expect_eq "the program's exit status is via's" "rc=42" "$out"

# Capabilities are not regained by the program's children either.
out=$(as_user "$VIA" "$UP1" -- sh -c 'grep CapPrm /proc/self/status')
expect_eq "children of the program hold nothing" "CapPrm:	0000000000000000" "$out"

finish
