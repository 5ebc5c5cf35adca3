// via desktop UPLINK APP: a wrapped copy of an application's menu entry
// (freedesktop.org Desktop Entry Specification 1.5) that starts it via the
// uplink. wrap() is pure; the command finds, reads and writes the files.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace via::desktop {

// The new entry's file id: "via-wlan1-firefox-esr.desktop".
std::string wrapped_id(const std::string& uplink, const std::string& app_id);

// The application id of a .desktop file name or path ("firefox-esr").
std::string app_id_of(std::string_view name);

// Quotes one argument for an Exec line, if it needs it (spec: "Exec key").
std::string quote_argument(const std::string& argument);

struct Options {
    std::string uplink;
    std::string app_id;       // of the original entry
    std::string via = "via";  // how the entry calls via
    // Where a browser's separate profile for this uplink lives, per
    // application ("/home/a/.local/share/via/profiles"): the running
    // instance, on another route, would otherwise take the launch's URLs.
    std::string profiles;
};

// The wrapped entry, or why not. Every Exec (of the entry and of
// each [Desktop Action]) becomes `via --notify UPLINK -- <the original>`,
// field codes kept; every Name gets " (via UPLINK)"; DBusActivatable is
// false (D-Bus activation would start the application without via).
struct Wrapped {
    std::string entry;
    std::string error;  // empty when it worked
};
Wrapped wrap(std::string_view entry, const Options& options);

// Search order for an application id: $XDG_DATA_HOME/applications, then
// each of $XDG_DATA_DIRS/applications (defaults as the spec says).
std::vector<std::string> search_dirs(const char* data_home, const char* data_dirs, const char* home);

}  // namespace via::desktop
