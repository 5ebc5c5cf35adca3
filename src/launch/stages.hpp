// Where a launch's time goes (bench/stages). Built with
// -DVIA_STAGE_TIMES=ON, each VIA_STAGE(name) notes the monotonic clock, and
// VIA_STAGES_PRINT(), right before the launch's exec, writes to stderr the
// time from each note to the next, one line each:
//
//     via: stage NAME MICROSECONDS
//
// NAME is the step that ends at that note. In every other build (the
// default, and every installed one) both are nothing.
#pragma once

#ifdef VIA_STAGE_TIMES
#include <cstdio>
#include <ctime>

namespace via::stages {

struct Note {
    const char* name;
    timespec at;
};
inline Note notes[64];
inline int count = 0;

inline void note(const char* name) noexcept {
    if (count == static_cast<int>(sizeof notes / sizeof notes[0])) return;
    notes[count].name = name;
    ::clock_gettime(CLOCK_MONOTONIC, &notes[count].at);
    ++count;
}

inline void print() noexcept {
    for (int i = 1; i < count; ++i) {
        const double us = static_cast<double>(notes[i].at.tv_sec - notes[i - 1].at.tv_sec) * 1e6 +
                          static_cast<double>(notes[i].at.tv_nsec - notes[i - 1].at.tv_nsec) / 1e3;
        std::fprintf(stderr, "via: stage %s %.1f\n", notes[i].name, us);
    }
}

}  // namespace via::stages

#define VIA_STAGE(name) ::via::stages::note(name)
#define VIA_STAGES_PRINT() ::via::stages::print()
#else
#define VIA_STAGE(name) static_cast<void>(0)
#define VIA_STAGES_PRINT() static_cast<void>(0)
#endif
