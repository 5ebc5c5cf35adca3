// Small whole text files: read_file() for what via reads (/proc, /etc),
// their text or "" when missing or unreadable, where absence means "nothing
// configured"; and the few writers (src/files.cpp), which throw via::Error.
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

// Creates every missing directory above `path` (mode 0755).
void make_parents(const std::string& path);

// Writes `content` to `path` (mode 0644, never through a symlink).
void write_file(const std::string& path, const std::string& content);

// The same, atomically: written beside it as PATH.new, then renamed over it.
void replace_file(const std::string& path, const std::string& content);

}  // namespace via
