#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "launch/config.hpp"
#include "owned.hpp"
#include "source_file.hpp"

using namespace via::config;

namespace {

Config parsed(const std::string& text) {
    Config c;
    const auto e = parse(text, "via.conf", c);
    INFO((e ? e->text() : std::string()));
    REQUIRE_FALSE(e);
    return c;
}

ParseError error_of(const std::string& text) {
    Config c;
    const auto e = parse(text, "/etc/via/via.conf", c);
    REQUIRE(e);
    return *e;
}

const Caller alice{1000, "alice", {"alice", "via", "family"}};
const Caller bob{1001, "bob", {"bob", "via"}};
const Caller root{0, "root", {"root"}};

Grant granted(const Config& c, const Caller& who, const Ask& ask) {
    auto d = decide(c, who, ask);
    if (const auto* r = std::get_if<Refusal>(&d)) FAIL(r->message);
    return std::get<Grant>(d);
}

Refusal refused(const Config& c, const Caller& who, const Ask& ask) {
    auto d = decide(c, who, ask);
    REQUIRE(std::holds_alternative<Refusal>(d));
    return std::get<Refusal>(d);
}

}  // namespace

TEST_CASE("a full configuration parses") {
    const auto c = parsed(R"(# comment
; another
[defaults]
interfaces = wlan0 usb0
admins = alice @wheel

[uplink vpn]
interface = wg0
gateway = 10.8.0.1
gateway6 = fe80::1
dns = 10.8.0.53   2001:db8::53
kill-switch = always
mode = user
users = alice
groups = family
admins = @wheel
as-user = alice @ops
[uplink tether]
)");
    CHECK_FALSE(c.defaults.any_interface);
    CHECK(c.defaults.interfaces == std::vector<std::string>{"wlan0", "usb0"});
    CHECK(c.defaults.admins == std::vector<std::string>{"alice", "@wheel"});
    REQUIRE(c.uplinks.size() == 2);
    const auto& vpn = c.uplinks[0];
    CHECK(vpn.name == "vpn");
    CHECK(vpn.interface == "wg0");
    CHECK(vpn.gateway == "10.8.0.1");
    CHECK(vpn.gateway6 == "fe80::1");
    CHECK(vpn.dns == std::vector<std::string>{"10.8.0.53", "2001:db8::53"});
    CHECK(vpn.kill_switch == KillSwitch::always);
    CHECK(vpn.mode == Mode::user);
    CHECK(vpn.users == std::vector<std::string>{"alice"});
    CHECK(vpn.groups == std::vector<std::string>{"family"});
    CHECK(vpn.as_user == std::vector<std::string>{"alice", "@ops"});
    CHECK(vpn.where() == "via.conf:7");
    CHECK(c.uplinks[1].interface == "tether");  // the name, when no interface is given
    CHECK(find(c, "wg0") == &c.uplinks[0]);
    CHECK(find(c, "vpn") == &c.uplinks[0]);
    CHECK(find(c, "eth0") == nullptr);
}

TEST_CASE("an empty configuration lets every member use every interface") {
    const auto c = parsed("");
    CHECK(c.defaults.any_interface);
    CHECK(c.uplinks.empty());
}

