#include "codec.hpp"

#include <google/protobuf/util/json_util.h>
#include <nlohmann/json.hpp>

#include "json_reader.hpp"
#include "json_writer.hpp"

namespace sb::net {

namespace v1 = switchboard::v1;
namespace pbu = google::protobuf::util;

std::string to_json(const google::protobuf::Message& msg) {
  std::string fast;
  fast.reserve(256);
  if (write_json(msg, fast)) return fast;
  pbu::JsonPrintOptions opts;
  opts.always_print_primitive_fields = true;  // a browser widget should not guess defaults
  std::string out;
  const auto status = pbu::MessageToJsonString(msg, &out, opts);
  if (!status.ok()) out = "{}";  // only possible for invalid UTF-8 in strings we produced
  return out;
}

bool from_json(std::string_view json, google::protobuf::Message& msg, std::string& error) {
  if (read_json(json, msg)) return true;
  msg.Clear();  // declined: protobuf's parser decides, and names the problem
  pbu::JsonParseOptions opts;
  opts.ignore_unknown_fields = false;
  const auto status = pbu::JsonStringToMessage(std::string(json), &msg, opts);
  if (status.ok()) return true;
  error = std::string(status.message());
  return false;
}

namespace {

// The requestId (or request_id) string of a JSON object, however wrong the rest of it is.
std::string request_id_of(std::string_view payload) {
  const auto doc = nlohmann::json::parse(payload.begin(), payload.end(), nullptr, false);
  if (!doc.is_object()) return {};
  for (const char* name : {"requestId", "request_id"}) {
    auto it = doc.find(name);
    if (it != doc.end() && it->is_string()) {
      std::string id = it->get<std::string>();
      return id.size() <= 128 ? id : std::string();  // an oversized id is not echoed
    }
  }
  return {};
}

}  // namespace

Decoded decode_frame(std::string_view payload, bool text) {
  Decoded d;
  if (text) {
    std::string error;
    if (!from_json(payload, d.message, error)) {
      d.code = v1::ERROR_CODE_BAD_FRAME;
      d.error = "text frame is not a switchboard.v1.ClientMessage in JSON: " + error;
      // Recover the request id for the error reply whenever the frame is a JSON object at all
      // (a wrongly typed field, an unknown body): the client can then match the error.
      d.request_id = request_id_of(payload);
      v1::ClientMessage loose;
      pbu::JsonParseOptions opts;
      opts.ignore_unknown_fields = true;
      if (pbu::JsonStringToMessage(std::string(payload), &loose, opts).ok() && loose.body_case() == v1::ClientMessage::BODY_NOT_SET) {
        d.code = v1::ERROR_CODE_UNKNOWN_MESSAGE;
        d.error = "unknown message: " + error;
      }
      return d;
    }
  } else if (!d.message.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    d.code = v1::ERROR_CODE_BAD_FRAME;
    d.error = "binary frame is not a switchboard.v1.ClientMessage in protobuf";
    return d;
  }
  d.request_id = d.message.request_id();
  if (d.message.body_case() == v1::ClientMessage::BODY_NOT_SET) {
    d.code = v1::ERROR_CODE_UNKNOWN_MESSAGE;
    d.error = d.message.GetReflection()->GetUnknownFields(d.message).empty()
                  ? "message has no body (expected one of hello, enter, send_text, ...)"
                  : "message body is of a kind this server does not know";
    return d;
  }
  d.ok = true;
  return d;
}

std::string encode_frame(const v1::ServerMessage& msg, bool text) {
  return text ? to_json(msg) : msg.SerializeAsString();
}

}  // namespace sb::net
