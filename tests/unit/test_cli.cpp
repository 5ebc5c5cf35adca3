#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>

#include "admin/cli.hpp"
#include "owned.hpp"
#include "source_file.hpp"

using via::cli::Exit;
using via::cli::Options;
using via::cli::parse;

namespace {
Exit exit_of(std::vector<std::string> args) {
    auto r = parse(args);
    REQUIRE(std::holds_alternative<Exit>(r));
    return std::get<Exit>(r);
}
Options options_of(std::vector<std::string> args) {
    auto r = parse(args);
    if (auto* e = std::get_if<Exit>(&r)) FAIL("unexpected exit: " << e->err);
    return std::get<Options>(r);
}
}  // namespace

TEST_CASE("a plain launch keeps the program's arguments untouched") {
    auto o = options_of({"via", "wlan1", "--", "curl", "-v", "--gateway", "--", "x"});
    CHECK(o.uplink == "wlan1");
    CHECK_FALSE(o.gateway);
    CHECK_FALSE(o.verbose);
    CHECK(o.command == std::vector<std::string>{"curl", "-v", "--gateway", "--", "x"});
}

TEST_CASE("options before the separator") {
    auto o = options_of({"via", "-v", "--gateway", "10.0.2.1", "usb0", "--", "true"});
    CHECK(o.verbose);
    CHECK(o.gateway == std::optional<std::string>("10.0.2.1"));
    CHECK(o.uplink == "usb0");
    auto long_form = options_of({"via", "--verbose", "--gateway=10.0.2.1", "usb0", "--", "true"});
    CHECK(long_form.verbose);
    CHECK(long_form.gateway == std::optional<std::string>("10.0.2.1"));
}

TEST_CASE("IPv6 gateway, name servers and the kill switch") {
    auto o = options_of({"via", "--gateway6", "fe80::1", "--dns", "10.0.0.53", "--dns", "2001:db8::53",
                         "wlan1", "--", "true"});
    CHECK(o.gateway6 == std::optional<std::string>("fe80::1"));
    CHECK(o.dns == std::vector<std::string>{"10.0.0.53", "2001:db8::53"});
    CHECK(o.kill_switch);
    CHECK_FALSE(options_of({"via", "--no-kill-switch", "wlan1", "--", "true"}).kill_switch);
}

TEST_CASE("--help and --version exit 0 on stdout") {
    auto help = exit_of({"via", "--help"});
    CHECK(help.code == 0);
    CHECK_THAT(help.out, Catch::Contains("--gateway") && Catch::Contains("UPLINK"));
    CHECK(help.err.empty());
    auto version = exit_of({"via", "--version"});
    CHECK(version.code == 0);
    CHECK_THAT(version.out, Catch::StartsWith("via "));
}

TEST_CASE("usage errors exit 125 with a message and a hint") {
    const int failure = via::owned::exit_failure;
    struct Case {
        std::vector<std::string> args;
        std::string says;
    };
    const std::vector<Case> cases{
        {{"via", "wlan1", "firefox"}, "missing '--'"},
        {{"via", "wlan1"}, "missing '--'"},
        {{"via", "wlan1", "--"}, "no PROGRAM"},
        {{"via", "--", "firefox"}, "UPLINK"},
        {{"via"}, "UPLINK"},
        {{"via", "--gateway", "fe80::1", "wlan1", "--", "true"}, "not an IPv4 address"},
        {{"via", "--gateway", "10.0.0.300", "wlan1", "--", "true"}, "not an IPv4 address"},
        {{"via", "../etc", "--", "true"}, "not a valid interface name"},
        {{"via", "averyveryverylongname", "--", "true"}, "not a valid interface name"},
        {{"via", "--bogus", "wlan1", "--", "true"}, "--bogus"},
        {{"via", "--gateway6", "10.0.0.1", "wlan1", "--", "true"}, "not an IPv6 address"},
        {{"via", "--dns", "resolver.example", "wlan1", "--", "true"}, "not an IP address"},
        {{"via", "--dns", "10.0.0.1", "--dns", "10.0.0.2", "--dns", "10.0.0.3", "--dns", "10.0.0.4", "wlan1", "--",
          "true"},
         "at most 3"},
    };
    for (const auto& c : cases) {
        INFO(c.args.size() << " args, expecting: " << c.says);
        auto e = exit_of(c.args);
        CHECK(e.code == failure);
        CHECK(e.out.empty());
        CHECK_THAT(e.err, Catch::StartsWith("via: ") && Catch::Contains(c.says) && Catch::Contains("hint: "));
    }
}

