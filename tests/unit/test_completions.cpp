#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "via/cli.hpp"

// Every option that `via --help` lists must be offered by each completion
// file, so that adding an option without its completion fails here.
TEST_CASE("completions offer every option of --help") {
    auto help = std::get<via::cli::Exit>(via::cli::parse({"via", "--help"})).out;
    std::set<std::string> options;
    const std::regex option(R"((^|[\s,])(--?[a-z][a-z-]*))");
    for (std::sregex_iterator it(help.begin(), help.end(), option), end; it != end; ++it)
        options.insert((*it)[2]);
    REQUIRE(options.count("--gateway"));
    REQUIRE(options.count("--verbose"));

    for (const char* file : {"completions/via.bash", "completions/_via"}) {
        std::ifstream in(std::string(VIA_SOURCE_DIR) + "/" + file);
        REQUIRE(in);
        std::stringstream text;
        text << in.rdbuf();
        for (const auto& o : options) {
            INFO(file << " lacks " << o);
            CHECK(text.str().find(o) != std::string::npos);
        }
    }
}
