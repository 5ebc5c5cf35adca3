#include "launch/served.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <map>
#include <sys/stat.h>
#include <unistd.h>

#include "launch/error.hpp"
#include "launch/files.hpp"
#include "launch/handle.hpp"
#include "launch/ids.hpp"
#include "launch/text.hpp"
#include "owned.hpp"

namespace via::served {
namespace {

constexpr const char* top = owned::uplinks_dir;

// The notes of via's network namespace's uplinks.
const std::string& dir() {
    static const std::string d = std::string(top) + "/" + std::to_string(ids::own_netns());
    return d;
}

std::string path_of(const Entry& e) { return dir() + "/" + e.name + ":" + std::to_string(e.generation); }

// Every note file, by uplink, oldest first.
std::map<std::string, std::vector<std::uint64_t>> listing() {
    std::map<std::string, std::vector<std::uint64_t>> out;
    Handle<DIR, closedir> d(::opendir(dir().c_str()));
    if (!d) {
        if (errno == ENOENT) return out;
        throw errno_error("reading " + dir());
    }
    while (const dirent* e = ::readdir(d.get()))
        if (const auto entry = entry_of(e->d_name)) out[entry->name].push_back(entry->generation);
    for (auto& [name, generations] : out) std::sort(generations.begin(), generations.end());
    return out;
}

// The newest note of `name`, from a listing. A file removed since (its
// writer's successor cleans up) is looked for again.
std::optional<Note> look_in(const std::string& name, const std::vector<std::uint64_t>& generations) {
    if (generations.empty()) return Note{};
    const Entry newest{name, generations.back()};
    const auto text = read_whole(path_of(newest));
    if (!text) {
        if (errno == ENOENT) return std::nullopt;
        throw errno_error("reading " + path_of(newest));
    }
    return Note{newest.generation, parse(name, *text)};
}

void make_dir() {
    for (const std::string& d : {std::string(owned::run_dir), std::string(top), dir()})
        if (::mkdir(d.c_str(), 0755) < 0 && errno != EEXIST) throw errno_error("creating " + d);
}

// Generation `next` of `name` with `text`, unless it exists.
bool create(const Entry& next, const std::string& text) {
    make_dir();
    // A temporary name no note has (no digits after the ':').
    const std::string tmp = dir() + "/" + next.name + ":new." + std::to_string(::getpid());
    write_file(tmp, text);
    const int linked = ::link(tmp.c_str(), path_of(next).c_str());
    const int error = errno;
    ::unlink(tmp.c_str());
    if (linked < 0 && error == EEXIST) return false;
    if (linked < 0) throw Error("writing " + path_of(next) + ": " + std::strerror(error));
    // The older ones go (a reader that listed them before finds its file
    // gone, and looks again).
    const auto files = listing();
    if (const auto it = files.find(next.name); it != files.end())
        for (const auto generation : it->second)
            if (generation < next.generation) ::unlink(path_of({next.name, generation}).c_str());
    return true;
}

}  // namespace

std::string render(const Uplink& u) {
    std::string out;
    if (u.gateway) out += "gateway=" + *u.gateway + "\n";
    if (u.gateway6) out += "gateway6=" + *u.gateway6 + "\n";
    if (u.open) out += "open=1\n";
    return out;
}

std::optional<Uplink> parse(const std::string& name, std::string_view text) {
    Uplink u{name};
    for (const auto line : text::lines(text)) {
        const auto eq = line.find('=');
        if (eq == std::string_view::npos) continue;
        const std::string_view key = line.substr(0, eq), value = line.substr(eq + 1);
        if (key == "gateway") u.gateway = std::string(value);
        if (key == "gateway6") u.gateway6 = std::string(value);
        if (key == "open") u.open = value == "1";
        if (key == "gone" && value == "1") return std::nullopt;
    }
    return u;
}

std::optional<Entry> entry_of(std::string_view file) {
    const auto colon = file.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    const auto digits = file.substr(colon + 1);
    std::uint64_t generation = 0;
    if (colon == 0 || digits.empty() || digits.front() == '0' ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        !text::number(digits, generation))
        return std::nullopt;
    return Entry{std::string(file.substr(0, colon)), generation};
}

Uplink merge(const std::optional<Uplink>& before, const Uplink& launch) {
    Uplink u = launch;
    u.open = launch.open || (before && before->open);
    return u;
}

Note look(const std::string& name) {
    for (;;) {
        const auto files = listing();
        const auto it = files.find(name);
        if (it == files.end()) return Note{};
        if (auto note = look_in(name, it->second)) return *note;
    }
}

std::optional<Uplink> read(const std::string& name) { return look(name).uplink; }

std::vector<Uplink> all() {
    std::vector<Uplink> out;
    for (const auto& [name, generations] : listing()) {
        auto note = look_in(name, generations);
        if (!note) note = look(name);  // replaced meanwhile: the newest
        if (note->uplink) out.push_back(*note->uplink);
    }
    return out;  // by name: the listing's order
}

bool record(const Uplink& uplink, std::uint64_t seen) { return create({uplink.name, seen + 1}, render(uplink)); }

void forget(const std::string& name) {
    for (;;) {
        const Note note = look(name);
        if (!note.uplink) return;  // never served, or forgotten already
        if (create({name, note.generation + 1}, "gone=1\n")) return;
    }
}

}  // namespace via::served
