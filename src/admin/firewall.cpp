#include "admin/firewall.hpp"

#include <algorithm>
#include <cerrno>
#include <array>
#include <netinet/in.h>
#include <cstdio>
#include <cstring>
#include <net/if.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter_ipv4.h>

#include "launch/error.hpp"
#include "owned.hpp"

namespace via::firewall {
namespace {

constexpr std::uint16_t family = NFPROTO_INET;

struct BaseChain {
    std::string_view name;
    const char* type;  // none: a regular chain, reached by a jump
    std::uint32_t hook;
    std::int32_t priority;
};

// table inet via {
//   chain output      { type route  hook output      priority mangle; }
//   chain prerouting  { type filter hook prerouting  priority mangle; }
//   chain postrouting { type nat    hook postrouting priority srcnat; }
//   chain input       { type filter hook input       priority mangle; }
//   chain uplinks     { }
// }
//   chain forward     { type filter hook forward     priority mangle; }
constexpr std::array<BaseChain, 6> chains{{
    {owned::nft_chain_output, "route", NF_INET_LOCAL_OUT, NF_IP_PRI_MANGLE},
    {owned::nft_chain_prerouting, "filter", NF_INET_PRE_ROUTING, NF_IP_PRI_MANGLE},
    {owned::nft_chain_postrouting, "nat", NF_INET_POST_ROUTING, NF_IP_PRI_NAT_SRC},
    {owned::nft_chain_input, "filter", NF_INET_LOCAL_IN, NF_IP_PRI_MANGLE},
    {owned::nft_chain_masquerade, nullptr, 0, 0},
    {owned::nft_chain_forward, "filter", NF_INET_FORWARD, NF_IP_PRI_MANGLE},
}};

// Where an older via redirected DNS (now done per launch by sockmark):
// its rules, "via dns uplink NAME: ...", and the chain go.
constexpr std::string_view retired_owner = "dns ";
constexpr BaseChain retired_chain{owned::nft_chain_nat_output, "nat", NF_INET_LOCAL_OUT, NF_IP_PRI_NAT_DST};

// --- expressions ------------------------------------------------------------

nft::Expr expr(const char* name) {
    nft::Expr e(nftnl_expr_alloc(name));
    if (!e) throw Error(std::string("building nftables expression ") + name + ": out of memory");
    return e;
}

void append(nftnl_rule* rule, nft::Expr e) { nftnl_rule_add_expr(rule, e.release()); }

// meta and ct expressions: load a key into register 1, or set it from there.
void key_expr(nftnl_rule* r, const char* name, std::uint16_t key_attr, std::uint32_t key, std::uint16_t reg_attr) {
    auto e = expr(name);
    nftnl_expr_set_u32(e.get(), key_attr, key);
    nftnl_expr_set_u32(e.get(), reg_attr, NFT_REG_1);
    append(r, std::move(e));
}

void load_meta(nftnl_rule* r, std::uint32_t key, std::uint32_t reg = NFT_REG_1) {
    auto e = expr("meta");
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_META_KEY, key);
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_META_DREG, reg);
    append(r, std::move(e));
}
void set_meta(nftnl_rule* r, std::uint32_t key) { key_expr(r, "meta", NFTNL_EXPR_META_KEY, key, NFTNL_EXPR_META_SREG); }
void load_ct(nftnl_rule* r, std::uint32_t key) { key_expr(r, "ct", NFTNL_EXPR_CT_KEY, key, NFTNL_EXPR_CT_DREG); }
void set_ct(nftnl_rule* r, std::uint32_t key) { key_expr(r, "ct", NFTNL_EXPR_CT_KEY, key, NFTNL_EXPR_CT_SREG); }

void verdict(nftnl_rule* r, std::int32_t code, const char* chain = nullptr) {
    auto e = expr("immediate");
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_IMM_VERDICT, static_cast<std::uint32_t>(code));
    if (chain) nftnl_expr_set_str(e.get(), NFTNL_EXPR_IMM_CHAIN, chain);
    append(r, std::move(e));
}

