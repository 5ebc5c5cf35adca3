#include "launch/dns.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <net/if.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launch/error.hpp"
#include "launch/files.hpp"
#include "launch/handle.hpp"
#include "launch/resolve1.hpp"
#include "launch/text.hpp"
#include "launch/uplink.hpp"
#include "owned.hpp"

namespace via::dns {
namespace {

constexpr const char* resolv_conf_path = "/etc/resolv.conf";
// A private tmpfs for the file, mounted in the program's namespace only.
constexpr const char* scratch = owned::run_dir;

bool is_loopback(const std::string& server) {
    in_addr v4{};
    if (inet_pton(AF_INET, server.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
    return server == "::1";
}

std::vector<std::pair<std::string, std::string>> directives(std::string_view text) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto line : text::lines(text)) {
        const auto [key, rest] = text::head(line);
        if (key.empty() || key[0] == '#' || key[0] == ';') continue;
        out.emplace_back(key, rest);
    }
    return out;
}

void mount_or_throw(const char* source, const char* target, const char* type, unsigned long flags,
                    const char* data, const std::string& what) {
    if (::mount(source, target, type, flags, data) < 0) throw errno_error(what);
}

// Where /etc/resolv.conf really is: often a symbolic link, sometimes into a
// directory that is about to be hidden.
std::string resolv_conf_target() {
    char resolved[PATH_MAX];
    if (::realpath(resolv_conf_path, resolved)) return resolved;
    // A dangling link: its target, made absolute.
    char link[PATH_MAX];
    ssize_t n = ::readlink(resolv_conf_path, link, sizeof link - 1);
    if (n <= 0) throw errno_error(std::string("reading ") + resolv_conf_path);
    link[n] = '\0';
    return link[0] == '/' ? std::string(link) : std::string("/etc/") + link;
}

}  // namespace

std::string private_resolv_conf(const std::vector<std::string>& servers, std::string_view original) {
    std::string out = "# Written by via for this program only: its DNS goes through its uplink.\n";
    for (const auto& s : servers) out += "nameserver " + s + "\n";
    for (const auto& [key, value] : directives(original))
        if (key == "search" || key == "domain" || key == "options") out += key + " " + value + "\n";
    return out;
}

void isolate(const std::vector<std::string>& servers) {
    const std::string content = private_resolv_conf(servers, read_file(resolv_conf_path));
    const std::string target = resolv_conf_target();

    if (::unshare(CLONE_NEWNS) < 0)
        throw errno_error("creating a mount namespace for --dns",
                          permission_hint(errno));
    // Slave: mounts of the system still reach the program; ours never leave.
    mount_or_throw(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr, "making the mount namespace private");

    bool target_hidden = false;
    for (const char* dir : resolver_sockets) {
        if (!is_dir(dir)) continue;
        mount_or_throw("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755,size=64k",
                       std::string("hiding ") + dir);
        if (target.rfind(std::string(dir) + "/", 0) == 0) target_hidden = true;
    }
    if (target_hidden) {
        // /etc/resolv.conf links into a directory now hidden by our tmpfs:
        // the file is written where the link points.
        make_parents(target);
        write_file(target, content);
        return;
    }
    mount_or_throw("tmpfs", scratch, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755,size=64k",
                   std::string("mounting a tmpfs on ") + scratch);
    const std::string file = std::string(scratch) + "/resolv.conf";
    write_file(file, content);
    mount_or_throw(file.c_str(), target.c_str(), nullptr, MS_BIND, nullptr, "showing the program its resolv.conf");
    mount_or_throw(nullptr, target.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr,
                   "making the program's resolv.conf read-only");
    // The file stays bound; the scratch mount goes, so that the program
    // (and a via it runs) sees the machine's /run/via: its lock and notes.
    if (::umount2(scratch, MNT_DETACH) < 0) throw errno_error(std::string("unmounting the tmpfs on ") + scratch);
}

std::string elsewhere(std::string_view resolv_conf, const std::string& uplink, const std::vector<Lan>& lans) {
    for (const auto& [key, server] : directives(resolv_conf)) {
        if (key != "nameserver") continue;
        if (is_loopback(server))
            return "names are resolved by the local resolver at " + server + ", whose queries leave by the "
                   "default uplink, not " + uplink;
        for (const auto& lan : lans)
            if (lan.dev != uplink && uplink::on_link(server, {lan.prefix}))
                return "names are resolved by " + server + ", on the network of " + lan.dev +
                       ": the program's queries leave by " + lan.dev + ", not " + uplink;
        return {};  // glibc asks the first server first
    }
    return {};
}

std::string elsewhere(const uplink::Uplink& up) {
    std::vector<Lan> lans;
    for (const auto& n : up.connected) lans.push_back({n.dev, uplink::prefix_of(n)});
    return elsewhere(read_file(resolv_conf_path), up.name, lans);
}

std::vector<std::string> resolved_servers(const std::string& interface) {
    // Without resolved's socket directory there is nobody to ask (and no
    // D-Bus activation wanted).
    if (!is_dir(resolved_dir)) return {};
    const int ifindex = static_cast<int>(::if_nametoindex(interface.c_str()));
    if (ifindex <= 0) return {};
    auto servers = resolve1::servers(ifindex, owned::max_dns_servers);
    if (!servers)
        std::fprintf(stderr,
                     "via: warning: systemd-resolved did not answer (in 2 s) for %s's name servers: the program "
                     "asks the system's resolver, which may ask by another interface\nhint: pass --dns ADDR, or "
                     "give the uplink its servers in /etc/via/via.conf (dns =, see via.conf(5))\n",
                     interface.c_str());
    return servers.value_or(std::vector<std::string>{});
}

void warn_if_elsewhere(const uplink::Uplink& up) {
    const std::string why = elsewhere(up);
    if (why.empty()) return;
    std::fprintf(stderr,
                 "via: warning: %s\nhint: pass --dns ADDR, or give the uplink its servers in /etc/via/via.conf "
                 "(dns =, see via.conf(5))\n",
                 why.c_str());
}

}  // namespace via::dns
