// The WebSocket frame reader on its own (the whole server's framing is in tests/conformance):
// frames split anywhere, fragments with control frames between them, the refusals and their
// close codes, and a reader that keeps nothing between messages.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "net/ws_frames.hpp"

namespace {

// A masked client frame.
std::string client_frame(std::uint8_t first_byte, const std::string& payload) {
  std::string f(1, static_cast<char>(first_byte));
  const std::size_t n = payload.size();
  if (n < 126) {
    f.push_back(static_cast<char>(0x80 | n));
  } else {
    f.push_back(static_cast<char>(0x80 | 126));
    f.push_back(static_cast<char>(n >> 8));
    f.push_back(static_cast<char>(n & 0xff));
  }
  const std::string key = "\x11\x22\x33\x44";
  f += key;
  for (std::size_t i = 0; i < n; ++i) f.push_back(static_cast<char>(payload[i] ^ key[i & 3]));
  return f;
}

struct Recorder : sb::net::FrameHandler {
  std::vector<std::string> events;
  void on_message(std::string_view p, bool text) override { events.push_back((text ? "text:" : "binary:") + std::string(p)); }
  void on_ping(std::string_view p) override { events.push_back("ping:" + std::string(p)); }
  void on_pong() override { events.push_back("pong"); }
  void on_close(std::uint16_t code, std::string_view r) override { events.push_back("close:" + std::to_string(code) + ":" + std::string(r)); }
  void on_fail(std::uint16_t code, const char* why) override { events.push_back("fail:" + std::to_string(code) + ":" + why); }
};

std::vector<std::string> read_all(const std::string& bytes, std::size_t piece, std::size_t max = 1024) {
  sb::net::FrameReader reader(max);
  Recorder r;
  for (std::size_t at = 0; at < bytes.size() && !reader.done();) {
    const std::size_t n = std::min(piece, bytes.size() - at);
    const std::size_t used = reader.feed(bytes.data() + at, n, r);
    REQUIRE((used == n || reader.done() || r.events.back().rfind("text:", 0) == 0 || r.events.back().rfind("binary:", 0) == 0));
    at += used;
  }
  return r.events;
}

}  // namespace

TEST_CASE("frames read the same however the bytes are split", "[ws_frames]") {
  const std::string bytes = client_frame(0x01, "he") + client_frame(0x89, "p") + client_frame(0x80, "llo") +
                            client_frame(0x82, std::string(300, 'b')) + client_frame(0x8A, "") + client_frame(0x88, "\x03\xe8" "bye");
  const std::vector<std::string> expected{"ping:p", "text:hello", "binary:" + std::string(300, 'b'), "pong", "close:1000:bye"};
  for (std::size_t piece : {1, 2, 3, 7, 100, 10000}) {
    INFO("pieces of " << piece);
    CHECK(read_all(bytes, piece) == expected);
  }
}

TEST_CASE("frames that break the protocol fail the connection with the code RFC 6455 asks for", "[ws_frames]") {
  auto first = [](const std::string& bytes) { return read_all(bytes, 1).at(0); };
  CHECK(first(std::string("\x81\x01", 2) + "x") == "fail:1002:client frame not masked");
  CHECK(first(client_frame(0xC1, "x")) == "fail:1002:reserved bits set without an extension");
  CHECK(first(client_frame(0x83, "x")) == "fail:1002:reserved opcode");
  CHECK(first(client_frame(0x09, "x")) == "fail:1002:fragmented or oversized control frame");
  CHECK(first(client_frame(0x80, "x")) == "fail:1002:continuation without a message");
  CHECK(first(client_frame(0x01, "a") + client_frame(0x81, "b")) == "fail:1002:new message while one is unfinished");
  CHECK(first(client_frame(0x81, std::string(1025, 'x'))) == "fail:1009:message too big");
  CHECK(first(client_frame(0x01, std::string(600, 'x')) + client_frame(0x80, std::string(600, 'x'))) == "fail:1009:message too big");
  CHECK(first(client_frame(0x81, "\xff")) == "fail:1007:text is not UTF-8");
  CHECK(first(client_frame(0x88, "\x03")) == "fail:1002:close frame with a one-byte payload");
  CHECK(first(client_frame(0x88, "\x03\xed")) == "fail:1002:invalid close code");
  // 126 announcing a length that fits in 7 bits.
  CHECK(first(std::string("\x81\xfe\x00\x05", 4) + "abcd" + "12345") == "fail:1002:length not in its shortest form");
  // Nothing after a failure or a close is read.
  CHECK(read_all(client_frame(0x88, "") + client_frame(0x89, "late"), 1) == std::vector<std::string>{"close:0:"});
}

TEST_CASE("server frame headers use the shortest length form", "[ws_frames]") {
  std::array<std::uint8_t, 10> h{};
  CHECK(sb::net::frame_header(0x1, 125, h) == 2);
  CHECK(h[0] == 0x81);
  CHECK(h[1] == 125);
  CHECK(sb::net::frame_header(0x2, 126, h) == 4);
  CHECK(h[1] == 126);
  CHECK((h[2] << 8 | h[3]) == 126);
  CHECK(sb::net::frame_header(0x2, 70000, h) == 10);
  CHECK(h[1] == 127);
  CHECK(((h[7] << 16) | (h[8] << 8) | h[9]) == 70000);
}
