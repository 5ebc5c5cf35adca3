#!/usr/bin/env bash
# A kernel that takes via's socket program only as an LSM program (Linux
# 6.1 to 6.15), booted without the BPF LSM among the active ones
# (tests/kernel/vm.sh with lsm=...): via refuses to launch (125), says what
# the kernel lacks and what to do, and sets nothing up; via check says the
# same and fails.
source "$(dirname "$0")/../integration/lib.sh"
setup_all

lsms=$(cat /sys/kernel/security/lsm)
case ",$lsms," in
    *,bpf,*) fatal "the BPF LSM is active ($lsms): boot this test's kernel with lsm= without bpf" ;;
esac
before=$(host_state)
sv1=$(server_packets "$SV1" "$PORT") sv0=$(server_packets "$SV0" "$PORT")

rc=0; err=$(as_user "$VIA" "$UP1" -- "$PY" "$HELPERS/client.py" tcp "$SERVICE" "$PORT" 2>&1) || rc=$?
expect_eq "the launch fails as via's own failure" 125 "$rc"
expect_contains "it says the kernel refuses via's programs" "via: the kernel refuses via's bpf programs" "$err"
expect_contains "why the first socket program was refused" "program via_sock_create: unknown func bpf_task_storage_get" "$err"
expect_contains "why the second" "program via_socket needs the BPF LSM, which is not active ($lsms)" "$err"
expect_contains "and what to do" "hint: via needs Linux 6.1 or newer with BTF and the BPF LSM active" "$err"
expect_eq "the program did not run: nothing reached the server" "$sv0 $sv1" \
    "$(server_packets "$SV0" "$PORT") $(server_packets "$SV1" "$PORT")"
expect_eq "nothing was set up: routes, rules, nftables, sysctls, pins, programs" "$before" "$(host_state)"

rc=0; out=$(as_user "$VIA" check "$UP1" 2>&1) || rc=$?
expect_eq "via check fails" 1 "$rc"
expect_contains "via check says the same" "the kernel refuses via's bpf programs: program via_sock_create" "$out"
expect_eq "via check set nothing up either" "$before" "$(host_state)"
finish
