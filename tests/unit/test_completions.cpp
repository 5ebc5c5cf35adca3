#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "admin/cli.hpp"
#include "source_file.hpp"

// Every option that `via --help` lists must be offered by each completion
// file, so that adding an option without its completion fails here.
TEST_CASE("completions offer every option of --help") {
    auto help = std::get<via::cli::Exit>(via::cli::parse({"via", "--help"})).out;
    std::set<std::string> options;
    const std::regex option(R"((^|[\s,])(--?[a-z][a-z0-9-]*))");
    for (std::sregex_iterator it(help.begin(), help.end(), option), end; it != end; ++it)
        options.insert((*it)[2]);
    REQUIRE(options.count("--gateway"));
    REQUIRE(options.count("--verbose"));
    REQUIRE(options.count("--gateway6"));

    for (const char* file : {"completions/via.bash", "completions/_via", "completions/via.fish"}) {
        const std::string text = source_file(file);
        for (const auto& o : options) {
            INFO(file << " lacks " << o);
            // The whole word: --gateway must not pass for --gateway6.
            // fish names them "-l gateway", "-s v".
            const bool fish = std::string(file).ends_with(".fish");
            const std::string spelt = !fish ? o : o.starts_with("--") ? "-l " + o.substr(2) : "-s " + o.substr(1);
            const std::regex word("(^|[^a-z0-9-])" + spelt + "($|[^a-z0-9-])");
            CHECK(std::regex_search(text, word));
        }
    }
}
