// The uplinks via serves: /run/via/uplinks/NAME, one small root-owned file
// each, written by every launch and read by `via repair` (which the
// network managers' hooks call) to re-ensure what was deleted, with the
// options the launches used.
//
//   gateway=10.0.2.1      the last launch's --gateway, if it gave one
//   gateway6=fe80::1      likewise --gateway6
//   open=1                some launch used --no-kill-switch
#pragma once

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

// Pure: the file's text, and back. Unknown lines are ignored.
std::string render(const Uplink& uplink);
Uplink parse(const std::string& name, std::string_view text);

// What a new launch records over what was there: its own gateways, and
// `open` once any launch was open.
Uplink merge(const std::optional<Uplink>& before, const Uplink& launch);

// Reads and writes /run/via/uplinks. Need privilege::RootFiles.
std::optional<Uplink> read(const std::string& name);
void record(const Uplink& launch);
std::vector<Uplink> all();

// Forgets an uplink (via down, via gc): repair no longer serves it.
void forget(const std::string& name);

}  // namespace via::served
