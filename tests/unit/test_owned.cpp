// What via owns (src/owned.hpp) against what its documentation says it
// owns: the man page's FILES and SECURITY, and docs/design.md's table.
#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "launch/text.hpp"
#include "owned.hpp"
#include "source_file.hpp"

using namespace via;

namespace {

// A macro's arguments: words, or "quoted words".
std::vector<std::string> arguments(const std::string& line) {
    std::vector<std::string> out;
    std::string word;
    bool quoted = false, any = false;
    for (char c : line) {
        if (c == '"') {
            quoted = !quoted;
            any = true;
        } else if (c == ' ' && !quoted) {
            if (any) out.push_back(word);
            word.clear();
            any = false;
        } else {
            word += c;
            any = true;
        }
    }
    if (any) out.push_back(word);
    return out;
}

// The text of a man page's section, as it reads: font macros joined the
// way they print (.BI a b is "ab"), escapes for dashes and fonts undone.
std::string section(const std::string& page, const std::string& name) {
    const auto begin = page.find("\n.SH " + name + "\n");
    REQUIRE(begin != std::string::npos);
    const auto end = page.find("\n.SH ", begin + 1);
    std::istringstream lines(page.substr(begin, end - begin));
    std::string out, line;
    static const std::set<std::string> alternating{".BI", ".BR", ".IB", ".IR", ".RB", ".RI"};
    while (std::getline(lines, line)) {
        const auto macro = line.substr(0, line.find(' '));
        if (alternating.count(macro)) {
            for (const auto& a : arguments(line.substr(macro.size()))) out += a;
        } else if (macro == ".B" || macro == ".I") {
            for (const auto& a : arguments(line.substr(macro.size()))) out += a + " ";
        } else if (line.rfind('.', 0) == 0) {
            out += "\n";  // .TP, .PP: a new paragraph
            continue;
        } else {
            out += line;
        }
        out += " ";
    }
    out = std::regex_replace(out, std::regex(R"(\\f[BIRP])"), "");
    out = std::regex_replace(out, std::regex(R"(\\-)"), "-");
    out = std::regex_replace(out, std::regex(R"(\\\(en)"), "-");
    return out;
}

bool has(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

}  // namespace

TEST_CASE("the man page's FILES and SECURITY name every object via creates") {
    const std::string page = source_file("man/via.1");
    const std::string files = section(page, "FILES");
    const std::string security = section(page, "SECURITY");
    for (const auto& o : owned::registry()) {
        INFO(o.kind << " " << o.name);
        if (o.kind == "file") {
            CHECK(has(files, o.name));
        } else if (o.kind == "pin" || o.kind == "link") {
            // Listed by name in the entry of the pin directory.
            CHECK(has(files, o.name.substr(std::string(owned::bpf_dir).size() + 1)));
        } else if (o.kind == "route protocol") {
            CHECK(has(security, "protocol id " + o.name));
        } else if (o.kind == "nft") {
            if (o.name.rfind("table ", 0) == 0) CHECK(has(security, o.name));
        } else if (o.kind == "user") {
            CHECK(has(security, o.name));
        } else if (o.kind == "user file") {
            CHECK(has(section(page, "COMMANDS"), o.name));
        } else if (o.kind == "group") {
            CHECK(has(security, "group " + o.name));
        } else {
            CHECK(has(security, o.name));  // marks, tables, priorities: their ranges
        }
    }
}

TEST_CASE("every file of via's that the man page's FILES names is in the registry") {
    const std::string files = section(source_file("man/via.1"), "FILES");
    std::set<std::string> known;
    for (const auto& o : owned::registry()) known.insert(o.name);
    const std::regex path(R"((/run/via|/sys/fs/bpf/via)[^ ,;)]*)");
    int seen = 0;
    for (std::sregex_iterator m(files.begin(), files.end(), path), end; m != end; ++m, ++seen) {
        std::string name = m->str();
        while (!name.empty() && name.back() == '.') name.pop_back();
        INFO(name);
        CHECK(known.count(name) == 1);
    }
    CHECK(seen >= 5);
}

TEST_CASE("docs/design.md's table of what via owns is the registry") {
    const std::string design = source_file("docs/design.md");
    const auto begin = design.find("## What via owns");
    REQUIRE(begin != std::string::npos);
    const std::string table = design.substr(begin, design.find("\n## ", begin + 1) - begin);
    std::set<std::string> rows;
    std::istringstream lines(table);
    for (std::string line; std::getline(lines, line);) {
        // "| kind | `name` | what |": split() leaves out the empty piece
        // before the first bar.
        const auto cells = text::split(line, '|');
        if (line.rfind("| ", 0) == 0 && cells.size() >= 3)
            rows.insert(std::string(text::trim(cells[0])) + " " + std::string(text::trim(cells[1])));
    }
    std::set<std::string> registry;
    for (const auto& o : owned::registry()) registry.insert(o.kind + " `" + o.name + "`");
    rows.erase("kind object");
    CHECK(rows == registry);
}
