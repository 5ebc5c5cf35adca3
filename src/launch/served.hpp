// The uplinks via serves: /run/via/uplinks/NETNS/NAME:GENERATION, one
// small root-owned file each, by network namespace (ids::own_netns: the
// same name is another interface in another namespace), written by every launch and read by `via repair`
// (which the network managers' hooks call) to re-ensure what was deleted,
// with the options the launches used.
//
//   gateway=10.0.2.1      the last launch's --gateway, if it gave one
//   gateway6=fe80::1      likewise --gateway6
//   open=1                some launch used --no-kill-switch
//   gone=1                via down or gc forgot the uplink
//
// Each write makes the next generation with link(2), which fails if that
// file exists: a via that another via went past (it was stopped holding
// the lock) cannot write back what it read before, its write finds the
// generation taken. The newest file counts; a writer removes the older
// ones. (':' is in no interface name.)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace via::served {

struct Uplink {
    std::string name;
    std::optional<std::string> gateway;
    std::optional<std::string> gateway6;
    bool open = false;
    bool operator==(const Uplink&) const = default;
};

// Pure: the file's text, and back. Unknown lines are ignored; a forgotten
// uplink's text reads as none.
std::string render(const Uplink& uplink);
std::optional<Uplink> parse(const std::string& name, std::string_view text);

// Pure: the uplink and generation a file of the directory is for, if it
// is one ("wlan1:7"; generations start at 1).
struct Entry {
    std::string name;
    std::uint64_t generation = 0;
    bool operator==(const Entry&) const = default;
};
std::optional<Entry> entry_of(std::string_view file_name);

// What a new launch records over what was there: its own gateways, and
// `open` once any launch was open.
Uplink merge(const std::optional<Uplink>& before, const Uplink& launch);

// The newest note of an uplink in via's network namespace: its generation
// (0 when there is none), and what it says.
struct Note {
    std::uint64_t generation = 0;
    std::optional<Uplink> uplink;
};

// Reads and writes /run/via/uplinks. Need privilege::RootFiles.
Note look(const std::string& name);
std::optional<Uplink> read(const std::string& name);  // look(name).uplink
std::vector<Uplink> all();

// Writes `uplink` as the generation after `seen`: false, and nothing
// written, when another via wrote that generation first.
bool record(const Uplink& uplink, std::uint64_t seen);

// Forgets an uplink (via down, via gc): repair no longer serves it, and a
// via that read its note before cannot write it back.
void forget(const std::string& name);

}  // namespace via::served