TEST_CASE("every parse error names the file, the line and the problem") {
    struct Case {
        std::string text;
        unsigned line;
        std::string says;
    };
    const std::vector<Case> cases{
        {"gateway = 10.0.0.1\n", 1, "outside any section"},
        {"[uplink vpn\n", 1, "ends with ']'"},
        {"[uplinks vpn]\n", 1, "unknown section"},
        {"[uplink]\n", 1, "takes one name"},
        {"[uplink a b]\n", 1, "takes one name"},
        {"[uplink 1vpn]\n", 1, "not a valid uplink name"},
        {"[uplink averyveryverylongname]\n", 1, "not a valid uplink name"},
        {"[uplink vpn]\n[uplink vpn]\n", 2, "already defined at /etc/via/via.conf:1"},
        {"[uplink vpn]\ngatway = 10.0.0.1\n", 2, "unknown key 'gatway'"},
        {"[uplink vpn]\njust words\n", 2, "expected 'key = value'"},
        {"[uplink vpn]\n= 1\n", 2, "key is missing"},
        {"[uplink vpn]\ngateway =\n", 2, "has no value"},
        {"[uplink vpn]\ngateway = fe80::1\n", 2, "not an IPv4 address"},
        {"[uplink vpn]\ngateway6 = 10.0.0.1\n", 2, "not an IPv6 address"},
        {"[uplink vpn]\ngateway = 10.0.0.1 10.0.0.2\n", 2, "takes one value"},
        {"[uplink vpn]\ninterface = a/b\n", 2, "not a valid interface name"},
        {"[uplink vpn]\ndns = 1.1.1.1 1.0.0.1 8.8.8.8 8.8.4.4\n", 2, "1 to 3 addresses"},
        {"[uplink vpn]\ndns = resolver.example\n", 2, "not an IP address"},
        {"[uplink vpn]\nkill-switch = maybe\n", 2, "on, off or always"},
        {"[uplink vpn]\nmode = cgroup\n", 2, "tag or user"},
        {"[uplink vpn]\nusers = al:ice\n", 2, "not a user or group name"},
        {"[uplink vpn]\ngroups = @wheel\n", 2, "not a user or group name"},
        {"[defaults]\ninterfaces = any wlan0\n", 2, "'any' or 'none' alone"},
        {"[defaults]\nkill-switch = on\n", 2, "unknown key 'kill-switch' in [defaults]"},
        {"[uplink a]\ninterface = wg0\n[uplink b]\ninterface = wg0\n", 3, "one interface, one uplink"},
        {"[uplink wg0]\ninterface = eth1\n[uplink vpn]\ninterface = wg0\n", 3, "would share a name"},
        {std::string("[uplink vpn]\ngateway = 10.0.0.1\0x\n", 32), 2, "NUL byte"},
    };
    for (const auto& c : cases) {
        INFO(c.text);
        const auto e = error_of(c.text);
        CHECK(e.file == "/etc/via/via.conf");
        CHECK(e.line == c.line);
        CHECK_THAT(e.message, Catch::Contains(c.says));
        CHECK_THAT(e.text(), Catch::StartsWith("/etc/via/via.conf:" + std::to_string(c.line) + ": "));
    }
}

TEST_CASE("a file with an error changes nothing") {
    Config c = parsed("[uplink vpn]\ninterface = wg0\n");
    CHECK(parse("[uplink tether]\ninterface = usb0\nbogus = 1\n", "b.conf", c));
    REQUIRE(c.uplinks.size() == 1);
    CHECK(c.uplinks[0].name == "vpn");
}

TEST_CASE("later files add uplinks, and may not define one again") {
    Config c = parsed("[uplink vpn]\ninterface = wg0\n");
    CHECK_FALSE(parse("[uplink tether]\ninterface = usb0\n", "conf.d/10.conf", c));
    CHECK(c.uplinks.size() == 2);
    const auto e = parse("[uplink vpn]\n", "conf.d/20.conf", c);
    REQUIRE(e);
    CHECK(e->text() == "conf.d/20.conf:1: uplink 'vpn' is already defined at via.conf:1");
}

TEST_CASE("who may use an uplink") {
    const auto c = parsed("[uplink vpn]\ninterface = wg0\nusers = bob\ngroups = family\n[uplink open]\ninterface = eth1\n");
    CHECK(granted(c, alice, {.name = "vpn"}).interface == "wg0");   // by group
    CHECK(granted(c, bob, {.name = "wg0"}).uplink == "vpn");        // by name, through the interface
    CHECK(granted(c, Caller{1002, "carol", {"via"}}, {.name = "open"}).interface == "eth1");
    const auto r = refused(c, Caller{1002, "carol", {"via"}}, {.name = "wg0"});
    CHECK_THAT(r.message, Catch::Contains("you may not use uplink 'vpn'"));
    CHECK_THAT(r.hint, Catch::Contains("via.conf(5)"));
    CHECK(granted(c, root, {.name = "vpn"}).interface == "wg0");
}

