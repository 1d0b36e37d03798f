// Protobuf messages to canonical JSON without protobuf's JSON utility: the same text
// MessageToJsonString prints with always_print_primitive_fields (tests compare the two on
// many thousands of random messages), walking the message by reflection instead of
// serializing it to binary and streaming that through a type resolver, which was most of
// the server's CPU per chat message.
#pragma once

#include <string>

#include <google/protobuf/message.h>

namespace sb::net {

// Appends msg as JSON to out. False (out then holds a partial text) for what this writer does
// not handle — non-empty maps (protobuf prints them in hash order), bytes, well-known types
// other than Timestamp, invalid UTF-8 — and the caller uses protobuf's printer instead.
bool write_json(const google::protobuf::Message& msg, std::string& out);

}  // namespace sb::net
