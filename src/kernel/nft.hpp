// nftables over netlink: libnftnl builds and reads the messages, via's one
// netlink transport (nlmsg.hpp) sends them. RAII handles, a dump of one
// table's rules, and atomic batches in which every message asks for an ACK
// and every ACK is read and mapped back to what it was for.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "kernel/nlmsg.hpp"
#include "launch/handle.hpp"

namespace via::nft {

using Table = Handle<nftnl_table, nftnl_table_free>;
using Chain = Handle<nftnl_chain, nftnl_chain_free>;
using Rule = Handle<nftnl_rule, nftnl_rule_free>;
using Expr = Handle<nftnl_expr, nftnl_expr_free>;
using Set = Handle<nftnl_set, nftnl_set_free>;
using Element = Handle<nftnl_set_elem, nftnl_set_elem_free>;

// A rule as found in the kernel: enough to recognise it and to delete it.
struct ExistingRule {
    std::string chain;
    std::uint64_t handle = 0;
    std::string comment;
    // Its counter's, if it has one.
    std::uint64_t packets = 0;
    std::uint64_t bytes = 0;
};

// The rule's comment (what `nft list` shows as comment "...").
void set_comment(nftnl_rule* rule, const std::string& comment);
std::string comment_of(const nftnl_rule* rule);

// One transaction: all of it is applied, or none of it.
class Batch {
public:
    void add_table(Table table, std::string what);
    void add_chain(Chain chain, std::string what);
    void add_rule(Rule rule, std::string what);
    void delete_rule(Rule rule, std::string what);  // rule carries table, chain, handle
    void delete_chain(Chain chain, std::string what);
    void delete_table(Table table, std::string what);
    // A named set or map (table, name, key and data types set; no elements).
    void add_set(Set set, std::string what);
    void delete_set(Set set, std::string what);
    // Empties the set (a set with table and name, no elements).
    void flush_set(Set set, std::string what);
    // Adds elements to the set named like `set` (its table, name and
    // family), in as many messages as they need.
    void add_elements(const nftnl_set* set, std::vector<Element> elements, const std::string& what);
    bool empty() const { return entries_.empty(); }

private:
    friend class Socket;
    struct Entry {
        std::uint16_t type = 0;   // NFT_MSG_*
        std::uint16_t flags = 0;  // NLM_F_*
        Table table;
        Chain chain;
        Rule rule;
        std::string what;
        Set set;
        bool elements = false;  // the set's elements, not the set
    };
    std::vector<Entry> entries_;
};

class Socket {
public:
    Socket();  // NETLINK_NETFILTER, close-on-exec

    // Every rule of table `table` in family `family`; empty if no such table.
    std::vector<ExistingRule> rules(std::string_view table, std::uint16_t family);

    // The ruleset's generation: every commit of anybody's changes it.
    std::uint32_t generation();

    // Sends the batch and reads every answer. Throws naming the first
    // message the kernel refused; the kernel then applied nothing. With a
    // generation, the kernel applies the batch only if the ruleset is
    // still of it, and refuses it otherwise with ERESTART (read again and
    // plan again): two vias that read the same table cannot both add.
    void commit(const Batch& batch, std::uint16_t family, std::optional<std::uint32_t> generation = {});

private:
    nlmsg::Socket sock_;
};

}  // namespace via::nft
