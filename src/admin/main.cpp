// via: parse the command line, run the command (src/admin/commands/, the launch src/launch/launch.cpp).
#include <cstdio>
#include <string>
#include <variant>
#include <vector>

#include "admin/cli.hpp"
#include "admin/commands.hpp"
#include "admin/converge.hpp"
#include "launch/accounts.hpp"
#include "launch/early.hpp"

int main(int argc, char** argv) {
    using namespace via;
    const auto parsed = cli::parse(std::vector<std::string>(argv, argv + argc));
    if (const auto* exit = std::get_if<cli::Exit>(&parsed)) {
        std::fputs(exit->out.c_str(), stdout);
        std::fputs(exit->err.c_str(), stderr);
        return exit->code;
    }
    // Checking and writing menu entries need no privilege; the rest does.
    if (const auto* check = std::get_if<cli::Check>(&parsed)) return commands::check(*check);
    if (const auto* desktop = std::get_if<cli::Desktop>(&parsed)) return commands::desktop(*desktop);
    if (early::outsider()) return commands::refuse_outsider();
    if (const auto* repair = std::get_if<cli::Repair>(&parsed)) return commands::repair(*repair);
    if (const auto* add = std::get_if<cli::AddUser>(&parsed)) return commands::adduser(*add);
    if (const auto* status = std::get_if<cli::Status>(&parsed)) return commands::status(*status);
    if (const auto* down = std::get_if<cli::Down>(&parsed)) return commands::down(*down);
    return commands::launch(std::get<cli::Options>(parsed), ensure::converge);
}
