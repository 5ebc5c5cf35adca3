#include <catch2/catch.hpp>

#include <cstddef>

#include "via/sockmark.hpp"

// The program, instruction by instruction, as `bpftool prog dump xlated`
// would show it:
//   0: r2 = 0x56490003
//   1: *(u32 *)(r1 + offsetof(struct bpf_sock, mark)) = r2
//   2: r0 = 1
//   3: exit
TEST_CASE("the socket-mark program stores the mark and allows the socket") {
    const auto p = via::sockmark::program(0x56490003);
    REQUIRE(p.size() == 4);

    CHECK(p[0].code == (BPF_ALU64 | BPF_MOV | BPF_K));
    CHECK(p[0].dst_reg == BPF_REG_2);
    CHECK(static_cast<std::uint32_t>(p[0].imm) == 0x56490003u);

    CHECK(p[1].code == (BPF_STX | BPF_MEM | BPF_W));
    CHECK(p[1].dst_reg == BPF_REG_1);  // the context: struct bpf_sock
    CHECK(p[1].src_reg == BPF_REG_2);
    CHECK(p[1].off == offsetof(bpf_sock, mark));

    CHECK(p[2].code == (BPF_ALU64 | BPF_MOV | BPF_K));
    CHECK(p[2].dst_reg == BPF_REG_0);
    CHECK(p[2].imm == 1);  // 1: let the socket be created

    CHECK(p[3].code == (BPF_JMP | BPF_EXIT));
}

TEST_CASE("a mark with the top bits set survives the 32-bit immediate") {
    const auto p = via::sockmark::program(0x5649ffff);
    CHECK(static_cast<std::uint32_t>(p[0].imm) == 0x5649ffffu);
}
