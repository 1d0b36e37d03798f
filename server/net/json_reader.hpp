// Canonical JSON to protobuf without protobuf's JSON utility, for what clients send on every
// chat message. It accepts a strict subset of what protobuf's parser accepts (fields by their
// JSON names, plain values, simple escapes) and builds the same message; for anything else —
// including every malformed input — it declines and the caller asks protobuf's parser, which
// also writes the error message. Tests and the codec fuzzer compare the two.
#pragma once

#include <string_view>

#include <google/protobuf/message.h>

namespace sb::net {

// True: msg holds the parsed message. False: declined (msg is then in an unspecified state;
// clear it before parsing again).
bool read_json(std::string_view json, google::protobuf::Message& msg);

}  // namespace sb::net
