// Small whole text files that via reads (/proc, /etc): their text, or ""
// when missing or unreadable, where absence means "nothing configured".
#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace via {

inline std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace via
