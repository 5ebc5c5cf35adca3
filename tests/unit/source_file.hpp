// The text of a file of via's source tree (the README, the man pages, the
// completions), for the tests that hold them to the code.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

inline std::string source_file(const std::string& name) {
    std::ifstream in(std::string(VIA_SOURCE_DIR) + "/" + name);
    REQUIRE(in);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}
