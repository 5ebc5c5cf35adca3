// What --verbose prints: each piece via ensured, and whether it was created
// now or was already there.
//
// Lines are kept, not printed, until flush(): via must never write to the
// caller's stderr while it holds the lock (a full pipe, or a stopped
// reader, would stall every other launch). The commands flush once the
// lock is released; the destructor flushes what is left.
#pragma once

#include <cstdio>
#include <string>

namespace via {

enum class Outcome { present, created, replaced };

class Report {
public:
    explicit Report(bool verbose) : verbose_(verbose) {}
    ~Report() { flush(); }
    Report(const Report&) = delete;
    Report& operator=(const Report&) = delete;

    void ensured(const std::string& what, Outcome outcome) const {
        static constexpr const char* words[] = {"present  ", "created  ", "replaced "};
        line(words[static_cast<int>(outcome)] + what);
    }

    // Something worth knowing under --verbose that is not a piece of state.
    void note(const std::string& text) const { line("note     " + text); }

    // Writes what was kept. Call without the lock held.
    void flush() const {
        if (held_.empty()) return;
        std::fputs(held_.c_str(), stderr);
        held_.clear();
    }

private:
    void line(const std::string& text) const {
        if (verbose_) held_ += "via: " + text + "\n";
    }

    bool verbose_;
    mutable std::string held_;
};

}  // namespace via
