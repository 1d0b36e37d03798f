// What a client may send, checked at the edge before anything reaches a shard or the journal:
// every string valid UTF-8 without U+0000 (ids and names without any control character) and
// within its bound, every enum one of its named values, every number in the range the core and
// the database accept. A violation names the field and the rule (docs/protocol.md, "Errors").
#pragma once

#include "core/result.hpp"
#include "switchboard/v1/switchboard.pb.h"

namespace sb::net {

constexpr std::size_t id_bytes_max = 128;      // session, request, agent, member, message ids; skills
constexpr std::size_t text_bytes_max = 65536;  // chat text (each shop's own bound is lower: core)
constexpr std::size_t token_field_bytes_max = 4096;
constexpr int seen_entries_max = 256;          // Hello.seen: sessions a person can have open, with room
constexpr double amount_max = 1e12;            // an order's amount

Check check_client_message(const switchboard::v1::ClientMessage& msg);
Check check_order(const switchboard::v1::Order& order);
Check check_clock_advance(const switchboard::v1::ClockAdvance& advance);

}  // namespace sb::net
