// libFuzzer harness for the frame codec: any bytes, as a text (JSON) or binary (protobuf)
// frame, decode to a message or to an error naming the problem, never crash; what decodes
// survives a protobuf round trip unchanged. The direct JSON reader either declines a text or
// reads exactly what protobuf's parser reads from it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>

#include <string>

#include "net/codec.hpp"
#include "net/json_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool text = (data[0] & 1) != 0;  // the first byte picks the frame type
  const std::string_view payload(reinterpret_cast<const char*>(data + 1), size - 1);
  if (text) {
    switchboard::v1::ClientMessage fast, reference;
    if (sb::net::read_json(payload, fast)) {
      google::protobuf::util::JsonParseOptions opts;
      if (!google::protobuf::util::JsonStringToMessage(std::string(payload), &reference, opts).ok()) std::abort();
      if (!google::protobuf::util::MessageDifferencer::Equals(fast, reference)) std::abort();
    }
  }
  const sb::net::Decoded d = sb::net::decode_frame(payload, text);
  if (!d.ok) {
    if (d.error.empty()) std::abort();  // every refusal names its problem
    return 0;
  }
  using google::protobuf::util::MessageDifferencer;
  switchboard::v1::ClientMessage known = d.message;
  known.DiscardUnknownFields();  // JSON has no place for them
  const sb::net::Decoded back = sb::net::decode_frame(known.SerializeAsString(), false);
  if (!back.ok || !MessageDifferencer::Equals(back.message, known)) std::abort();
  // The JSON form of what decoded decodes to the same message.
  const sb::net::Decoded from_json = sb::net::decode_frame(sb::net::to_json(known), true);
  if (!from_json.ok || !MessageDifferencer::Equals(from_json.message, known)) std::abort();
  return 0;
}
