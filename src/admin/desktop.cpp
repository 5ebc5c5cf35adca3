#include "admin/desktop.hpp"

#include <algorithm>
#include <sstream>

#include "launch/text.hpp"

namespace via::desktop {
namespace {

constexpr std::string_view reserved = " \t\n\"'\\><~|&;$*?#()`";

// A browser's own option for a separate instance with its own profile.
std::vector<std::string> profile_arguments(const std::string& program, const Options& o) {
    const std::string base = program.substr(program.rfind('/') + 1);
    const std::string dir = o.profiles + "/" + o.app_id + "-" + o.uplink;
    if (base.starts_with("firefox")) return {"--new-instance", "--profile", dir};
    for (const char* chromium : {"chromium", "chrome", "google-chrome", "brave", "vivaldi", "microsoft-edge"})
        if (base.starts_with(chromium)) return {"--user-data-dir=" + dir};
    return {};
}

// The first argument of an Exec value (the program), as written.
std::string first_word(std::string_view exec, std::size_t& end) {
    std::size_t i = 0;
    std::string word;
    if (!exec.empty() && exec[0] == '"') {
        for (i = 1; i < exec.size() && exec[i] != '"'; ++i) {
            if (exec[i] == '\\' && i + 1 < exec.size()) ++i;
            word += exec[i];
        }
        end = std::min(exec.size(), i + 1);
        return word;
    }
    while (i < exec.size() && exec[i] != ' ') word += exec[i++];
    end = i;
    return word;
}

// Exec values are a second time escaped as strings of the file: "\\" is a
// backslash, "\s" a space.
std::string escape_string(const std::string& s) {
    std::string out;
    for (char c : s) out += c == '\\' ? std::string("\\\\") : std::string(1, c);
    return out;
}

}  // namespace

std::string app_id_of(std::string_view name) {
    name = name.substr(name.rfind('/') == std::string_view::npos ? 0 : name.rfind('/') + 1);
    if (name.ends_with(".desktop")) name.remove_suffix(8);
    return std::string(name);
}

std::string wrapped_id(const std::string& uplink, const std::string& app_id) {
    return "via-" + uplink + "-" + app_id + ".desktop";
}

std::string quote_argument(const std::string& argument) {
    if (!argument.empty() && argument.find_first_of(reserved) == std::string::npos) return argument;
    std::string out = "\"";
    for (char c : argument) {
        if (c == '"' || c == '`' || c == '$' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

Wrapped wrap(std::string_view entry, const Options& o) {
    std::ostringstream out;
    std::string group;
    bool main_seen = false, exec_in_main = false, dbus_written = false;
    const std::string suffix = " (via " + o.uplink + ")";
    for (auto line : text::lines(entry)) {
        if (line.ends_with('\r')) line.remove_suffix(1);
        const std::string_view t = text::trim(line);
        if (t.starts_with('[')) {
            if (group == "Desktop Entry" && !dbus_written) out << "DBusActivatable=false\n";
            group = std::string(t.substr(1, t.find(']') - 1));
            if (group == "Desktop Entry") main_seen = true;
            out << line << "\n";
            continue;
        }
        const auto eq = t.find('=');
        if (t.empty() || t.starts_with('#') || eq == std::string_view::npos ||
            (group != "Desktop Entry" && !group.starts_with("Desktop Action "))) {
            out << line << "\n";
            continue;
        }
        const std::string key(text::trim(t.substr(0, eq)));
        const std::string value(text::trim(t.substr(eq + 1)));
        if (key == "Name" || key.starts_with("Name[")) {
            out << key << "=" << value << suffix << "\n";
        } else if (key == "DBusActivatable" && group == "Desktop Entry") {
            out << "DBusActivatable=false\n";
            dbus_written = true;
        } else if (key == "Exec") {
            if (value.empty()) return {{}, "an empty Exec line in [" + group + "]"};
            if (group == "Desktop Entry") exec_in_main = true;
            std::size_t end = 0;
            const std::string program = first_word(value, end);
            // (value is escaped as the file has it already; only what is
            // added here is escaped.)
            std::string added;
            for (const auto& arg : profile_arguments(program, o)) added += " " + quote_argument(arg);
            out << "Exec=" << escape_string(o.via + " --notify " + quote_argument(o.uplink) + " -- ")
                << value.substr(0, end) << escape_string(added) << value.substr(end) << "\n";
        } else {
            out << line << "\n";
        }
    }
    if (group == "Desktop Entry" && !dbus_written) out << "DBusActivatable=false\n";
    if (!main_seen) return {{}, "no [Desktop Entry] group: not a desktop entry"};
    if (!exec_in_main) return {{}, "its [Desktop Entry] has no Exec line to wrap (D-Bus activated only?)"};
    return {out.str(), {}};
}

std::vector<std::string> search_dirs(const char* data_home, const char* data_dirs, const char* home) {
    std::vector<std::string> out;
    if (data_home && *data_home == '/')
        out.push_back(std::string(data_home) + "/applications");
    else if (home && *home)
        out.push_back(std::string(home) + "/.local/share/applications");
    std::string dirs = data_dirs && *data_dirs ? data_dirs : "/usr/local/share:/usr/share";
    for (const auto d : text::split(dirs, ':'))
        if (d[0] == '/') out.push_back(std::string(d) + "/applications");
    return out;
}

}  // namespace via::desktop