void accept(nftnl_rule* r) { verdict(r, NF_ACCEPT); }

void compare(nftnl_rule* r, std::uint32_t op, const void* data, std::uint32_t len) {
    auto e = expr("cmp");
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_CMP_SREG, NFT_REG_1);
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_CMP_OP, op);
    nftnl_expr_set(e.get(), NFTNL_EXPR_CMP_DATA, data, len);
    append(r, std::move(e));
}

void equals(nftnl_rule* r, const void* data, std::uint32_t len) { compare(r, NFT_CMP_EQ, data, len); }

void mask(nftnl_rule* r, std::uint32_t bits, std::uint32_t then_xor = 0) {
    auto e = expr("bitwise");
    const std::uint32_t zero = then_xor;
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_BITWISE_LEN, sizeof bits);
    nftnl_expr_set(e.get(), NFTNL_EXPR_BITWISE_MASK, &bits, sizeof bits);
    nftnl_expr_set(e.get(), NFTNL_EXPR_BITWISE_XOR, &zero, sizeof zero);
    append(r, std::move(e));
}

// meta mark & 0xfffeffff == 0x5648xxxx: the uplink's mark M (0x5649xxxx),
// or its open mark (0x5648xxxx, --no-kill-switch launches).
void uplink_mark(nftnl_rule* r, std::uint32_t mark) {
    const std::uint32_t open_bit = owned::mark_base ^ owned::open_mark_base;
    load_meta(r, NFT_META_MARK);
    mask(r, ~open_bit);
    const std::uint32_t both = mark & ~open_bit;
    equals(r, &both, sizeof both);
}

void load_socket_mark(nftnl_rule* r) {
    auto e = expr("socket");
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_SOCKET_KEY, NFT_SOCKET_MARK);
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_SOCKET_DREG, NFT_REG_1);
    append(r, std::move(e));
}

// <loaded value> & 0xfffe0000 == 0x56480000: one of via's marks, of either kind.
void is_via_mark(nftnl_rule* r) {
    mask(r, owned::any_mark_mask);
    const std::uint32_t base = owned::open_mark_base;
    equals(r, &base, sizeof base);
}

void load_payload(nftnl_rule* r, std::uint32_t base, std::uint32_t offset, std::uint32_t len,
                  std::uint32_t reg = NFT_REG_1) {
    auto e = expr("payload");
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_BASE, base);
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_OFFSET, offset);
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_LEN, len);
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_DREG, reg);
    append(r, std::move(e));
}

// meta nfproto ipv4 (or ipv6): the family's headers may be read.
void is_family(nftnl_rule* r, int af) {
    load_meta(r, NFT_META_NFPROTO);
    const std::uint8_t proto = af == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6;
    equals(r, &proto, sizeof proto);
}

// ip saddr NET (or daddr, or ip6): the family, then the address masked.
void network_is(nftnl_rule* r, const rule::Prefix& p, bool source) {
    is_family(r, p.family);
    const std::uint32_t len = p.family == AF_INET ? 4 : 16;
    const std::uint32_t offset = p.family == AF_INET ? (source ? 12 : 16) : (source ? 8 : 24);
    load_payload(r, NFT_PAYLOAD_NETWORK_HEADER, offset, len);
    std::array<std::uint8_t, 16> bits{}, zero{};
    for (unsigned i = 0; i < p.length; ++i) bits[i / 8] |= static_cast<std::uint8_t>(0x80u >> (i % 8));
    auto e = expr("bitwise");
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_BITWISE_LEN, len);
    nftnl_expr_set(e.get(), NFTNL_EXPR_BITWISE_MASK, bits.data(), len);
    nftnl_expr_set(e.get(), NFTNL_EXPR_BITWISE_XOR, zero.data(), len);
    append(r, std::move(e));
    equals(r, p.address.data(), len);
}

