// WebSocket framing after the handshake (RFC 6455, server side): reads client frames from bytes
// as they come and writes server frame headers. Beast still does the handshake; it does not do
// the frames, because its stream keeps about 2.5 KB per connection (its 1.5 KB read buffer
// among it) and a pending read's operation chain on top, while an idle connection here must
// stay under 4 KB in all (docs/benchmarks.md, "Idle connections"). This reader keeps only the
// message in progress and a header's few bytes: a connection between messages holds no buffer.
// What it accepts and refuses mirrors Beast (and the Autobahn cases of tests/conformance):
// masked client frames, no extensions, control frames unfragmented and at most 125 bytes,
// minimal length encodings, UTF-8 text checked as it arrives, close codes as RFC 6455 allows.
#pragma once

#include <boost/beast/websocket/detail/utf8_checker.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sb::net {

// Close codes the reader fails a connection with.
constexpr std::uint16_t close_protocol_error = 1002, close_bad_payload = 1007, close_too_big = 1009;

class FrameHandler {
 public:
  virtual ~FrameHandler() = default;
  virtual void on_message(std::string_view payload, bool text) = 0;
  virtual void on_ping(std::string_view payload) = 0;
  virtual void on_pong() = 0;
  // The peer's close; code 0 when its close frame had no payload.
  virtual void on_close(std::uint16_t code, std::string_view reason) = 0;
  // The peer broke the protocol: the connection is failed with `code`.
  virtual void on_fail(std::uint16_t code, const char* why) = 0;
};

class FrameReader {
 public:
  explicit FrameReader(std::size_t message_bytes_max) : message_bytes_max_(message_bytes_max) {}
  // Consumes bytes up to the end of the first data message they complete (so that the caller
  // can let the replies to one message go out before it handles the next), or all of them;
  // returns how many. done() once a close or a failure was reported: read no more.
  std::size_t feed(const char* data, std::size_t n, FrameHandler& h);
  bool done() const { return done_; }

 private:
  bool take_header(const char*& p, std::size_t& n, FrameHandler& h);
  bool check_start(FrameHandler& h);
  bool check_length(FrameHandler& h);
  bool take_payload(const char*& p, std::size_t& n, FrameHandler& h);
  bool end_frame(FrameHandler& h);
  bool end_close(FrameHandler& h);
  bool fail(FrameHandler& h, std::uint16_t code, const char* why);

  std::size_t message_bytes_max_;
  std::string message_;   // the data message in progress (released after each)
  std::string control_;   // the control frame in progress (<= 125 bytes)
  std::uint64_t remain_ = 0;
  std::array<std::uint8_t, 14> header_{};
  std::array<std::uint8_t, 4> key_{};
  std::uint8_t header_have_ = 0, header_need_ = 2, key_at_ = 0;
  std::uint8_t opcode_ = 0, message_opcode_ = 0;  // message_opcode_: 1 text or 2 binary in progress
  bool fin_ = false, in_payload_ = false, done_ = false, delivered_ = false;
  boost::beast::websocket::detail::utf8_checker utf8_;
};

// A server frame's header (FIN set, unmasked) for `opcode` and `bytes` of payload; its length.
std::size_t frame_header(std::uint8_t opcode, std::size_t bytes, std::array<std::uint8_t, 10>& out);

}  // namespace sb::net