TEST_CASE("only the names the lists can match are looked up") {
    CHECK(names_needed(parsed("")) == Names{false, false});
    CHECK(names_needed(parsed("[defaults]\ninterfaces = eth1\n")) == Names{false, false});
    CHECK(names_needed(parsed("[defaults]\nadmins = alice\n")) == Names{true, false});
    CHECK(names_needed(parsed("[defaults]\nadmins = @wheel\n")) == Names{false, true});
    CHECK(names_needed(parsed("[uplink vpn]\ninterface = wg0\nusers = bob\n")) == Names{true, false});
    CHECK(names_needed(parsed("[uplink vpn]\ninterface = wg0\ngroups = family\n")) == Names{false, true});
    CHECK(names_needed(parsed("[uplink vpn]\ninterface = wg0\nas-user = @family\nadmins = carol\n")) == Names{true, true});
    // A caller looked up without names matches no list, and needs none.
    const auto c = parsed("[uplink vpn]\ninterface = wg0\ngroups = family\n[uplink open]\ninterface = eth1\n");
    CHECK(names_needed(c) == Names{false, true});
    CHECK(granted(c, Caller{1000, "", {"family"}}, {.name = "vpn"}).interface == "wg0");
    CHECK(granted(c, Caller{1000, "", {}}, {.name = "open"}).interface == "eth1");
    CHECK(std::holds_alternative<Refusal>(decide(c, Caller{1000, "", {}}, {.name = "vpn"})));
}

TEST_CASE("a request decides the same with only the names it needs looked up") {
    const auto c = parsed(
        "[defaults]\ninterfaces = eth1\nadmins = carol @wheel\n"
        "[uplink vpn]\ninterface = wg0\nusers = bob\ngroups = family\nadmins = alice\nas-user = @family dave\n"
        "[uplink tether]\ninterface = usb0\nkill-switch = always\nadmins = @wheel\nmode = user\nas-user = erin\n"
        "[uplink open]\ninterface = eth2\n");
    const std::vector<Caller> callers{alice, bob, root, Caller{1002, "carol", {"wheel"}}, Caller{1003, "dave", {"x"}},
                                      Caller{1004, "erin", {"family"}}};
    std::vector<Ask> asks;
    for (const char* name : {"vpn", "wg0", "tether", "open", "eth1", "eth9"})
        for (int flags = 0; flags < 16; ++flags) {
            Ask a{.name = name};
            if (flags & 1) a.gateway = "10.0.0.1";
            if (flags & 2) a.gateway6 = "fe80::1";
            a.no_kill_switch = flags & 4;
            a.as_user = flags & 8;
            asks.push_back(a);
        }
    const auto same = [](const std::variant<Grant, Refusal>& a, const std::variant<Grant, Refusal>& b) {
        if (a.index() != b.index()) return false;
        if (const auto* r = std::get_if<Refusal>(&a)) return r->message == std::get<Refusal>(b).message;
        const auto &x = std::get<Grant>(a), &y = std::get<Grant>(b);
        return x.uplink == y.uplink && x.gateway == y.gateway && x.kill_switch == y.kill_switch && x.as_user == y.as_user;
    };
    int name_matters = 0;  // (the lists do decide: without any name, some answers differ)
    for (const auto& who : callers)
        for (const auto& ask : asks) {
            if (!same(decide(c, who, ask), decide(c, Caller{who.uid, "", {}}, ask))) ++name_matters;
            const Names n = names_needed(c, ask);
            const Caller without{who.uid, n.user ? who.user : "", n.groups ? who.groups : std::vector<std::string>{}};
            INFO(who.user << " asks for " << ask.name << (ask.gateway ? " --gateway" : "") << (ask.gateway6 ? " --gateway6" : "")
                          << (ask.no_kill_switch ? " --no-kill-switch" : "") << (ask.as_user ? " --as-user" : ""));
            CHECK(same(decide(c, who, ask), decide(c, without, ask)));
        }
    CHECK(name_matters > 20);
    // And a plain launch on an uplink open to all looks up nothing.
    CHECK(names_needed(c, {.name = "open"}) == Names{false, false});
    CHECK(names_needed(c, {.name = "eth1"}) == Names{false, false});
    CHECK(names_needed(c, {.name = "eth1", .gateway = "10.0.0.1"}) == Names{true, true});
}

