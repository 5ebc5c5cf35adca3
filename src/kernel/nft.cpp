#include "kernel/nft.hpp"

#include <algorithm>
#include <cerrno>
#include <map>
#include <memory>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <libnftnl/common.h>

#include "launch/error.hpp"

namespace via::nft {
namespace {

constexpr int answer_timeout_ms = 10'000;

int comment_cb(const nftnl_udata* attr, void* data) {
    if (nftnl_udata_type(attr) == NFTNL_UDATA_RULE_COMMENT)
        *static_cast<std::string*>(data) = static_cast<const char*>(nftnl_udata_get(attr));
    return 1;  // go on (MNL_CB_OK)
}

}  // namespace

void set_comment(nftnl_rule* rule, const std::string& comment) {
    using Buf = Handle<nftnl_udata_buf, nftnl_udata_buf_free>;
    Buf buf(nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN));
    if (!buf || !nftnl_udata_put_strz(buf.get(), NFTNL_UDATA_RULE_COMMENT, comment.c_str()))
        throw Error("building nftables rule comment '" + comment + "': too long");
    // nftnl_rule_set_data copies the bytes.
    nftnl_rule_set_data(rule, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(buf.get()),
                        nftnl_udata_buf_len(buf.get()));
}

std::string comment_of(const nftnl_rule* rule) {
    std::string comment;
    if (!nftnl_rule_is_set(rule, NFTNL_RULE_USERDATA)) return comment;
    std::uint32_t len = 0;
    const void* data = nftnl_rule_get_data(rule, NFTNL_RULE_USERDATA, &len);
    nftnl_udata_parse(data, len, comment_cb, &comment);
    return comment;
}

void Batch::add_table(Table table, std::string what) {
    entries_.push_back({NFT_MSG_NEWTABLE, NLM_F_CREATE, std::move(table), {}, {}, std::move(what)});
}
void Batch::add_chain(Chain chain, std::string what) {
    entries_.push_back({NFT_MSG_NEWCHAIN, NLM_F_CREATE, {}, std::move(chain), {}, std::move(what)});
}
void Batch::add_rule(Rule rule, std::string what) {
    entries_.push_back({NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, {}, {}, std::move(rule), std::move(what)});
}
void Batch::delete_rule(Rule rule, std::string what) {
    entries_.push_back({NFT_MSG_DELRULE, 0, {}, {}, std::move(rule), std::move(what)});
}
void Batch::delete_chain(Chain chain, std::string what) {
    entries_.push_back({NFT_MSG_DELCHAIN, 0, {}, std::move(chain), {}, std::move(what)});
}

void Batch::delete_table(Table table, std::string what) {
    entries_.push_back({NFT_MSG_DELTABLE, 0, std::move(table), {}, {}, std::move(what)});
}

void Batch::add_set(Set set, std::string what) {
    entries_.push_back({NFT_MSG_NEWSET, NLM_F_CREATE, {}, {}, {}, std::move(what), std::move(set), false});
}

void Batch::delete_set(Set set, std::string what) {
    entries_.push_back({NFT_MSG_DELSET, 0, {}, {}, {}, std::move(what), std::move(set), false});
}

void Batch::flush_set(Set set, std::string what) {
    entries_.push_back({NFT_MSG_DELSETELEM, 0, {}, {}, {}, std::move(what), std::move(set), true});
}

namespace {

// Elements per message: each fits in a message's room (key, end, data and
// flags of the widest, IPv6, are under 80 bytes).
constexpr std::size_t elements_per_message = 64;

Set empty_like(const nftnl_set* set) {
    Set part(nftnl_set_alloc());
    if (!part) throw Error("building nftables set: out of memory");
    for (const auto attr : {NFTNL_SET_TABLE, NFTNL_SET_NAME})
        nftnl_set_set_str(part.get(), attr, nftnl_set_get_str(set, attr));
    nftnl_set_set_u32(part.get(), NFTNL_SET_FAMILY, nftnl_set_get_u32(set, NFTNL_SET_FAMILY));
    return part;
}

}  // namespace

void Batch::add_elements(const nftnl_set* set, std::vector<Element> elements, const std::string& what) {
    for (std::size_t first = 0; first < elements.size(); first += elements_per_message) {
        Set part = empty_like(set);
        const std::size_t end = std::min(elements.size(), first + elements_per_message);
        for (std::size_t i = first; i < end; ++i) nftnl_set_elem_add(part.get(), elements[i].release());
        entries_.push_back({NFT_MSG_NEWSETELEM, NLM_F_CREATE, {}, {}, {}, what, std::move(part), true});
    }
}

