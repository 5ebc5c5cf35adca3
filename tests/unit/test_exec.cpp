#include <catch2/catch.hpp>

#include <fstream>
#include <cstdlib>
#include <sys/stat.h>
#include <unistd.h>

#include "launch/exec.hpp"

using namespace via;

namespace {

struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/via-unit-XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
    std::string file(const std::string& name, mode_t mode) const {
        const std::string p = path + "/" + name;
        std::ofstream(p) << "#!/bin/sh\n";
        ::chmod(p.c_str(), mode);
        return p;
    }
};

int code_of(const std::variant<std::string, exec::Failure>& r) {
    return std::holds_alternative<exec::Failure>(r) ? std::get<exec::Failure>(r).exit_code : 0;
}

}  // namespace

TEST_CASE("PATH search finds the first executable") {
    TempDir a, b;
    a.file("tool", 0644);  // not executable: skipped, as execvp does
    const auto wanted = b.file("tool", 0755);
    const std::string path = "PATH=" + a.path + ":" + b.path;
    auto r = exec::resolve("tool", &path);
    REQUIRE(std::holds_alternative<std::string>(r));
    CHECK(std::get<std::string>(r) == wanted);
}

TEST_CASE("not found is 127, found but not runnable is 126") {
    TempDir d;
    const std::string path = "PATH=" + d.path;
    CHECK(code_of(exec::resolve("no-such-tool-xyz", &path)) == 127);
    d.file("plain", 0644);  // not even root runs a file without an x bit
    CHECK(code_of(exec::resolve("plain", &path)) == 126);
    CHECK(code_of(exec::resolve(d.path, &path)) == 126);  // a directory
    CHECK(code_of(exec::resolve(d.path + "/missing", &path)) == 127);
    CHECK(code_of(exec::resolve(d.file("ok", 0755), &path)) == 0);
}

TEST_CASE("an empty PATH entry means the current directory") {
    TempDir d;
    d.file("here", 0755);
    char old[4096];
    REQUIRE(::getcwd(old, sizeof old));
    REQUIRE(::chdir(d.path.c_str()) == 0);
    const std::string path = "PATH=/nonexistent::";
    auto r = exec::resolve("here", &path);
    REQUIRE(::chdir(old) == 0);
    REQUIRE(std::holds_alternative<std::string>(r));
    CHECK(std::get<std::string>(r) == "./here");
}

TEST_CASE("PATH is read from the caller's environment") {
    std::vector<std::string> env{"HOME=/x", "PATHX=no", "PATH=/a:/b"};
    REQUIRE(exec::find_path(env));
    CHECK(*exec::find_path(env) == "PATH=/a:/b");
    CHECK_FALSE(exec::find_path({"HOME=/x"}));
}