TEST_CASE("which interfaces members may name directly") {
    CHECK(granted(parsed(""), alice, {.name = "eth0"}).interface == "eth0");
    const auto none = parsed("[defaults]\ninterfaces = none\n[uplink vpn]\ninterface = wg0\n");
    CHECK_THAT(refused(none, alice, {.name = "eth0"}).message, Catch::Contains("may not name interfaces directly"));
    CHECK(granted(none, alice, {.name = "wg0"}).uplink == "vpn");
    CHECK(granted(none, root, {.name = "eth0"}).interface == "eth0");
    const auto some = parsed("[defaults]\ninterfaces = usb0\n");
    CHECK(granted(some, alice, {.name = "usb0"}).interface == "usb0");
    CHECK(std::holds_alternative<Refusal>(decide(some, alice, {.name = "eth0"})));
}

TEST_CASE("gateways are root's, the configuration's and the admins'") {
    const auto c = parsed("[defaults]\nadmins = @family\n[uplink vpn]\ninterface = wg0\ngateway = 10.8.0.1\nadmins = bob\n");
    CHECK(granted(c, alice, {.name = "vpn"}).gateway == "10.8.0.1");  // from the configuration
    CHECK_THAT(refused(c, alice, {.name = "vpn", .gateway = "10.8.0.99"}).message,
               Catch::Contains("--gateway sets the route of every program on uplink 'vpn'"));
    CHECK_THAT(refused(c, alice, {.name = "vpn", .gateway6 = "fe80::9"}).message, Catch::Contains("--gateway6"));
    CHECK(granted(c, bob, {.name = "vpn", .gateway = "10.8.0.99"}).gateway == "10.8.0.99");
    CHECK(granted(c, root, {.name = "vpn", .gateway = "10.8.0.98"}).gateway == "10.8.0.98");
    // [defaults] admins: for interfaces named directly.
    CHECK(granted(c, alice, {.name = "eth0", .gateway = "10.0.0.1"}).gateway == "10.0.0.1");
    CHECK(std::holds_alternative<Refusal>(decide(c, bob, {.name = "eth0", .gateway = "10.0.0.1"})));
    CHECK(std::holds_alternative<Refusal>(decide(parsed(""), alice, {.name = "eth0", .gateway = "10.0.0.1"})));
}

TEST_CASE("the kill switch: per launch, unless the configuration says always or off") {
    const auto c = parsed("[uplink vpn]\ninterface = wg0\nkill-switch = always\nadmins = bob\n"
                          "[uplink lan]\ninterface = eth1\nkill-switch = off\n");
    CHECK(granted(c, alice, {.name = "vpn"}).kill_switch);
    CHECK_THAT(refused(c, alice, {.name = "vpn", .no_kill_switch = true}).message,
               Catch::Contains("always has its kill switch on"));
    CHECK_FALSE(granted(c, bob, {.name = "vpn", .no_kill_switch = true}).kill_switch);
    CHECK_FALSE(granted(c, alice, {.name = "lan"}).kill_switch);
    CHECK_FALSE(granted(c, alice, {.name = "eth0", .no_kill_switch = true}).kill_switch);
    CHECK(granted(c, alice, {.name = "eth0"}).kill_switch);
}

TEST_CASE("DNS: the launch's own servers, else the uplink's") {
    const auto c = parsed("[uplink vpn]\ninterface = wg0\ndns = 10.8.0.53\n");
    const auto own = granted(c, alice, {.name = "vpn", .dns = {"192.0.2.53"}});
    CHECK(own.dns == std::vector<std::string>{"192.0.2.53"});
    CHECK(own.dns_from_caller);
    const auto uplinks = granted(c, alice, {.name = "vpn"});
    CHECK(uplinks.dns == std::vector<std::string>{"10.8.0.53"});
    CHECK_FALSE(uplinks.dns_from_caller);
    CHECK(granted(c, alice, {.name = "eth0"}).dns.empty());
}

TEST_CASE("dedicated users: root, the as-user list, and mode = user") {
    const auto c = parsed("[uplink vpn]\ninterface = wg0\nas-user = @family\n"
                          "[uplink svc]\ninterface = eth1\nmode = user\nas-user = bob\n");
    CHECK(granted(c, alice, {.name = "vpn", .as_user = true}).as_user);
    CHECK_THAT(refused(c, bob, {.name = "vpn", .as_user = true}).message,
               Catch::Contains("may not run programs as the dedicated user of uplink 'vpn'"));
    CHECK(granted(c, bob, {.name = "svc"}).as_user);  // mode = user
    CHECK(std::holds_alternative<Refusal>(decide(c, alice, {.name = "svc"})));
    CHECK(granted(c, root, {.name = "svc"}).as_user);
    CHECK_THAT(refused(c, root, {.name = "eth0", .as_user = true}).message, Catch::Contains("has no dedicated user"));
    CHECK(via::owned::user_of("vpn") == "via-vpn");
}

