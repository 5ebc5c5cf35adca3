// Small whole text files: read_file() for what via reads (/proc, /etc),
// their text or "" when missing or unreadable, where absence means "nothing
// configured"; and the few writers (files.cpp), which throw via::Error.
#pragma once

#include <optional>
#include <string>

namespace via {

// The whole file, or nullopt (errno set) when it cannot be opened or read.
std::optional<std::string> read_whole(const std::string& path);

inline std::string read_file(const std::string& path) { return read_whole(path).value_or(std::string()); }

// Creates every missing directory above `path` (mode 0755).
void make_parents(const std::string& path);

// A directory itself, not a symbolic link to one.
bool is_dir(const std::string& path);

// The path of this process's own file (/proc/self/exe); empty if unknown.
std::string own_file();

// Writes `content` to `path` (mode 0644, never through a symlink).
void write_file(const std::string& path, const std::string& content);

// Adds `content` at the end of `path` (created with mode 0644, never
// through a symlink); false (errno set) when it could not.
bool append_file(const std::string& path, const std::string& content);

// The same as write_file(), atomically: written beside it as PATH.new.PID
// (a name of this process's own), then renamed over it.
void replace_file(const std::string& path, const std::string& content);

}  // namespace via