// meta l4proto P th dport A-B (network byte order compares as numbers).
void ports_are(nftnl_rule* r, const rule::Ports& p) {
    load_meta(r, NFT_META_L4PROTO);
    equals(r, &p.protocol, sizeof p.protocol);
    load_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
    const std::uint16_t first = htons(p.first), last = htons(p.last);
    if (p.first == p.last) {
        equals(r, &first, sizeof first);
        return;
    }
    compare(r, NFT_CMP_GTE, &first, sizeof first);
    compare(r, NFT_CMP_LTE, &last, sizeof last);
}

void interface_is(nftnl_rule* r, std::uint32_t key, const std::string& name, bool is) {
    load_meta(r, key);
    char padded[IFNAMSIZ] = {};
    std::strncpy(padded, name.c_str(), IFNAMSIZ - 1);
    compare(r, is ? NFT_CMP_EQ : NFT_CMP_NEQ, padded, sizeof padded);
}

// The first packet of a connection this side opened, and no mark yet (a
// launch's sockets, and other tools' marks, are left alone).
void new_and_unmarked(nftnl_rule* r) {
    load_meta(r, NFT_META_MARK);
    const std::uint32_t none = 0;
    equals(r, &none, sizeof none);
    load_ct(r, NFT_CT_DIRECTION);
    const std::uint8_t original = 0;  // IP_CT_DIR_ORIGINAL
    equals(r, &original, sizeof original);
}

// The map's value for the key in `sreg` goes to register 1 (no key: the
// rule stops).
void lookup(nftnl_rule* r, const std::string& map, std::uint32_t sreg) {
    auto e = expr("lookup");
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_LOOKUP_SREG, sreg);
    nftnl_expr_set_u32(e.get(), NFTNL_EXPR_LOOKUP_DREG, NFT_REG_1);
    nftnl_expr_set_str(e.get(), NFTNL_EXPR_LOOKUP_SET, map.c_str());
    append(r, std::move(e));
}

// --- rules ------------------------------------------------------------------

struct Builder {
    nftnl_rule* r;

    void operator()(const KeepMark&) const {
        load_socket_mark(r);
        is_via_mark(r);
        load_socket_mark(r);
        set_meta(r, NFT_META_MARK);
        load_meta(r, NFT_META_MARK);
        set_ct(r, NFT_CT_MARK);
        append(r, expr("counter"));
    }

    void operator()(const ReplyMark&) const {
        load_ct(r, NFT_CT_DIRECTION);
        const std::uint8_t reply = 1;  // IP_CT_DIR_REPLY, in the kernel's nf_conntrack_tuple_common.h
        equals(r, &reply, sizeof reply);
        load_ct(r, NFT_CT_MARK);
        is_via_mark(r);
        load_ct(r, NFT_CT_MARK);
        set_meta(r, NFT_META_MARK);
        append(r, expr("counter"));
        accept(r);
    }

    void operator()(const InboundMark&) const {
        load_ct(r, NFT_CT_STATE);
        mask(r, NF_CT_STATE_BIT(IP_CT_NEW));
        const std::uint32_t zero = 0;
        compare(r, NFT_CMP_NEQ, &zero, sizeof zero);
        load_socket_mark(r);
        is_via_mark(r);
        load_meta(r, NFT_META_IIF);
        mask(r, ~owned::mark_base, owned::mark_base);  // | 0x56490000
        set_ct(r, NFT_CT_MARK);
        append(r, expr("counter"));
    }

    void operator()(const RestoreMark&) const {
        load_ct(r, NFT_CT_MARK);
        is_via_mark(r);
        load_ct(r, NFT_CT_MARK);
        set_meta(r, NFT_META_MARK);
    }

    void operator()(const ToMasquerade&) const {
        load_meta(r, NFT_META_MARK);
        is_via_mark(r);
        verdict(r, NFT_JUMP, std::string(owned::nft_chain_masquerade).c_str());
    }

    void operator()(const Masquerade& m) const {
        uplink_mark(r, m.mark);
        load_meta(r, NFT_META_OIFNAME);
        char name[IFNAMSIZ] = {};
        std::strncpy(name, m.oifname.c_str(), IFNAMSIZ - 1);
        equals(r, name, sizeof name);
        append(r, expr("counter"));
        append(r, expr("masq"));
    }

