// What --verbose prints: each piece via ensured, and whether it was created
// now or was already there.
#pragma once

#include <cstdio>
#include <string>

namespace via {

enum class Outcome { present, created, replaced };

class Report {
public:
    explicit Report(bool verbose) : verbose_(verbose) {}

    void ensured(const std::string& what, Outcome outcome) const {
        if (!verbose_) return;
        static constexpr const char* words[] = {"present", "created", "replaced"};
        std::fprintf(stderr, "via: %-8s %s\n", words[static_cast<int>(outcome)], what.c_str());
    }

    // Something worth knowing under --verbose that is not a piece of state.
    void note(const std::string& text) const {
        if (verbose_) std::fprintf(stderr, "via: note     %s\n", text.c_str());
    }

private:
    bool verbose_;
};

}  // namespace via
