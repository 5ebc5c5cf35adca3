// via: parse the command line, run the command (src/commands/).
#include <cstdio>
#include <string>
#include <variant>
#include <vector>

#include "via/cli.hpp"
#include "via/commands.hpp"

int main(int argc, char** argv) {
    using namespace via;
    const auto parsed = cli::parse(std::vector<std::string>(argv, argv + argc));
    if (const auto* exit = std::get_if<cli::Exit>(&parsed)) {
        std::fputs(exit->out.c_str(), stdout);
        std::fputs(exit->err.c_str(), stderr);
        return exit->code;
    }
    if (const auto* repair = std::get_if<cli::Repair>(&parsed)) return commands::repair(*repair);
    return commands::launch(std::get<cli::Options>(parsed));
}
