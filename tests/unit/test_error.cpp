#include <catch2/catch.hpp>

#include <cerrno>


#include "launch/error.hpp"

using namespace via;

TEST_CASE("errors read as 'via: context: reason' with a hint line") {
    errno = EPERM;
    auto e = errno_error("adding ip rule '31901: fwmark 0x56490003 lookup 1447624707'", "is via installed?");
    CHECK(render(e) ==
          "via: adding ip rule '31901: fwmark 0x56490003 lookup 1447624707': Operation not permitted\n"
          "hint: is via installed?\n");
}

TEST_CASE("errors without a system reason have no trailing colon") {
    CHECK(render(Error("interface 'up9' is down")) == "via: interface 'up9' is down\n");
}

TEST_CASE("a kernel refusal points at the capabilities, other errors do not") {
    CHECK_THAT(permission_hint(EPERM), Catch::Contains("installed with its capabilities"));
    CHECK(permission_hint(EACCES) == permission_hint(EPERM));
    CHECK(permission_hint(ENOENT).empty());
    CHECK(permission_hint(0).empty());
}

TEST_CASE("an error from a call that set no errno says no ': Success'") {
    errno = 0;
    const Error e = errno_error("reading via's state");
    CHECK(render(e) == "via: reading via's state\n");
    CHECK(e.code().value() == 0);
}
