#include "owned.hpp"

#include <cstdio>
#include <iterator>

namespace via::owned {
namespace {

std::string hex(std::uint32_t v) {
    char text[11];
    std::snprintf(text, sizeof text, "0x%08x", v);
    return text;
}

}  // namespace

std::vector<Object> registry() {
    std::vector<Object> out{
        {"mark", hex(mark_base + 1) + "-" + hex(mark_base | max_ifindex),
         "an uplink's mark: sockets of its programs, its routing table (0x5649 and the ifindex)"},
        {"mark", hex(open_mark_base + 1) + "-" + hex(open_mark_base | max_ifindex),
         "an uplink's open mark (--no-kill-switch) and its table"},
        {"table", hex(mark_base + 1) + "-" + hex(mark_base | max_ifindex), "an uplink's routing table, the mark's number"},
        {"ip rule", std::to_string(pref_floor - 1) + "-" + std::to_string(pref + 1),
         "via's rules, fwmark M lookup M, at 31900 or just ahead of another tool's (and their skip pair)"},
        {"route protocol", std::to_string(rt_protocol), "on every route and ip rule via writes"},
        {"nft", "table inet " + std::string(nft_table), "via's nftables table: deleting it removes everything via did"},
    };
    for (const auto chain : nft_chains)
        out.push_back({"nft", "chain " + std::string(chain), "a chain of table inet via"});
    for (const auto map : nft_maps)
        out.push_back({"nft", "map " + std::string(map), "a map of table inet via: /etc/via's rules"});
    out.push_back({"file", bpf_dir, "via's bpffs pin directory, root's, 0700"});
    for (const auto& m : maps) out.push_back({"pin", m.pin, std::string("bpf map ") + m.map});
    for (const auto& l : links) out.push_back({"link", std::string(bpf_dir) + "/" + l.name + "-STAMP", l.what});
    out.push_back({"file", run_dir, "via's notes, root's, 0755"});
    out.push_back({"file", lock_file, "serialises launches"});
    out.push_back({"file", std::string(stamps_dir) + "/NETNS/NAME", "what the last full ensure of an uplink left"});
    out.push_back({"file", std::string(uplinks_dir) + "/NETNS/NAME:N", "an uplink via serves, for via repair"});
    out.push_back({"file", warned_file, "the warnings a launch gave this boot"});
    out.push_back({"user", std::string(user_prefix) + "UPLINK", "an uplink's dedicated system user (via adduser)"});
    out.push_back({"group", group, "who may run via; owns via's two binaries"});
    // As the caller, in the caller's home (via desktop).
    out.push_back({"user file", "~/.local/share/applications/via-UPLINK-APP.desktop", "a menu entry via desktop wrote"});
    out.push_back({"user file", "~/.local/share/via/profiles/APP-UPLINK", "the browser profile of such an entry"});
    return out;
}

}  // namespace via::owned
