#include "kernel/nft.hpp"

#include <cerrno>
#include <ctime>
#include <map>
#include <poll.h>
#include <arpa/inet.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "launch/error.hpp"

namespace via::nft {
namespace {

constexpr int answer_timeout_ms = 10'000;

int comment_cb(const nftnl_udata* attr, void* data) {
    if (nftnl_udata_type(attr) == NFTNL_UDATA_RULE_COMMENT)
        *static_cast<std::string*>(data) = static_cast<const char*>(nftnl_udata_get(attr));
    return MNL_CB_OK;
}

int rule_cb(const nlmsghdr* nlh, void* data) {
    Rule rule(nftnl_rule_alloc());
    if (!rule || nftnl_rule_nlmsg_parse(nlh, rule.get()) < 0) return MNL_CB_ERROR;
    ExistingRule r;
    r.chain = nftnl_rule_get_str(rule.get(), NFTNL_RULE_CHAIN);
    r.handle = nftnl_rule_get_u64(rule.get(), NFTNL_RULE_HANDLE);
    r.comment = comment_of(rule.get());
    static_cast<std::vector<ExistingRule>*>(data)->push_back(std::move(r));
    return MNL_CB_OK;
}

// Waits for the socket to become readable, so a kernel that never answers
// becomes an error instead of a hang.
void wait_readable(mnl_socket* sock, const std::string& context) {
    pollfd pfd{mnl_socket_get_fd(sock), POLLIN, 0};
    int n = ::poll(&pfd, 1, answer_timeout_ms);
    if (n < 0) throw errno_error(context);
    if (n == 0) throw Error(context + ": no answer from the kernel");
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

Socket::Socket() : sock_(mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC)), seq_(static_cast<std::uint32_t>(std::time(nullptr))) {
    if (!sock_) throw errno_error("opening a netfilter netlink socket");
    if (mnl_socket_bind(sock_.get(), 0, MNL_SOCKET_AUTOPID) < 0)
        throw errno_error("binding the netfilter netlink socket");
    portid_ = mnl_socket_get_portid(sock_.get());
}

std::vector<ExistingRule> Socket::rules(std::string_view table, std::uint16_t family) {
    const std::string context = "reading nftables table " + std::string(table);
    std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
    const std::uint32_t seq = ++seq_;
    nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf.data(), NFT_MSG_GETRULE, family, NLM_F_DUMP, seq);
    Rule filter(nftnl_rule_alloc());
    if (!filter) throw Error(context + ": out of memory");
    nftnl_rule_set_str(filter.get(), NFTNL_RULE_TABLE, std::string(table).c_str());
    nftnl_rule_nlmsg_build_payload(nlh, filter.get());
    if (mnl_socket_sendto(sock_.get(), nlh, nlh->nlmsg_len) < 0) throw errno_error(context, permission_hint(errno));

    std::vector<ExistingRule> out;
    std::vector<char> rx(MNL_SOCKET_BUFFER_SIZE * 4);
    for (;;) {
        wait_readable(sock_.get(), context);
        ssize_t n = mnl_socket_recvfrom(sock_.get(), rx.data(), rx.size());
        if (n < 0) throw errno_error(context);
        int ret = mnl_cb_run(rx.data(), static_cast<std::size_t>(n), seq, portid_, rule_cb, &out);
        if (ret == MNL_CB_STOP) break;
        if (ret < 0) {
            if (errno == ENOENT) return {};  // no such table: nothing of via's yet
            throw errno_error(context, permission_hint(errno));
        }
    }
    return out;
}

namespace {

int generation_attr_cb(const nlattr* attr, void* data) {
    if (mnl_attr_get_type(attr) == NFTA_GEN_ID && mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
        *static_cast<std::optional<std::uint32_t>*>(data) = ntohl(mnl_attr_get_u32(attr));
    return MNL_CB_OK;
}

int generation_cb(const nlmsghdr* nlh, void* data) {
    if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(nfgenmsg))) return MNL_CB_OK;
    return mnl_attr_parse(nlh, sizeof(nfgenmsg), generation_attr_cb, data);
}

}  // namespace

