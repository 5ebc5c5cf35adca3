#include <catch2/catch.hpp>

#include "admin/desktop.hpp"

using namespace via::desktop;

namespace {
const Options options{"wlan1", "firefox-esr", "via", "/home/a/.local/share/via/profiles"};
}

TEST_CASE("desktop: every Exec is wrapped, field codes and quoting kept") {
    const auto w = wrap("[Desktop Entry]\nType=Application\nName=Viewer\nName[fr]=Visionneuse\nExec=viewer %U\n"
                        "Actions=new;\n\n[Desktop Action new]\nName=New\nExec=\"/opt/my viewer\" --new %u\n",
                        options);
    REQUIRE(w.error.empty());
    CHECK_THAT(w.entry, Catch::Contains("\nExec=via --notify wlan1 -- viewer %U\n"));
    CHECK_THAT(w.entry, Catch::Contains("\nExec=via --notify wlan1 -- \"/opt/my viewer\" --new %u\n"));
    CHECK_THAT(w.entry, Catch::Contains("\nName=Viewer (via wlan1)\n"));
    CHECK_THAT(w.entry, Catch::Contains("\nName[fr]=Visionneuse (via wlan1)\n"));
    CHECK_THAT(w.entry, Catch::Contains("\nName=New (via wlan1)\n"));
    // In the main group only, once.
    CHECK(w.entry.find("DBusActivatable=false") < w.entry.find("[Desktop Action"));
    CHECK(w.entry.find("DBusActivatable") == w.entry.rfind("DBusActivatable"));
}

TEST_CASE("desktop: D-Bus activation is turned off, not duplicated") {
    const auto w = wrap("[Desktop Entry]\nName=A\nExec=a\nDBusActivatable=true\n", options);
    CHECK_THAT(w.entry, Catch::Contains("DBusActivatable=false\n"));
    CHECK_THAT(w.entry, !Catch::Contains("DBusActivatable=true"));
    CHECK(w.entry.find("DBusActivatable") == w.entry.rfind("DBusActivatable"));
}

TEST_CASE("desktop: browsers get a profile of their own for the uplink") {
    const auto ff = wrap("[Desktop Entry]\nName=F\nExec=/usr/lib/firefox-esr/firefox-esr %u\n", options);
    CHECK_THAT(ff.entry, Catch::Contains("Exec=via --notify wlan1 -- /usr/lib/firefox-esr/firefox-esr --new-instance "
                                         "--profile /home/a/.local/share/via/profiles/firefox-esr-wlan1 %u"));
    const auto ch = wrap("[Desktop Entry]\nName=C\nExec=chromium %U\n", options);
    CHECK_THAT(ch.entry, Catch::Contains("-- chromium --user-data-dir=/home/a/.local/share/via/profiles/firefox-esr-wlan1 %U"));
}

TEST_CASE("desktop: what cannot be wrapped is an error") {
    CHECK_THAT(wrap("Name=A\nExec=a\n", options).error, Catch::Contains("no [Desktop Entry]"));
    CHECK_THAT(wrap("[Desktop Entry]\nName=A\nDBusActivatable=true\n", options).error, Catch::Contains("no Exec"));
    CHECK_THAT(wrap("[Desktop Entry]\nName=A\nExec=\n", options).error, Catch::Contains("empty Exec"));
}

TEST_CASE("desktop: names, quoting and search order") {
    CHECK(app_id_of("/usr/share/applications/org.gnome.Maps.desktop") == "org.gnome.Maps");
    CHECK(wrapped_id("wlan1", "firefox-esr") == "via-wlan1-firefox-esr.desktop");
    CHECK(quote_argument("plain") == "plain");
    CHECK(quote_argument("a b") == "\"a b\"");
    CHECK(quote_argument("$x\"") == "\"\\$x\\\"\"");
    CHECK(search_dirs(nullptr, nullptr, "/home/a") ==
          std::vector<std::string>{"/home/a/.local/share/applications", "/usr/local/share/applications",
                                   "/usr/share/applications"});
    CHECK(search_dirs("/x", "/y:relative:/z", "/home/a") ==
          std::vector<std::string>{"/x/applications", "/y/applications", "/z/applications"});
}