Socket::Socket() : sock_(nlmsg::open(NETLINK_NETFILTER)) {
    if (!sock_) throw errno_error("opening a netfilter netlink socket");
    nlmsg::answer_timeout(sock_.fd(), answer_timeout_ms);
    nlmsg::extended_acks(sock_.fd());
}

namespace {

// The errno of a request that failed, as an error that says what was done.
Error failure(const std::string& context, int error, const std::string& said = {}) {
    if (error == EAGAIN) return Error(context + ": no answer from the kernel");
    errno = error;
    return errno_error(said.empty() ? context : context + " (the kernel: " + said + ")", permission_hint(error));
}

// Room for a message libnftnl builds in place: rules are small, a page
// each is generous.
constexpr std::size_t message_room = 8192;

}  // namespace

std::vector<ExistingRule> Socket::rules(std::string_view table, std::uint16_t family) {
    const std::string context = "reading nftables table " + std::string(table);
    std::vector<std::uint32_t> buf(message_room / sizeof(std::uint32_t));
    nlmsghdr* nlh = nftnl_nlmsg_build_hdr(reinterpret_cast<char*>(buf.data()), NFT_MSG_GETRULE, family, NLM_F_DUMP, 0);
    Rule filter(nftnl_rule_alloc());
    if (!filter) throw Error(context + ": out of memory");
    nftnl_rule_set_str(filter.get(), NFTNL_RULE_TABLE, std::string(table).c_str());
    nftnl_rule_nlmsg_build_payload(nlh, filter.get());
    nlmsg::Message request(nlh, sizeof(nfgenmsg));

    std::vector<ExistingRule> out;
    bool unreadable = false;
    const auto each = [&](const nlmsghdr* m) {
        if (NFNL_MSG_TYPE(m->nlmsg_type) != NFT_MSG_NEWRULE) return;
        Rule rule(nftnl_rule_alloc());
        if (!rule || nftnl_rule_nlmsg_parse(m, rule.get()) < 0) {
            unreadable = true;
            return;
        }
        ExistingRule r;
        r.chain = nftnl_rule_get_str(rule.get(), NFTNL_RULE_CHAIN);
        r.handle = nftnl_rule_get_u64(rule.get(), NFTNL_RULE_HANDLE);
        r.comment = comment_of(rule.get());
        nftnl_expr_foreach(
            rule.get(),
            [](nftnl_expr* e, void* into) {
                if (std::string_view(nftnl_expr_get_str(e, NFTNL_EXPR_NAME)) == "counter") {
                    auto* found = static_cast<ExistingRule*>(into);
                    found->packets += nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_PACKETS);
                    found->bytes += nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_BYTES);
                }
                return 0;
            },
            &r);
        out.push_back(std::move(r));
    };
    int error = 0;
    std::string said;
    if (!nlmsg::ask(sock_, request, each, &error, &said)) {
        if (error == ENOENT) return {};  // no such table: nothing of via's yet
        throw failure(context, error, said);
    }
    if (unreadable) throw Error(context + ": a rule libnftnl cannot read");
    return out;
}

std::uint32_t Socket::generation() {
    const std::string context = "reading the nftables ruleset's generation";
    std::vector<std::uint32_t> buf(message_room / sizeof(std::uint32_t));
    // One answer, NEWGEN (no ACK asked: nothing is left to read after it).
    nlmsg::Message request(nftnl_nlmsg_build_hdr(reinterpret_cast<char*>(buf.data()), NFT_MSG_GETGEN, AF_UNSPEC, 0, 0),
                           sizeof(nfgenmsg));
    std::optional<std::uint32_t> id;
    const auto each = [&](const nlmsghdr* m) {
        nlmsg::each_attr(m, sizeof(nfgenmsg), [&](const nlattr* attr) {
            if (nlmsg::attr_type(attr) == NFTA_GEN_ID && nlmsg::attr_len(attr) == sizeof(std::uint32_t))
                id = ntohl(nlmsg::attr_u32(attr));
        });
    };
    int error = 0;
    std::string said;
    if (!nlmsg::ask(sock_, request, each, &error, &said)) throw failure(context, error, said);
    if (!id) throw Error(context + ": no generation in the kernel's answer");
    return *id;
}

