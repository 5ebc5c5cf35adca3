// The first layer of marking: a cgroup BPF program, attached to the
// uplink's cgroup at BPF_CGROUP_INET_SOCK_CREATE, gives every socket created
// in the cgroup (or below it) the uplink's mark at birth, as SO_MARK would.
//
// Because the socket carries the mark before its first route lookup,
// connect() and sendto() already see the uplink's table and the kill switch:
// they fail at once when the uplink is down or lacks IPv6 (instead of a SYN
// rerouted later and silently dropped), and the source address is the
// uplink's own. The nftables rule (firewall) stays as the second layer and
// marks anything this one missed, such as sockets passed in from outside.
//
// The program never changes, but for the mark it holds, so it is written out
// here as four instructions instead of being compiled from C.
#pragma once

#include <cstdint>
#include <vector>

#include <linux/bpf.h>

#include "via/cgroup.hpp"
#include "via/report.hpp"

namespace via::sockmark {

// r2 = mark; ((struct bpf_sock *)r1)->mark = r2; return 1 (allow).
std::vector<bpf_insn> program(std::uint32_t mark);

// Loads the program and attaches it to the cgroup, replacing a program via
// attached there before unless it is the same. Needs CAP_SYS_ADMIN (or
// CAP_BPF with CAP_NET_ADMIN) effective.
void ensure(const cgroup::Cgroup& cg, std::uint32_t mark, const Report& report);

}  // namespace via::sockmark