TEST_CASE("interface names follow the kernel's rules") {
    using via::cli::valid_interface_name;
    CHECK(valid_interface_name("wlan1"));
    CHECK(valid_interface_name("enp0s31f6"));
    CHECK(valid_interface_name("wg-mullvad"));
    CHECK(valid_interface_name("123456789012345"));
    CHECK_FALSE(valid_interface_name("1234567890123456"));
    CHECK_FALSE(valid_interface_name(""));
    CHECK_FALSE(valid_interface_name("."));
    CHECK_FALSE(valid_interface_name(".."));
    CHECK_FALSE(valid_interface_name("a/b"));
    CHECK_FALSE(valid_interface_name("eth0:1"));
    CHECK_FALSE(valid_interface_name("a b"));
}

TEST_CASE("via repair: every served uplink, or those named") {
    auto all = parse({"via", "repair"});
    REQUIRE(std::holds_alternative<via::cli::Repair>(all));
    CHECK(std::get<via::cli::Repair>(all).uplinks.empty());
    auto some = parse({"via", "repair", "-v", "wlan1", "eth0.100"});
    REQUIRE(std::holds_alternative<via::cli::Repair>(some));
    CHECK(std::get<via::cli::Repair>(some).verbose);
    CHECK(std::get<via::cli::Repair>(some).uplinks == std::vector<std::string>{"wlan1", "eth0.100"});
}

TEST_CASE("via repair: bad words are refused") {
    CHECK(exit_of({"via", "repair", "--gateway"}).err.find("unknown option '--gateway' for repair") != std::string::npos);
    CHECK(exit_of({"via", "repair", "a/b"}).err.find("'a/b' is not a valid interface name") != std::string::npos);
}

TEST_CASE("an interface named repair is still launched with --") {
    auto o = options_of({"via", "repair", "--", "true"});
    CHECK(o.uplink == "repair");
}

TEST_CASE("help fits 80 columns and shows the whole usage") {
    const auto help = exit_of({"via", "--help"}).out;
    CHECK_THAT(help, Catch::StartsWith("Usage: via [OPTIONS] UPLINK -- PROGRAM [ARGS...]\n"));
    std::size_t start = 0, longest = 0;
    for (std::size_t end; (end = help.find('\n', start)) != std::string::npos; start = end + 1)
        longest = std::max(longest, end - start);
    CHECK(longest <= 80);
    CHECK(exit_of({"via", "help"}).out == help);
    CHECK(exit_of({"via", "status", "--help"}).out == help);
}

TEST_CASE("unknown options say so and suggest the closest") {
    const auto e = exit_of({"via", "--gatway", "10.0.0.1", "wlan1", "--", "true"});
    CHECK(e.code == via::owned::exit_failure);
    CHECK_THAT(e.err, Catch::Contains("unknown option '--gatway'; did you mean '--gateway'?"));
    CHECK_THAT(exit_of({"via", "--no-kill-swich", "wlan1", "--", "true"}).err,
               Catch::Contains("did you mean '--no-kill-switch'?"));
    CHECK_THAT(exit_of({"via", "--zzzzzz", "wlan1", "--", "true"}).err,
               Catch::Contains("unknown option '--zzzzzz'") && !Catch::Contains("did you mean"));
    CHECK_THAT(exit_of({"via", "down", "--forse", "wlan1"}).err, Catch::Contains("did you mean '--force'?"));
    CHECK_THAT(exit_of({"via", "stauts"}).err, Catch::Contains("did you mean 'via status'?"));
}

TEST_CASE("one address per --dns: two after one --dns is an error") {
    const auto e = exit_of({"via", "--dns", "10.0.0.1", "10.0.0.2", "wlan1", "--", "true"});
    CHECK_THAT(e.err, Catch::Contains("one UPLINK expected") && Catch::Contains("--dns takes one address"));
    CHECK(options_of({"via", "--dns=10.0.0.1", "--dns", "10.0.0.2", "wlan1", "--", "true"}).dns.size() == 2);
    CHECK_THAT(exit_of({"via", "wlan1", "--dns"}).err, Catch::Contains("--dns needs an address"));
}

