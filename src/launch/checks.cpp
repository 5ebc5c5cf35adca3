#include "launch/checks.hpp"

#include <algorithm>
#include <dirent.h>
#include <sys/stat.h>

#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "kernel/nlmsg.hpp"
#include "launch/error.hpp"
#include "launch/files.hpp"
#include "launch/handle.hpp"
#include "launch/ids.hpp"
#include "launch/text.hpp"
#include "owned.hpp"

namespace via::checks {
namespace {

bool exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

// networkd.conf, then the drop-ins of every directory systemd reads, by
// file name (a later directory's file of the same name wins; simplified:
// all of them, sorted by name).
std::vector<std::string> networkd_confs() {
    std::vector<std::string> out{read_file("/etc/systemd/networkd.conf")};
    std::vector<std::string> names;
    for (const char* dir : {"/usr/lib/systemd/networkd.conf.d", "/run/systemd/networkd.conf.d", "/etc/systemd/networkd.conf.d"}) {
        Handle<DIR, closedir> d(::opendir(dir));
        if (!d) continue;
        while (const dirent* e = ::readdir(d.get())) {
            const std::string name = e->d_name;
            if (name.size() > 5 && name.ends_with(".conf")) names.push_back(std::string(dir) + "/" + name);
        }
    }
    std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
        return a.substr(a.rfind('/')) < b.substr(b.rfind('/'));
    });
    for (const auto& n : names) out.push_back(read_file(n));
    return out;
}

}  // namespace

bool networkd_manages_foreign_rules(const std::vector<std::string>& confs) {
    bool manages = true;
    for (const auto& conf : confs) {
        bool network = false;
        for (const auto line : text::lines(conf)) {
            const std::string_view t = text::trim(line);
            if (t.empty() || t[0] == '#' || t[0] == ';') continue;
            if (t[0] == '[') {
                network = t == "[Network]";
                continue;
            }
            const auto eq = t.find('=');
            if (!network || eq == std::string_view::npos ||
                text::trim(t.substr(0, eq)) != "ManageForeignRoutingPolicyRules")
                continue;
            const std::string_view v = text::trim(t.substr(eq + 1));
            manages = !(v == "no" || v == "false" || v == "0" || v == "off");
        }
    }
    return manages;
}

bool flushes_ruleset(std::string_view conf) {
    for (const auto line : text::lines(conf)) {
        const auto words = text::words(line.substr(0, line.find('#')));
        if (words.size() >= 2 && words[0] == "flush" && words[1] == "ruleset") return true;
    }
    return false;
}

bool takes_marked(const Rule& r, std::uint32_t mark, std::uint32_t via_pref) {
    if (r.via || r.pref >= via_pref || r.selects_more || !r.lookup || r.suppresses) return false;
    if (r.table == RT_TABLE_LOCAL || r.table == RT_TABLE_MAIN || r.table == RT_TABLE_DEFAULT) return false;
    const bool matches_mark = (mark & r.fwmask) == r.fwmark;
    return r.invert ? !matches_mark : matches_mark;  // no fwmark: mask 0 matches all
}


std::vector<std::string> gather(std::uint32_t mark, std::uint32_t via_pref, const std::vector<Rule>& rules) {
    std::vector<std::string> out;
    if (exists("/run/systemd/netif/state") && networkd_manages_foreign_rules(networkd_confs()) &&
        !exists("/etc/networkd-dispatcher/configured.d/50-via"))
        out.push_back(
            "networkd\tsystemd-networkd deletes other tools' ip rules when it reconfigures a link "
            "(ManageForeignRoutingPolicyRules=yes), and no hook of via's repairs them: programs on an uplink "
            "fail closed until the next launch; install the hooks (scripts/install-hooks) or set "
            "ManageForeignRoutingPolicyRules=no");
    if (exists("/etc/systemd/system/sysinit.target.wants/nftables.service") &&
        flushes_ruleset(read_file("/etc/nftables.conf")) &&
        !exists("/etc/systemd/system/nftables.service.d/via.conf"))
        out.push_back(
            "nftables\t/etc/nftables.conf flushes the whole ruleset when nftables.service starts or reloads, via's "
            "table too, and no drop-in of via's repairs it: install the hooks (scripts/install-hooks)");
    for (const auto& r : rules)
        if (takes_marked(r, mark, via_pref))
            out.push_back("rule " + std::to_string(r.pref) + "\tip rule " + std::to_string(r.pref) + " (lookup " +
                          std::to_string(r.table) + ") comes before via's and takes its programs' packets: they "
                          "fail closed, with no connection, while it is there");
    return out;
}

std::vector<std::string> unsaid(const std::vector<std::string>& warnings) {
    constexpr const char* path = owned::warned_file;
    const std::string said = read_file(path);
    std::vector<std::string> out;
    std::string keys;
    for (const auto& w : warnings) {
        const std::string key = w.substr(0, w.find('\t'));
        if (("\n" + said).find("\n" + key + "\n") != std::string::npos) continue;
        out.push_back(w);
        keys += key + "\n";
    }
    if (!keys.empty()) {
        // Best effort (/run/via exists: the lock is there): what is not
        // recorded is said again at the next launch.
        append_file(path, keys);
    }
    return out;
}

}  // namespace via::checks
