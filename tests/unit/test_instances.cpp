#include <catch2/catch.hpp>

#include "launch/instances.hpp"

using namespace via;

TEST_CASE("the name a running instance has in /proc/PID/comm") {
    CHECK(instances::comm_of("/usr/bin/firefox") == std::optional<std::string>("firefox"));
    CHECK(instances::comm_of("/opt/x/a-very-long-program-name") == std::optional<std::string>("a-very-long-pro"));
    CHECK(instances::comm_of("relative") == std::optional<std::string>("relative"));
}

TEST_CASE("shells and interpreters are no application of their own") {
    CHECK_FALSE(instances::comm_of("/bin/sh"));
    CHECK_FALSE(instances::comm_of("/usr/bin/python3"));
    CHECK_FALSE(instances::comm_of("/usr/bin/env"));
}

TEST_CASE("the known ways to start a separate instance") {
    CHECK(instances::recipe("firefox-esr").find("--new-instance --profile") != std::string::npos);
    CHECK(instances::recipe("chromium").find("--user-data-dir=") != std::string::npos);
    CHECK(instances::recipe("ssh").find("-S none") != std::string::npos);
    CHECK(instances::recipe("tmux: server").find("-L") != std::string::npos);
    CHECK(instances::recipe("unknown-app").empty());
}