TEST_CASE("the commands") {
    using namespace via::cli;
    auto status = std::get<Status>(parse({"via", "list", "--json=pretty", "wlan1"}));
    CHECK(status.json == Json::pretty);
    CHECK(status.uplinks == std::vector<std::string>{"wlan1"});
    CHECK(std::get<Status>(parse({"via", "status", "--json"})).json == Json::shortform);
    CHECK_THAT(exit_of({"via", "status", "--json=long"}).err, Catch::Contains("short or pretty"));
    CHECK_FALSE(std::get<Check>(parse({"via", "check"})).uplink);
    CHECK(std::get<Check>(parse({"via", "check", "usb0"})).uplink == std::optional<std::string>("usb0"));
    auto gc = std::get<Down>(parse({"via", "gc", "-v"}));
    CHECK_FALSE(gc.uplink);
    CHECK(gc.verbose);
    auto down = std::get<Down>(parse({"via", "down", "--force", "usb0"}));
    CHECK(down.uplink == std::optional<std::string>("usb0"));
    CHECK(down.force);
    CHECK_THAT(exit_of({"via", "down"}).err, Catch::Contains("down takes one uplink name"));
    CHECK_THAT(exit_of({"via", "gc", "usb0"}).err, Catch::Contains("via down UPLINK"));
    auto desktop = std::get<Desktop>(parse({"via", "desktop", "wlan1", "firefox-esr"}));
    CHECK(desktop.app == "firefox-esr");
    CHECK(std::get<Options>(parse({"via", "--notify", "wlan1", "--", "x"})).notify);
    // With "--", a command word is an interface.
    CHECK(std::get<Options>(parse({"via", "status", "--", "true"})).uplink == "status");
}

TEST_CASE("closest: typos only") {
    using via::cli::closest;
    CHECK(closest("--gatway", {"--gateway", "--gateway6"}) == std::optional<std::string>("--gateway"));
    CHECK_FALSE(closest("--x", {"--gateway"}));
}

// The launcher reads a launch itself: wherever it answers, parse() must
// answer the same; everything else goes to via. Whether parse_launch()
// answers `line`, having checked that parse() reads it alike.
namespace {

std::optional<Options> read_alike(const std::vector<std::string>& line) {
    const auto launch = via::cli::parse_launch(line);
    if (!launch) return std::nullopt;
    INFO(line.size() << " words, the second: " << line[1]);
    const auto full = parse(line);
    REQUIRE(std::holds_alternative<Options>(full));
    const auto& o = std::get<Options>(full);
    CHECK(o.uplink == launch->uplink);
    CHECK(o.verbose == launch->verbose);
    CHECK(o.command == launch->command);
    CHECK(o.kill_switch == launch->kill_switch);
    CHECK(o.gateway == launch->gateway);
    CHECK(o.gateway6 == launch->gateway6);
    CHECK(o.dns == launch->dns);
    CHECK(o.as_user == launch->as_user);
    CHECK(o.notify == launch->notify);
    return launch;
}

// Calls f on every sequence of 1 to `most` words from `words`.
template <class F>
void each_sequence(const std::vector<std::string>& words, int most, F f) {
    std::vector<std::vector<std::string>> shorter = {{}};
    for (int length = 0; length < most; ++length) {
        std::vector<std::vector<std::string>> longer;
        for (const auto& sequence : shorter)
            for (const auto& w : words) {
                auto l = sequence;
                l.push_back(w);
                f(l);
                longer.push_back(std::move(l));
            }
        shorter = std::move(longer);
    }
}

}  // namespace

TEST_CASE("a launch the launcher reads is parse()'s, or none") {
    const std::vector<std::string> words = {
        "wlan1", "-v", "--verbose", "--", "curl", "-x", "status", "--dns", "1.1.1.1", "--as-user", "-h",
        "--version", "a/b", "-", "-vv", "--dns=::1", "--gateway", "--gateway6=fe80::1", "--no-kill-switch",
        "--notify", "--dns=x"};
    std::size_t answered = 0, tried = 0, with_options = 0;
    // Every command line of up to four words from these.
    each_sequence(words, 4, [&](const std::vector<std::string>& after) {
        std::vector<std::string> line = {"via"};
        line.insert(line.end(), after.begin(), after.end());
        ++tried;
        const auto launch = read_alike(line);
        if (!launch) return;
        ++answered;
        const auto& o = *launch;
        if (!o.dns.empty() || o.gateway6 || !o.kill_switch || o.as_user || o.notify) ++with_options;
    });
    CHECK(tried > 190000);
    CHECK(answered > 1000);      // the launches among them are read
    CHECK(with_options > 500);   // with their options too

    // Options together, repeated, and values out of place: up to three of
    // these words in front of a launch.
    const std::vector<std::string> option_words = {
        "--dns", "1.1.1.1", "--dns=::1", "--gateway", "10.0.0.1", "--gateway=10.0.0.2", "--gateway6", "fe80::1",
        "--no-kill-switch", "--as-user", "--notify", "-v", "--dns=x", "wlan0"};
    std::size_t combined = 0;
    each_sequence(option_words, 3, [&](const std::vector<std::string>& front) {
        std::vector<std::string> line = {"via"};
        line.insert(line.end(), front.begin(), front.end());
        line.insert(line.end(), {"wlan1", "--", "true"});
        if (read_alike(line)) ++combined;
    });
    CHECK(combined > 300);
}