std::uint32_t Socket::generation() {
    const std::string context = "reading the nftables ruleset's generation";
    std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
    const std::uint32_t seq = ++seq_;
    // One answer, NEWGEN (no ACK asked: nothing is left to read after it).
    nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf.data(), NFT_MSG_GETGEN, AF_UNSPEC, 0, seq);
    if (mnl_socket_sendto(sock_.get(), nlh, nlh->nlmsg_len) < 0) throw errno_error(context, permission_hint(errno));
    std::optional<std::uint32_t> id;
    std::vector<char> rx(MNL_SOCKET_BUFFER_SIZE);
    for (;;) {
        wait_readable(sock_.get(), context);
        const ssize_t n = mnl_socket_recvfrom(sock_.get(), rx.data(), rx.size());
        if (n < 0) throw errno_error(context);
        const int ret = mnl_cb_run(rx.data(), static_cast<std::size_t>(n), seq, portid_, generation_cb, &id);
        if (ret < 0) throw errno_error(context, permission_hint(errno));
        if (ret == MNL_CB_STOP || id) break;
    }
    if (!id) throw Error(context + ": no generation in the kernel's answer");
    return *id;
}

void Socket::commit(const Batch& batch, std::uint16_t family, std::optional<std::uint32_t> generation) {
    if (batch.empty()) return;
    // Room for every message: rules are small, a page each is generous.
    std::vector<char> buf((batch.entries_.size() + 2) * MNL_SOCKET_BUFFER_SIZE);
    mnl_nlmsg_batch* b = mnl_nlmsg_batch_start(buf.data(), buf.size());
    using BatchHandle = Handle<mnl_nlmsg_batch, mnl_nlmsg_batch_stop>;
    BatchHandle guard(b);

    std::map<std::uint32_t, std::string> pending;  // seq -> what that message does
    const std::uint32_t begin_seq = ++seq_;
    nlmsghdr* begin = nftnl_batch_begin(static_cast<char*>(mnl_nlmsg_batch_current(b)), begin_seq);
    if (generation) mnl_attr_put_u32(begin, NFNL_BATCH_GENID, htonl(*generation));
    mnl_nlmsg_batch_next(b);
    for (const auto& e : batch.entries_) {
        const std::uint32_t seq = ++seq_;
        nlmsghdr* nlh = nftnl_nlmsg_build_hdr(static_cast<char*>(mnl_nlmsg_batch_current(b)), e.type,
                                              family, e.flags | NLM_F_ACK, seq);
        if (e.table) nftnl_table_nlmsg_build_payload(nlh, e.table.get());
        if (e.chain) nftnl_chain_nlmsg_build_payload(nlh, e.chain.get());
        if (e.rule) nftnl_rule_nlmsg_build_payload(nlh, e.rule.get());
        if (!mnl_nlmsg_batch_next(b)) throw Error("building nftables batch: too large at " + e.what);
        pending.emplace(seq, e.what);
    }
    nftnl_batch_end(static_cast<char*>(mnl_nlmsg_batch_current(b)), ++seq_);
    mnl_nlmsg_batch_next(b);

    if (mnl_socket_sendto(sock_.get(), mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b)) < 0)
        throw errno_error("sending nftables batch", permission_hint(errno));

    // Every message asked for an ACK, and the kernel answers each one even
    // after an error (it reports all errors of a batch, then aborts it).
    std::string failed;
    int failed_errno = 0;
    std::vector<char> rx(MNL_SOCKET_BUFFER_SIZE * 4);
    while (!pending.empty()) {
        wait_readable(sock_.get(), "committing nftables batch");
        ssize_t n = mnl_socket_recvfrom(sock_.get(), rx.data(), rx.size());
        if (n < 0) throw errno_error("reading nftables answers");
        auto* nlh = reinterpret_cast<nlmsghdr*>(rx.data());
        int len = static_cast<int>(n);
        for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
            if (nlh->nlmsg_type != NLMSG_ERROR) continue;
            const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
            if (nlh->nlmsg_seq == begin_seq) {
                // The batch as a whole was refused (no CAP_NET_ADMIN, say).
                errno = -err->error;
                throw errno_error("starting nftables transaction", permission_hint(errno));
            }
            auto it = pending.find(nlh->nlmsg_seq);
            if (it == pending.end()) continue;
            if (err->error != 0 && failed_errno == 0) {
                failed = it->second;
                failed_errno = -err->error;
            }
            pending.erase(it);
        }
    }
    if (failed_errno != 0) {
        errno = failed_errno;
        throw errno_error("nftables: " + failed, permission_hint(failed_errno));
    }
}

}  // namespace via::nft
