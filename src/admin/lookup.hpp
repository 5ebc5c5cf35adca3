// The addresses of a rule's domains (`domains =`, admin/rules.hpp), asked
// of the rule's uplink's own name servers, through the uplink: what they
// answer is what the programs behind that uplink would be given. A and
// AAAA, over UDP, once per `via repair`. query() and parse() are pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "launch/rule.hpp"

namespace via::lookup {

inline constexpr std::uint16_t type_a = 1;
inline constexpr std::uint16_t type_aaaa = 28;

// A recursive query for the name's records of `type`.
std::vector<std::uint8_t> query(const std::string& name, std::uint16_t type, std::uint16_t id);

struct Answer {
    std::vector<rule::Prefix> addresses;  // /32 and /128
    std::uint32_t ttl = 0;                // the lowest of theirs
};

// The records of `type` in the answer to query `id` (CNAMEs followed as
// the server did: every record of the type in the answer section).
// nullopt: not a good answer to it (another id, truncated, an error).
std::optional<Answer> parse(const std::uint8_t* data, std::size_t len, std::uint16_t id, std::uint16_t type);

// Asks each server in turn (2 s each) for the name's A and AAAA records,
// from sockets with `mark` (CAP_NET_ADMIN effective): the first server
// that answers. Throws via::Error when none does.
Answer resolve(const std::string& name, const std::vector<std::string>& servers, std::uint32_t mark);

}  // namespace via::lookup