TEST_CASE("a name on the command line means its uplink's interface, or itself") {
    const auto c = parsed("[uplink tether]\ninterface = usb0\n");
    CHECK(interface_of(c, "tether") == "usb0");
    CHECK(interface_of(c, "usb0") == "usb0");
    CHECK(interface_of(c, "eth1") == "eth1");
}

TEST_CASE("a comment may end a line after a space or a tab") {
    const auto c = parsed("[defaults]  # the defaults\n"
                          "interfaces = none\t# members use named uplinks\n"
                          "[uplink vpn] # a tunnel\n"
                          "interface = wg0 #\n"
                          "dns = 10.8.0.53 2001:db8::53   # two servers\n");
    REQUIRE(c.uplinks.size() == 1);
    CHECK(c.uplinks[0].interface == "wg0");
    CHECK(c.uplinks[0].dns == std::vector<std::string>{"10.8.0.53", "2001:db8::53"});
    CHECK_FALSE(c.defaults.any_interface);
    CHECK(c.defaults.interfaces.empty());
    // Only after blank space: a '#' inside a word is part of it.
    CHECK(error_of("[uplink vpn]\ninterface = wg0\ndns = 10.8.0.53#5353\n").text() ==
          "/etc/via/via.conf:3: '10.8.0.53#5353' in dns is not an IP address");
    CHECK(error_of("[defaults]\nadmins = # nobody\n").text() == "/etc/via/via.conf:2: admins has no value");
}

namespace {

bool is_configuration(const std::string& block) {
    return block.find("[defaults]") != std::string::npos || block.find("[uplink ") != std::string::npos;
}

// The text of each block between `open` and `close` (which starts with the
// block's last newline) that is a via.conf, each passed through `undo`.
template <class Undo>
std::vector<std::string> configurations(const std::string& text, const std::string& open, const std::string& close,
                                        Undo undo) {
    std::vector<std::string> out;
    for (std::size_t at = 0; (at = text.find(open, at)) != std::string::npos;) {
        at += open.size();
        const std::size_t end = text.find(close, at);
        REQUIRE(end != std::string::npos);
        const std::string block = undo(text.substr(at, end - at + 1));
        if (is_configuration(block)) out.push_back(block);
        at = end + 1;
    }
    return out;
}

// A man page's text with its roff escapes undone (\- is -, \e is \).
std::string unroff(const std::string& raw) {
    std::string out;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '\\' && i + 1 < raw.size() && (raw[i + 1] == '-' || raw[i + 1] == 'e')) {
            out += raw[i + 1] == '-' ? '-' : '\\';
            ++i;
        } else {
            out += raw[i];
        }
    }
    return out;
}

}  // namespace

TEST_CASE("every configuration in the README, the guide and the man pages parses") {
    std::vector<std::pair<std::string, std::string>> blocks;
    const auto as_is = [](const std::string& block) { return block; };
    for (const char* doc : {"README.md", "docs/guide.md"})
        for (const auto& b : configurations(source_file(doc), "```ini\n", "\n```", as_is)) blocks.emplace_back(doc, b);
    for (const char* page : {"man/via.1", "man/via.conf.5"})
        for (const auto& b : configurations(source_file(page), "\n.nf\n", "\n.fi\n", unroff)) blocks.emplace_back(page, b);
    // The README's /etc/via example and via.conf(5)'s EXAMPLE at least.
    REQUIRE(blocks.size() >= 2);
    for (const auto& [file, block] : blocks) {
        INFO(file << ":\n" << block);
        Config c;
        const auto e = parse(block, file, c);
        CHECK_FALSE(e);
        if (e) FAIL_CHECK(e->text());
        CHECK((!c.uplinks.empty() || !c.rules.empty()));
    }
}
