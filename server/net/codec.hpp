// Frames <-> protocol messages: binary frames carry protobuf, text frames protobuf's canonical
// JSON. A frame that does not decode yields an error naming the problem, never an exception.
#pragma once

#include <string>
#include <string_view>

#include "switchboard/v1/switchboard.pb.h"

namespace sb::net {

struct Decoded {
  bool ok = false;
  switchboard::v1::ErrorCode code = switchboard::v1::ERROR_CODE_UNSPECIFIED;  // when !ok
  std::string error;       // when !ok
  std::string request_id;  // recovered where possible, even from a bad frame
  switchboard::v1::ClientMessage message;
};

Decoded decode_frame(std::string_view payload, bool text);
std::string encode_frame(const switchboard::v1::ServerMessage& msg, bool text);

// Canonical JSON for HTTP bodies and text frames.
std::string to_json(const google::protobuf::Message& msg);
bool from_json(std::string_view json, google::protobuf::Message& msg, std::string& error);

}  // namespace sb::net
