#include "via/served.hpp"

#include <algorithm>
#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "via/constants.hpp"
#include "via/error.hpp"
#include "via/files.hpp"
#include "via/handle.hpp"
#include "via/text.hpp"

namespace via::served {
namespace {

constexpr const char* dir = "/run/via/uplinks";

std::string path_of(const std::string& name) { return std::string(dir) + "/" + name; }  // no '/' in names

}  // namespace

std::string render(const Uplink& u) {
    std::string out;
    if (u.gateway) out += "gateway=" + *u.gateway + "\n";
    if (u.gateway6) out += "gateway6=" + *u.gateway6 + "\n";
    if (u.open) out += "open=1\n";
    return out;
}

Uplink parse(const std::string& name, std::string_view text) {
    Uplink u{name};
    for (const auto line : text::lines(text)) {
        const auto eq = line.find('=');
        if (eq == std::string_view::npos) continue;
        const std::string_view key = line.substr(0, eq), value = line.substr(eq + 1);
        if (key == "gateway") u.gateway = std::string(value);
        if (key == "gateway6") u.gateway6 = std::string(value);
        if (key == "open") u.open = value == "1";
    }
    return u;
}

Uplink merge(const std::optional<Uplink>& before, const Uplink& launch) {
    Uplink u = launch;
    u.open = launch.open || (before && before->open);
    return u;
}

std::optional<Uplink> read(const std::string& name) {
    UniqueFd fd(::open(path_of(name).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) {
        if (errno == ENOENT) return std::nullopt;
        throw errno_error("reading " + path_of(name));
    }
    std::string text(4096, '\0');
    const ssize_t n = ::read(fd.get(), text.data(), text.size());
    if (n < 0) throw errno_error("reading " + path_of(name));
    text.resize(static_cast<std::size_t>(n));
    return parse(name, text);
}

void record(const Uplink& launch) {
    for (const char* d : {constants::run_dir, dir})
        if (::mkdir(d, 0755) < 0 && errno != EEXIST) throw errno_error(std::string("creating ") + d);
    const std::string text = render(merge(read(launch.name), launch));
    replace_file(path_of(launch.name), text);
}

std::vector<Uplink> all() {
    std::vector<Uplink> out;
    Handle<DIR, closedir> d(::opendir(dir));
    if (!d) {
        if (errno == ENOENT) return out;
        throw errno_error(std::string("reading ") + dir);
    }
    while (const dirent* e = ::readdir(d.get())) {
        const std::string name = e->d_name;
        if (name == "." || name == ".." || name.find(".new") != std::string::npos) continue;
        if (auto u = read(name)) out.push_back(*u);
    }
    std::sort(out.begin(), out.end(), [](const Uplink& a, const Uplink& b) { return a.name < b.name; });
    return out;
}

void forget(const std::string& name) {
    if (::unlink(path_of(name).c_str()) < 0 && errno != ENOENT) throw errno_error("removing " + path_of(name));
}

}  // namespace via::served