TEST_CASE("a launch the launcher reads: each option, and what it leaves to via") {
    using via::cli::parse_launch;
    CHECK(parse_launch({"via", "-v", "wlan1", "--verbose", "--", "true"})->verbose);
    CHECK_FALSE(parse_launch({"via", "wlan1", "--", "true"})->verbose);
    const auto all = parse_launch({"via", "--dns", "1.1.1.1", "--dns=2001:db8::53", "--gateway", "10.0.0.1",
                                   "--gateway6=fe80::1", "--no-kill-switch", "--as-user", "--notify", "wlan1", "--",
                                   "curl", "--dns", "x"});
    REQUIRE(all);
    CHECK(all->dns == std::vector<std::string>{"1.1.1.1", "2001:db8::53"});
    CHECK(all->gateway == std::optional<std::string>("10.0.0.1"));
    CHECK(all->gateway6 == std::optional<std::string>("fe80::1"));
    CHECK_FALSE(all->kill_switch);
    CHECK(all->as_user);
    CHECK(all->notify);
    CHECK(all->command == std::vector<std::string>{"curl", "--dns", "x"});
    // Left to via, which explains: a bad or missing value, too many
    // servers, a gateway twice, help, another command.
    CHECK_FALSE(parse_launch({"via", "wlan1", "--dns", "1.1.1", "--", "true"}));
    CHECK_FALSE(parse_launch({"via", "wlan1", "--dns", "--", "true"}));
    CHECK_FALSE(parse_launch({"via", "--dns=1.1.1.1", "--dns=1.0.0.1", "--dns=9.9.9.9", "--dns=8.8.8.8", "wlan1",
                              "--", "true"}));
    CHECK_FALSE(parse_launch({"via", "--gateway", "10.0.0.1", "--gateway=10.0.0.2", "wlan1", "--", "true"}));
    CHECK_FALSE(parse_launch({"via", "--gateway", "fe80::1", "wlan1", "--", "true"}));
    CHECK_FALSE(parse_launch({"via", "--gateway6", "10.0.0.1", "wlan1", "--", "true"}));
    CHECK_FALSE(parse_launch({"via", "--help", "wlan1", "--", "true"}));
    CHECK_FALSE(parse_launch({"via", "wlan1", "--"}));
    CHECK_FALSE(parse_launch({"via", "status"}));
}

TEST_CASE("the launch's one table of options is what --help and via(1) list") {
    const std::string& text = via::cli::help();
    std::string page = source_file("man/via.1");
    for (std::size_t at; (at = page.find("\\-")) != std::string::npos;) page.replace(at, 2, "-");
    for (const auto& o : via::cli::launch_options) {
        INFO(o.name);
        CHECK(text.find(std::string(o.name) + (o.takes_value ? " ADDR" : "")) != std::string::npos);
        CHECK(page.find(o.name) != std::string::npos);
    }
    // And --help lists no launch option the table lacks.
    const auto options = text.substr(text.find("Options:"), text.find("Commands:") - text.find("Options:"));
    const std::regex option(R"((^|[\s,])(--?[a-z][a-z0-9-]*))");
    for (std::sregex_iterator it(options.begin(), options.end(), option), end; it != end; ++it) {
        const std::string name = (*it)[2];
        INFO(name);
        const bool known = std::any_of(std::begin(via::cli::launch_options), std::end(via::cli::launch_options),
                                       [&](const auto& o) { return name == o.name; });
        CHECK((known || name == "-h" || name == "--help" || name == "--version"));
    }
}