    // The key into register 1 (and the next): the destination port, or
    // the destination address and the protocol.
    void load_key(const MarkByMap& m) const {
        switch (m.key) {
            case MarkByMap::Key::port:
                // The concatenation's two 4-byte slots: l4proto, then dport.
                load_meta(r, NFT_META_L4PROTO);
                load_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG32_01);
                break;
            case MarkByMap::Key::daddr4:
                load_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 16, 4);
                load_meta(r, NFT_META_L4PROTO, NFT_REG32_01);
                break;
            case MarkByMap::Key::daddr6:
                load_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 24, 16);
                load_meta(r, NFT_META_L4PROTO, NFT_REG32_04);
                break;
        }
    }

    // Every packet of the machine reads this rule: the family first (a
    // cheap no for the other family's map). (A lookup of a map's keys
    // alone, without its value, would fail sooner still, but Linux 6.1
    // refuses it on a named map: EINVAL.)
    void operator()(const MarkByMap& m) const {
        if (m.key != MarkByMap::Key::port) is_family(r, m.key == MarkByMap::Key::daddr4 ? AF_INET : AF_INET6);
        new_and_unmarked(r);
        load_key(m);
        lookup(r, m.map, NFT_REG_1);
        set_meta(r, NFT_META_MARK);
        load_meta(r, NFT_META_MARK);
        set_ct(r, NFT_CT_MARK);
    }

    void matches(const LanMatch& m) const {
        if (!m.iifname.empty()) interface_is(r, NFT_META_IIFNAME, m.iifname, true);
        if (m.from) network_is(r, *m.from, true);
        if (m.to) network_is(r, *m.to, false);
        if (m.ports) ports_are(r, *m.ports);
    }

    void operator()(const MarkLan& m) const {
        matches(m.match);
        load_ct(r, NFT_CT_DIRECTION);
        const std::uint8_t original = 0;
        equals(r, &original, sizeof original);
        auto e = expr("immediate");
        nftnl_expr_set_u32(e.get(), NFTNL_EXPR_IMM_DREG, NFT_REG_1);
        nftnl_expr_set(e.get(), NFTNL_EXPR_IMM_DATA, &m.mark, sizeof m.mark);
        append(r, std::move(e));
        set_meta(r, NFT_META_MARK);
        load_meta(r, NFT_META_MARK);
        set_ct(r, NFT_CT_MARK);
        append(r, expr("counter"));
    }

    void operator()(const GuardLan& g) const {
        matches(g.match);
        interface_is(r, NFT_META_OIFNAME, g.oifname, false);
        if (!g.match.iifname.empty()) interface_is(r, NFT_META_OIFNAME, g.match.iifname, false);
        append(r, expr("counter"));
        verdict(r, NF_DROP);
    }

};

nft::Table make_table() {
    nft::Table t(nftnl_table_alloc());
    if (!t) throw Error("building nftables table: out of memory");
    nftnl_table_set_u32(t.get(), NFTNL_TABLE_FAMILY, family);
    nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, std::string(owned::nft_table).c_str());
    return t;
}

nft::Chain make_chain(const BaseChain& spec) {
    nft::Chain c(nftnl_chain_alloc());
    if (!c) throw Error("building nftables chain: out of memory");
    nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_FAMILY, family);
    nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TABLE, std::string(owned::nft_table).c_str());
    nftnl_chain_set_str(c.get(), NFTNL_CHAIN_NAME, std::string(spec.name).c_str());
    if (!spec.type) return c;
    nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TYPE, spec.type);
    nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_HOOKNUM, spec.hook);
    nftnl_chain_set_s32(c.get(), NFTNL_CHAIN_PRIO, spec.priority);
    nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_POLICY, NF_ACCEPT);
    return c;
}

