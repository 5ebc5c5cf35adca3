#include "via/sockmark.hpp"

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "via/error.hpp"
#include "via/handle.hpp"
#include "via/ids.hpp"

namespace via::sockmark {
namespace {

constexpr const char* license = "Dual MIT/GPL";

bpf_insn insn(std::uint8_t code, std::uint8_t dst, std::uint8_t src, std::int16_t off, std::int32_t imm) {
    bpf_insn i{};
    i.code = code;
    i.dst_reg = dst & 0xf;
    i.src_reg = src & 0xf;
    i.off = off;
    i.imm = imm;
    return i;
}

int bpf(int cmd, bpf_attr& attr) { return static_cast<int>(::syscall(__NR_bpf, cmd, &attr, sizeof attr)); }

std::string what(const cgroup::Cgroup& cg, std::uint32_t mark) {
    return "bpf program setting mark " + ids::hex(mark) + " on sockets of cgroup " + cg.path;
}

UniqueFd load(const std::vector<bpf_insn>& insns, const std::string& context) {
    bpf_attr attr{};
    attr.prog_type = BPF_PROG_TYPE_CGROUP_SOCK;
    attr.expected_attach_type = BPF_CGROUP_INET_SOCK_CREATE;
    attr.insns = reinterpret_cast<std::uintptr_t>(insns.data());
    attr.insn_cnt = static_cast<std::uint32_t>(insns.size());
    attr.license = reinterpret_cast<std::uintptr_t>(license);
    std::strncpy(attr.prog_name, "via_sockmark", sizeof attr.prog_name - 1);
    UniqueFd fd(bpf(BPF_PROG_LOAD, attr));
    if (fd) return fd;
    const int err = errno;
    // Ask again with the verifier's log, to say why.
    std::array<char, 4096> log{};
    attr.log_buf = reinterpret_cast<std::uintptr_t>(log.data());
    attr.log_size = log.size();
    attr.log_level = 1;
    UniqueFd again(bpf(BPF_PROG_LOAD, attr));
    errno = err;
    throw errno_error("loading " + context + (log[0] ? " (verifier: " + std::string(log.data()) + ")" : ""),
                      permission_hint(err));
}

// The tag is a hash of the instructions: equal tags, equal programs.
std::array<std::uint8_t, BPF_TAG_SIZE> tag_of(int prog_fd) {
    bpf_prog_info info{};
    bpf_attr attr{};
    attr.info.bpf_fd = static_cast<std::uint32_t>(prog_fd);
    attr.info.info_len = sizeof info;
    attr.info.info = reinterpret_cast<std::uintptr_t>(&info);
    if (bpf(BPF_OBJ_GET_INFO_BY_FD, attr) < 0) throw errno_error("reading a bpf program's tag");
    std::array<std::uint8_t, BPF_TAG_SIZE> tag{};
    std::memcpy(tag.data(), info.tag, tag.size());
    return tag;
}

// Tags of the programs attached to the cgroup for socket creation.
std::vector<std::array<std::uint8_t, BPF_TAG_SIZE>> attached(int cgroup_fd) {
    std::array<std::uint32_t, 64> ids{};
    bpf_attr attr{};
    attr.query.target_fd = static_cast<std::uint32_t>(cgroup_fd);
    attr.query.attach_type = BPF_CGROUP_INET_SOCK_CREATE;
    attr.query.prog_ids = reinterpret_cast<std::uintptr_t>(ids.data());
    attr.query.prog_cnt = ids.size();
    if (bpf(BPF_PROG_QUERY, attr) < 0) throw errno_error("listing bpf programs of a cgroup");
    std::vector<std::array<std::uint8_t, BPF_TAG_SIZE>> tags;
    for (std::uint32_t i = 0; i < attr.query.prog_cnt && i < ids.size(); ++i) {
        bpf_attr get{};
        get.prog_id = ids[i];
        UniqueFd fd(bpf(BPF_PROG_GET_FD_BY_ID, get));
        if (!fd) throw errno_error("opening an attached bpf program");
        tags.push_back(tag_of(fd.get()));
    }
    return tags;
}

}  // namespace

std::vector<bpf_insn> program(std::uint32_t mark) {
    return {
        insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_2, 0, 0, static_cast<std::int32_t>(mark)),
        insn(BPF_STX | BPF_MEM | BPF_W, BPF_REG_1, BPF_REG_2, offsetof(bpf_sock, mark), 0),
        insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1),
        insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
    };
}

void ensure(const cgroup::Cgroup& cg, std::uint32_t mark, const Report& report) {
    const std::string context = what(cg, mark);
    UniqueFd prog = load(program(mark), context);
    UniqueFd dir(::open(cg.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) throw errno_error("opening cgroup " + cg.path);

    const auto existing = attached(dir.get());
    if (existing.size() == 1 && existing[0] == tag_of(prog.get())) {
        report.ensured(context, Outcome::present);
        return;
    }
    // Without BPF_F_ALLOW_MULTI a cgroup holds one program per hook, and
    // attaching replaces it in one step: sockets are never created unmarked.
    bpf_attr attr{};
    attr.target_fd = static_cast<std::uint32_t>(dir.get());
    attr.attach_bpf_fd = static_cast<std::uint32_t>(prog.get());
    attr.attach_type = BPF_CGROUP_INET_SOCK_CREATE;
    attr.attach_flags = 0;
    if (bpf(BPF_PROG_ATTACH, attr) < 0) throw errno_error("attaching " + context);
    report.ensured(context, existing.empty() ? Outcome::created : Outcome::replaced);
}

}  // namespace via::sockmark
