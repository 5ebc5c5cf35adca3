// Finding and running PROGRAM, with env(1)'s exit codes.
#pragma once

#include <string>
#include <variant>
#include <vector>

namespace via::exec {

struct Failure {
    int exit_code = 0;  // 126 cannot run, 127 not found
    std::string message;
};

// PATH search as execvp does it; `path_env` is the caller's PATH (empty
// entries mean the current directory). Checks are made as the caller:
// call while no capability is effective.
std::variant<std::string, Failure> resolve(const std::string& name, const std::string* path_env);

// The PATH value of an environment, or nullptr.
const std::string* find_path(const std::vector<std::string>& env);

// execve()s; returns only on failure. Like execvp, a file without a known
// executable format is run by /bin/sh.
Failure run(const std::string& path, const std::vector<std::string>& argv,
            const std::vector<std::string>& env);

}  // namespace via::exec