nft::Rule empty_rule(const std::string& chain) {
    nft::Rule r(nftnl_rule_alloc());
    if (!r) throw Error("building nftables rule: out of memory");
    nftnl_rule_set_u32(r.get(), NFTNL_RULE_FAMILY, family);
    nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, std::string(owned::nft_table).c_str());
    nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, chain.c_str());
    return r;
}

std::string describe(const std::string& chain, const std::string& comment) {
    return "nft rule inet " + std::string(owned::nft_table) + " " + chain + " \"" + comment + "\"";
}

}  // namespace

Plan plan(const std::string& uplink, const ids::UplinkIds& ids) {
    const std::string owner = "uplink " + uplink;
    const std::string via = "via ";
    Plan p;
    p.rules.push_back({std::string(owned::nft_chain_output), "marks",
                       "via marks: replies to connections that came in go back by the interface they came by",
                       ReplyMark{}});
    p.rules.push_back({std::string(owned::nft_chain_input), "inbound",
                       "via inbound: a connection to a socket of via's remembers the interface it came by",
                       InboundMark{}});
    p.rules.push_back({std::string(owned::nft_chain_output), "marks",
                       "via marks: each packet of a socket via marked keeps its mark, saved for replies",
                       KeepMark{}});
    p.rules.push_back({std::string(owned::nft_chain_prerouting), "conntrack",
                       "via conntrack: restore the mark of via's connections", RestoreMark{}});
    p.rules.push_back({std::string(owned::nft_chain_postrouting), "nat",
                       "via nat: only via's marks go on to the uplinks' masquerade rules", ToMasquerade{}});
    p.rules.push_back({std::string(owned::nft_chain_masquerade), owner,
                       via + owner + ": masquerade marks " + ids::hex(ids.mark) + " and " + ids::hex(ids.open_mark) +
                           " leaving " + uplink,
                       Masquerade{ids.mark, uplink}});

    return p;
}

std::string owner_of(const std::string& comment) {
    if (comment.rfind("via ", 0) != 0) return {};
    auto colon = comment.find(':');
    if (colon == std::string::npos) return {};
    return comment.substr(4, colon - 4);
}

Diff diff(const Plan& p, const std::vector<nft::ExistingRule>& existing) {
    Diff d;
    // Groups in the order the plan first names them.
    std::vector<std::pair<std::string, std::string>> groups;
    for (const auto& spec : p.rules)
        if (std::find(groups.begin(), groups.end(), std::pair(spec.chain, spec.owner)) == groups.end())
            groups.emplace_back(spec.chain, spec.owner);

    for (const auto& [chain, owner] : groups) {
        std::vector<const RuleSpec*> wanted;
        for (const auto& spec : p.rules)
            if (spec.chain == chain && spec.owner == owner) wanted.push_back(&spec);
        std::vector<const nft::ExistingRule*> found;  // in the kernel's order
        for (const auto& e : existing)
            if (e.chain == chain && owner_of(e.comment) == owner) found.push_back(&e);

        const bool same = found.size() == wanted.size() &&
                          std::equal(found.begin(), found.end(), wanted.begin(),
                                     [](const auto* e, const auto* w) { return e->comment == w->comment; });
        for (const auto* w : wanted) (same ? d.present : d.add).push_back(*w);
        if (!same)
            for (const auto* e : found) d.remove.push_back(*e);
    }
    // A plan says all there is of its owners: their rules in chains the plan
    // no longer uses (an older via's) go. So do the rules of owners no via
    // plans any more, and then their chain.
    for (const auto& e : existing) {
        const std::string owner = owner_of(e.comment);
        if (owner.starts_with(retired_owner)) {
            d.remove.push_back(e);
            if (std::find(d.drop_chains.begin(), d.drop_chains.end(), e.chain) == d.drop_chains.end())
                d.drop_chains.push_back(e.chain);
            continue;
        }
        const bool planned_owner = std::any_of(groups.begin(), groups.end(), [&](const auto& g) { return g.second == owner; });
        if (planned_owner && std::find(groups.begin(), groups.end(), std::pair(e.chain, owner)) == groups.end())
            d.remove.push_back(e);
    }
    // (A chain that still holds a rule nobody retired stays.)
    std::erase_if(d.drop_chains, [&](const std::string& chain) {
        return std::any_of(existing.begin(), existing.end(), [&](const nft::ExistingRule& e) {
            return e.chain == chain && !owner_of(e.comment).starts_with(retired_owner);
        });
    });
    return d;
}