void Socket::commit(const Batch& batch, std::uint16_t family, std::optional<std::uint32_t> generation) {
    if (batch.empty()) return;
    std::vector<std::uint32_t> buf((batch.entries_.size() + 2) * message_room / sizeof(std::uint32_t));
    auto* const head = reinterpret_cast<char*>(buf.data());
    std::size_t used = 0;
    const auto next = [&](nlmsghdr* nlh) { used += NLMSG_ALIGN(nlh->nlmsg_len); };

    std::map<std::uint32_t, std::string> pending;  // seq -> what that message does
    const std::uint32_t begin_seq = sock_.next_seq();
    nlmsghdr* begin = nftnl_batch_begin(head + used, begin_seq);
    if (generation) {
        const std::uint32_t id = htonl(*generation);
        nlmsg::append_attr(begin, NFNL_BATCH_GENID, &id, sizeof id);
    }
    next(begin);
    for (const auto& e : batch.entries_) {
        const std::uint32_t seq = sock_.next_seq();
        nlmsghdr* nlh = nftnl_nlmsg_build_hdr(head + used, e.type, family, e.flags | NLM_F_ACK, seq);
        if (e.table) nftnl_table_nlmsg_build_payload(nlh, e.table.get());
        if (e.chain) nftnl_chain_nlmsg_build_payload(nlh, e.chain.get());
        if (e.rule) nftnl_rule_nlmsg_build_payload(nlh, e.rule.get());
        if (e.set && e.elements) nftnl_set_elems_nlmsg_build_payload(nlh, e.set.get());
        if (e.set && !e.elements) nftnl_set_nlmsg_build_payload(nlh, e.set.get());
        if (nlh->nlmsg_len > message_room) throw Error("building nftables batch: too large at " + e.what);
        next(nlh);
        pending.emplace(seq, e.what);
    }
    next(nftnl_batch_end(head + used, sock_.next_seq()));
    // A batch larger than the socket's default send buffer (sets of many
    // elements): room for it, with CAP_NET_ADMIN past the system's limit.
    if (used > 128 * 1024) {
        const int size = static_cast<int>(used + 4096);
        if (::setsockopt(sock_.fd(), SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) < 0)
            ::setsockopt(sock_.fd(), SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    }

    if (!nlmsg::send_raw(sock_, head, used)) throw failure("sending nftables batch", errno ? errno : EIO);

    // Every message asked for an ACK, and the kernel answers each one even
    // after an error (it reports all errors of a batch, then aborts it).
    std::string failed, said;
    int failed_errno = 0;
    const std::unique_ptr<unsigned char[]> rx(new unsigned char[nlmsg::read_size]);
    while (!pending.empty()) {
        const long n = nlmsg::receive(sock_, rx.get());
        if (n < 0) throw failure("reading nftables answers", errno);
        if (n == 0) throw Error("reading nftables answers: the kernel closed the stream");
        std::size_t left = static_cast<std::size_t>(n);
        for (const unsigned char* at = rx.get(); left >= NLMSG_HDRLEN;) {
            const auto* m = reinterpret_cast<const nlmsghdr*>(at);
            if (m->nlmsg_len < NLMSG_HDRLEN || m->nlmsg_len > left) throw Error("reading nftables answers: cut short");
            if (m->nlmsg_type == NLMSG_ERROR && m->nlmsg_len >= NLMSG_HDRLEN + sizeof(nlmsgerr)) {
                const int error = nlmsg::payload<nlmsgerr>(m)->error;
                if (m->nlmsg_seq == begin_seq)  // the batch as a whole was refused (no CAP_NET_ADMIN, say)
                    throw failure("starting nftables transaction", nlmsg::errno_of(error), nlmsg::ack_message(m));
                if (auto it = pending.find(m->nlmsg_seq); it != pending.end()) {
                    if (error != 0 && failed_errno == 0) {
                        failed = it->second;
                        failed_errno = nlmsg::errno_of(error);
                        said = nlmsg::ack_message(m);
                    }
                    pending.erase(it);
                }
            }
            const std::size_t step = std::min<std::size_t>(NLMSG_ALIGN(m->nlmsg_len), left);
            at += step;
            left -= step;
        }
    }
    if (failed_errno != 0) throw failure("nftables: " + failed, failed_errno, said);
}

}  // namespace via::nft