nft::Rule build(const RuleSpec& spec) {
    auto r = empty_rule(spec.chain);
    std::visit(Builder{r.get()}, spec.action);
    nft::set_comment(r.get(), spec.comment);
    return r;
}

namespace {

// Runs `attempt` (read the table, plan, commit with the generation read
// before the table) again while the kernel says the ruleset changed in
// between: another via, or another tool, committed first.
template <class Attempt>
void with_generation(Attempt attempt) {
    for (int tries = 1;; ++tries) {
        nft::Socket sock;
        const std::uint32_t generation = sock.generation();
        try {
            attempt(sock, generation);
            return;
        } catch (const Error& e) {
            if (e.code().value() != ERESTART || tries == 10) throw;
        }
    }
}

nft::Set make_set(const SetSpec& spec) {
    nft::Set set(nftnl_set_alloc());
    if (!set) throw Error("building nftables set: out of memory");
    nftnl_set_set_u32(set.get(), NFTNL_SET_FAMILY, family);
    nftnl_set_set_str(set.get(), NFTNL_SET_TABLE, std::string(owned::nft_table).c_str());
    nftnl_set_set_str(set.get(), NFTNL_SET_NAME, spec.name.c_str());
    return set;
}

// Each map made if missing, emptied, and given the plan's elements, in
// the same batch as the rules that read them.
void fill_sets(nft::Batch& batch, const std::vector<SetSpec>& sets) {
    static std::uint32_t next_id = 1;
    for (const auto& spec : sets) {
        auto set = make_set(spec);
        nftnl_set_set_u32(set.get(), NFTNL_SET_ID, next_id++);
        std::uint32_t flags = NFT_SET_MAP;
        if (!spec.concat.empty()) {
            flags |= NFT_SET_INTERVAL | NFT_SET_CONCAT;
            std::array<std::uint8_t, NFT_REG32_COUNT> fields{};
            std::copy(spec.concat.begin(), spec.concat.end(), fields.begin());
            nftnl_set_set_data(set.get(), NFTNL_SET_DESC_CONCAT, fields.data(), static_cast<std::uint32_t>(fields.size()));
        }
        nftnl_set_set_u32(set.get(), NFTNL_SET_FLAGS, flags);
        nftnl_set_set_u32(set.get(), NFTNL_SET_KEY_TYPE, spec.key_type);
        nftnl_set_set_u32(set.get(), NFTNL_SET_KEY_LEN, spec.key_len);
        nftnl_set_set_u32(set.get(), NFTNL_SET_DATA_TYPE, 19);  // nft(8)'s mark type
        nftnl_set_set_u32(set.get(), NFTNL_SET_DATA_LEN, sizeof(std::uint32_t));
        batch.add_set(std::move(set), "adding map " + spec.name);
        batch.flush_set(make_set(spec), "emptying map " + spec.name);
        std::vector<nft::Element> elements;
        for (const auto& el : spec.elements) {
            nft::Element e(nftnl_set_elem_alloc());
            if (!e) throw Error("building nftables set element: out of memory");
            nftnl_set_elem_set(e.get(), NFTNL_SET_ELEM_KEY, el.key.data(), static_cast<std::uint32_t>(el.key.size()));
            if (!el.key_end.empty())
                nftnl_set_elem_set(e.get(), NFTNL_SET_ELEM_KEY_END, el.key_end.data(),
                                   static_cast<std::uint32_t>(el.key_end.size()));
            nftnl_set_elem_set_u32(e.get(), NFTNL_SET_ELEM_DATA, el.mark);
            elements.push_back(std::move(e));
        }
        const auto set_like = make_set(spec);
        batch.add_elements(set_like.get(), std::move(elements), "filling map " + spec.name);
    }
}

void apply_once(const Plan& p, nft::Socket& sock, std::uint32_t generation, const Report& report) {
    const Diff d = diff(p, sock.rules(owned::nft_table, family));
    if (!d.add.empty() || !d.remove.empty()) {
        nft::Batch batch;
        // Idempotent: creating what exists is a no-op (no NLM_F_EXCL).
        batch.add_table(make_table(), "adding table inet via");
        for (const auto& c : chains)
            batch.add_chain(make_chain(c), "adding chain " + std::string(c.name));
        for (const auto& e : d.remove) {
            auto r = empty_rule(e.chain);
            nftnl_rule_set_u64(r.get(), NFTNL_RULE_HANDLE, e.handle);
            batch.delete_rule(std::move(r), "deleting stale " + describe(e.chain, e.comment));
        }
        for (const auto& chain : d.drop_chains)
            batch.delete_chain(make_chain(retired_chain), "deleting the retired chain " + chain);
        const bool reads_maps = std::any_of(d.add.begin(), d.add.end(), [](const RuleSpec& spec) {
            return std::holds_alternative<MarkByMap>(spec.action);
        });
        if (reads_maps) fill_sets(batch, p.sets);
        for (const auto& spec : d.add)
            batch.add_rule(build(spec), "adding " + describe(spec.chain, spec.comment));
        sock.commit(batch, family, generation);
    }
    for (const auto& spec : d.present) report.ensured(describe(spec.chain, spec.comment), Outcome::present);
    for (const auto& spec : d.add)
        report.ensured(describe(spec.chain, spec.comment), d.remove.empty() ? Outcome::created : Outcome::replaced);
}

void remove_once(const std::vector<std::string>& owners, bool table, nft::Socket& sock, std::uint32_t generation,
                 const Report& report) {
    const auto rules = sock.rules(owned::nft_table, family);
    if (rules.empty()) return;
    nft::Batch batch;
    if (table) {
        batch.delete_table(make_table(), "deleting table inet via");
        sock.commit(batch, family, generation);
        report.ensured("deleted nft table inet " + std::string(owned::nft_table), Outcome::replaced);
        return;
    }
    std::vector<std::string> said;
    for (const auto& e : rules) {
        if (std::find(owners.begin(), owners.end(), owner_of(e.comment)) == owners.end()) continue;
        auto r = empty_rule(e.chain);
        nftnl_rule_set_u64(r.get(), NFTNL_RULE_HANDLE, e.handle);
        batch.delete_rule(std::move(r), "deleting " + describe(e.chain, e.comment));
        said.push_back("deleted " + describe(e.chain, e.comment));
    }
    if (batch.empty()) return;
    sock.commit(batch, family, generation);
    for (const auto& line : said) report.ensured(line, Outcome::replaced);
}

}  // namespace

void apply(const Plan& p, const Report& report) {
    with_generation([&](nft::Socket& sock, std::uint32_t generation) { apply_once(p, sock, generation, report); });
}

std::vector<nft::ExistingRule> existing() {
    nft::Socket sock;
    return sock.rules(owned::nft_table, family);
}

void remove_sets(const std::vector<std::string>& names, const Report& report) {
    for (const auto& name : names) {
        try {
            with_generation([&](nft::Socket& sock, std::uint32_t generation) {
                nft::Batch batch;
                batch.delete_set(make_set(SetSpec{.name = name}), "deleting map " + name);
                sock.commit(batch, family, generation);
            });
            report.ensured("deleted nft map inet " + std::string(owned::nft_table) + " " + name, Outcome::replaced);
        } catch (const Error& e) {
            if (e.code().value() != ENOENT) throw;
        }
    }
}

void remove(const std::vector<std::string>& owners, bool table, const Report& report) {
    with_generation([&](nft::Socket& sock, std::uint32_t generation) { remove_once(owners, table, sock, generation, report); });
}

}  // namespace via::firewall
