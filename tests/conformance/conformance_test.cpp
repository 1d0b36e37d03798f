// WebSocket conformance of the real server, modelled on the Autobahn Testsuite's case groups
// 1-7 and a reduced 9: each case carries the Autobahn number it mirrors. Autobahn drives an
// echo server; Switchboard is not one, so "echoed" here means the server answered the
// message (a JSON or protobuf ping gets its pong) and kept the connection. Failing cases check
// the close code RFC 6455 requires: 1002 protocol error, 1007 bad UTF-8, 1009 too big.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "support/raw_ws.hpp"
#include "support/server_process.hpp"

using namespace sb::test;
namespace v1 = switchboard::v1;

namespace {

constexpr std::size_t frame_bytes_max = 64 * 1024;  // the server's default limit

const char* shop_toml = R"(
[[shops]]
id = "c"
[[shops.skills]]
name = "general"
)";

ServerProcess& server() {
  static ServerProcess s(shop_toml, {});
  return s;
}

// A JSON ping padded with spaces to exactly `bytes` (whitespace is valid JSON).
std::string json_ping(std::size_t bytes, const std::string& id = "p") {
  std::string s = R"({"requestId":")" + id + R"(","ping":{}})";
  REQUIRE(bytes >= s.size());
  s.insert(s.size() - 1, bytes - s.size(), ' ');
  return s;
}

// A protobuf ping padded with an unknown bytes field (parsers skip unknown fields).
std::string proto_ping(std::size_t bytes) {
  v1::ClientMessage m;
  m.set_request_id("p");
  m.mutable_ping();
  std::string s = m.SerializeAsString();
  if (bytes <= s.size()) return s;
  // field 1000, wire type 2: tag varint 0xC2 0x3E; then a length varint and the padding.
  auto varint = [](std::size_t v) {
    std::string out;
    do {
      out.push_back(static_cast<char>((v & 0x7f) | (v >= 0x80 ? 0x80 : 0)));
      v >>= 7;
    } while (v != 0);
    return out;
  };
  std::size_t pad = bytes - s.size() - 2;
  for (int i = 0; i < 3; ++i) pad = bytes - s.size() - 2 - varint(pad).size();
  REQUIRE(s.size() + 2 + varint(pad).size() + pad == bytes);
  return s + "\xC2\x3E" + varint(pad) + std::string(pad, 'x');
}

// The server's next data frame answered our ping (JSON or protobuf) with a pong.
bool answered_ping(RawWs& ws, const std::string& id = "p") {
  for (int i = 0; i < 10; ++i) {
    auto f = ws.read();
    if (!f) return false;
    if (f->opcode == 0x1) UNSCOPED_INFO("server said: " << f->payload);
    if (f->opcode == 0x1) return f->payload.find("\"pong\"") != std::string::npos &&
                                 f->payload.find("\"requestId\":\"" + id + "\"") != std::string::npos;
    if (f->opcode == 0x2) {
      v1::ServerMessage m;
      return m.ParseFromString(f->payload) && m.has_pong();
    }
    if (f->opcode == 0x8) return false;
  }
  return false;
}

// The next frame is a WebSocket pong carrying `payload`.
bool pong_frame(RawWs& ws, const std::string& payload) {
  auto f = ws.read();
  return f && f->opcode == 0xA && f->payload == payload;
}

// Nothing was closed: a fresh ping still gets its pong.
bool still_open(RawWs& ws) {
  ws.text(json_ping(40, "alive"));
  return answered_ping(ws, "alive");
}

}  // namespace

TEST_CASE("1 framing: text and binary messages of every length encoding", "[conformance]") {
  struct Case { const char* name; std::size_t bytes; std::size_t chunk; };
  const std::vector<Case> text_cases{{"1.1.2 text, 125 bytes", 125, 0},   {"1.1.3 text, 126 bytes", 126, 0},
                                     {"1.1.4 text, 127 bytes", 127, 0},   {"1.1.5 text, 128 bytes", 128, 0},
                                     {"1.1.6 text, 65535 bytes", 65535, 0}, {"1.1.7 text, 65536 bytes", 65536, 0},
                                     {"1.1.8 text, 65536 bytes in 997-byte writes", 65536, 997}};
  for (const auto& c : text_cases) {
    DYNAMIC_SECTION(c.name) {
      RawWs ws(server().port());
      ws.frame(0x1, json_ping(c.bytes), true, 0, true, c.chunk);
      CHECK(answered_ping(ws));
    }
  }
  const std::vector<Case> binary_cases{{"1.2.2 binary, 125 bytes", 125, 0},   {"1.2.3 binary, 126 bytes", 126, 0},
                                       {"1.2.4 binary, 127 bytes", 127, 0},   {"1.2.5 binary, 128 bytes", 128, 0},
                                       {"1.2.6 binary, 65535 bytes", 65535, 0}, {"1.2.7 binary, 65536 bytes", 65536, 0},
                                       {"1.2.8 binary, 65536 bytes in 997-byte writes", 65536, 997}};
  for (const auto& c : binary_cases) {
    DYNAMIC_SECTION(c.name) {
      RawWs ws(server().port());
      ws.frame(0x2, proto_ping(c.bytes), true, 0, true, c.chunk);
      CHECK(answered_ping(ws));
    }
  }
  SECTION("1.1.1 text, empty payload: answered with an error naming it, connection kept") {
    RawWs ws(server().port());
    ws.text("");
    auto f = ws.read();
    REQUIRE(f);
    CHECK(f->payload.find("ERROR_CODE_BAD_FRAME") != std::string::npos);
    CHECK(still_open(ws));
  }
  SECTION("1.2.1 binary, empty payload: an empty ClientMessage, answered with an error") {
    RawWs ws(server().port());
    ws.binary("");
    auto f = ws.read();
    REQUIRE(f);
    v1::ServerMessage m;
    REQUIRE(m.ParseFromString(f->payload));
    CHECK(m.error().code() == v1::ERROR_CODE_UNKNOWN_MESSAGE);
    CHECK(still_open(ws));
  }
  SECTION("1.x client frame without a mask: 1002 (RFC 6455 5.1)") {
    RawWs ws(server().port());
    ws.frame(0x1, json_ping(40), true, 0, false);
    CHECK(ws.await_close() == 1002);
  }
}

TEST_CASE("2 ping and pong", "[conformance]") {
  RawWs ws(server().port());
  SECTION("2.1 ping without payload") {
    ws.frame(0x9, "");
    CHECK(pong_frame(ws, ""));
  }
  SECTION("2.2 ping with a text payload") {
    ws.frame(0x9, "Hello, world!");
    CHECK(pong_frame(ws, "Hello, world!"));
  }
  SECTION("2.3 ping with a binary payload") {
    const std::string p("\x00\xff\xfe\xfd\xfc\xfb\x00\xff", 8);
    ws.frame(0x9, p);
    CHECK(pong_frame(ws, p));
  }
  SECTION("2.4 ping with a 125-byte payload") {
    ws.frame(0x9, std::string(125, '\xfe'));
    CHECK(pong_frame(ws, std::string(125, '\xfe')));
  }
  SECTION("2.5 ping with a 126-byte payload: 1002") {
    ws.frame(0x9, std::string(126, '\xfe'));
    CHECK(ws.await_close() == 1002);
  }
  SECTION("2.6 ping with a 125-byte payload written a byte at a time") {
    ws.frame(0x9, std::string(125, 'a'), true, 0, true, 1);
    CHECK(pong_frame(ws, std::string(125, 'a')));
  }
  SECTION("2.7 unsolicited pong without payload is ignored") {
    ws.frame(0xA, "");
    CHECK(still_open(ws));
  }
  SECTION("2.8 unsolicited pong with payload is ignored") {
    ws.frame(0xA, "unsolicited pong payload");
    CHECK(still_open(ws));
  }
  SECTION("2.9 unsolicited pong, then ping: only the ping is answered") {
    ws.frame(0xA, "unsolicited");
    ws.frame(0x9, "ping payload");
    CHECK(pong_frame(ws, "ping payload"));
  }
  SECTION("2.10 ten pings in a row, ten pongs in order") {
    for (int i = 0; i < 10; ++i) ws.frame(0x9, "payload-" + std::to_string(i));
    for (int i = 0; i < 10; ++i) CHECK(pong_frame(ws, "payload-" + std::to_string(i)));
  }
  SECTION("2.11 ten pings written in small pieces") {
    for (int i = 0; i < 10; ++i) ws.frame(0x9, "chunked-" + std::to_string(i), true, 0, true, 1);
    for (int i = 0; i < 10; ++i) CHECK(pong_frame(ws, "chunked-" + std::to_string(i)));
  }
}

TEST_CASE("3 reserved bits: any set bit without an extension is a protocol error (1002)", "[conformance]") {
  struct Case { const char* name; std::uint8_t opcode; std::uint8_t rsv; bool valid_first; };
  const std::vector<Case> cases{{"3.1 text with RSV1", 0x1, 4, false},
                                {"3.2 text with RSV2, after a valid message", 0x1, 2, true},
                                {"3.3 text with RSV3, after a valid message", 0x1, 1, true},
                                {"3.4 text with RSV1+RSV3", 0x1, 5, true},
                                {"3.5 binary with RSV1+RSV2", 0x2, 6, false},
                                {"3.6 ping with RSV2+RSV3", 0x9, 3, false},
                                {"3.7 close with all RSV bits", 0x8, 7, false}};
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.name) {
      RawWs ws(server().port());
      if (c.valid_first) {
        ws.text(json_ping(30));
        CHECK(answered_ping(ws));
      }
      ws.frame(c.opcode, c.opcode == 0x8 ? std::string("\x03\xe8", 2) : json_ping(30), true, c.rsv);
      CHECK(ws.await_close() == 1002);
    }
  }
}

TEST_CASE("4 opcodes: reserved data and control opcodes are a protocol error (1002)", "[conformance]") {
  const std::vector<std::pair<const char*, std::uint8_t>> cases{
      {"4.1.1 reserved non-control opcode 3", 3},  {"4.1.2 reserved non-control opcode 4 with payload", 4},
      {"4.1.3 reserved opcode 5 after a valid message", 5}, {"4.1.4 reserved opcode 6", 6},
      {"4.1.5 reserved opcode 7", 7},               {"4.2.1 reserved control opcode 11", 11},
      {"4.2.2 reserved control opcode 12 with payload", 12}, {"4.2.3 reserved control opcode 13", 13},
      {"4.2.4 reserved control opcode 14", 14},     {"4.2.5 reserved control opcode 15", 15}};
  for (const auto& [name, opcode] : cases) {
    DYNAMIC_SECTION(name) {
      RawWs ws(server().port());
      ws.frame(opcode, "reserved");
      CHECK(ws.await_close() == 1002);
    }
  }
}

TEST_CASE("5 fragmentation", "[conformance]") {
  RawWs ws(server().port());
  const std::string msg = json_ping(40);
  const std::string a = msg.substr(0, 17), b = msg.substr(17);
  SECTION("5.1 fragmented ping: 1002") {
    ws.frame(0x9, "frag", false);
    ws.frame(0x0, "ment");
    CHECK(ws.await_close() == 1002);
  }
  SECTION("5.2 fragmented pong: 1002") {
    ws.frame(0xA, "frag", false);
    ws.frame(0x0, "ment");
    CHECK(ws.await_close() == 1002);
  }
  SECTION("5.3 text in two fragments") {
    ws.frame(0x1, a, false);
    ws.frame(0x0, b);
    CHECK(answered_ping(ws));
  }
  SECTION("5.4 text in two fragments, written a byte at a time") {
    ws.frame(0x1, a, false, 0, true, 1);
    ws.frame(0x0, b, true, 0, true, 1);
    CHECK(answered_ping(ws));
  }
  SECTION("5.6 text in two fragments with a ping between them") {
    ws.frame(0x1, a, false);
    ws.frame(0x9, "between");
    ws.frame(0x0, b);
    CHECK(pong_frame(ws, "between"));
    CHECK(answered_ping(ws));
  }
  SECTION("5.9 continuation with nothing to continue (FIN): 1002") {
    ws.frame(0x0, "fragment");
    CHECK(ws.await_close() == 1002);
  }
  SECTION("5.10 continuation with nothing to continue (no FIN): 1002") {
    ws.frame(0x0, "fragment", false);
    CHECK(ws.await_close() == 1002);
  }
  SECTION("5.15 a new text message while one is unfinished: 1002") {
    ws.frame(0x1, a, false);
    ws.frame(0x1, b);
    CHECK(ws.await_close() == 1002);
  }
  SECTION("5.17 continuation after the message finished: 1002") {
    ws.text(msg);
    CHECK(answered_ping(ws));
    ws.frame(0x0, "late");
    CHECK(ws.await_close() == 1002);
  }
  SECTION("5.19 text in five fragments with pings between them") {
    const std::size_t step = msg.size() / 5;
    for (int i = 0; i < 5; ++i) {
      const bool last = i == 4;
      ws.frame(i == 0 ? 0x1 : 0x0, msg.substr(i * step, last ? std::string::npos : step), last);
      if (!last) ws.frame(0x9, "ping-" + std::to_string(i));
    }
    for (int i = 0; i < 4; ++i) CHECK(pong_frame(ws, "ping-" + std::to_string(i)));
    CHECK(answered_ping(ws));
  }
  SECTION("5.20 binary in two fragments") {
    const std::string p = proto_ping(300);
    ws.frame(0x2, p.substr(0, 100), false);
    ws.frame(0x0, p.substr(100));
    CHECK(answered_ping(ws));
  }
}

TEST_CASE("6 UTF-8 in text messages", "[conformance]") {
  RawWs ws(server().port());
  SECTION("6.1.1 empty text in three empty fragments: valid, answered with an error") {
    ws.frame(0x1, "", false);
    ws.frame(0x0, "", false);
    ws.frame(0x0, "");
    auto f = ws.read();
    REQUIRE(f);
    CHECK(f->payload.find("ERROR_CODE_BAD_FRAME") != std::string::npos);
  }
  SECTION("6.2.1 valid multi-byte UTF-8 (\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5)") {
    ws.text(R"({"requestId":"κόσμε","ping":{}})");
    CHECK(answered_ping(ws, "κόσμε"));
  }
  SECTION("6.2.3 valid UTF-8 split inside a code point across fragments") {
    const std::string m = R"({"requestId":"κόσμε","ping":{}})";
    const std::size_t cut = m.find("κ") + 1;  // between the two bytes of kappa
    ws.frame(0x1, m.substr(0, cut), false);
    ws.frame(0x0, m.substr(cut));
    CHECK(answered_ping(ws, "κόσμε"));
  }
  SECTION("6.2.4 valid 4-byte UTF-8 written a byte at a time") {
    ws.frame(0x1, "{\"requestId\":\"\xf0\x9f\x98\x80\",\"ping\":{}}", true, 0, true, 1);
    CHECK(answered_ping(ws, "\xf0\x9f\x98\x80"));
  }
  const std::vector<std::pair<const char*, std::string>> invalid{
      {"6.3.1 invalid continuation byte: 1007", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64"},
      {"6.5.1 lone continuation byte 0x80: 1007", std::string("ab\x80", 3)},
      {"6.6.1 truncated 3-byte sequence at the end: 1007", "ab\xe2\x82"},
      {"6.8.1 5-byte sequence: 1007", "\xf8\x88\x80\x80\x80"},
      {"6.9.1 overlong '/' (C0 AF): 1007", "\xc0\xaf"},
      {"6.10.1 overlong 3-byte NUL (E0 80 80): 1007", std::string("\xe0\x80\x80", 3)},
      {"6.11.1 UTF-16 surrogate (ED A0 80): 1007", "\xed\xa0\x80"},
      {"6.12.1 beyond U+10FFFF (F4 90 80 80): 1007", "\xf4\x90\x80\x80"},
      {"6.13.1 byte 0xFE: 1007", "a\xfe"},
      {"6.14.1 byte 0xFF: 1007", "a\xff"}};
  for (const auto& [name, bytes] : invalid) {
    DYNAMIC_SECTION(name) {
      ws.text(bytes);
      CHECK(ws.await_close() == 1007);
    }
  }
  SECTION("6.4.1 invalid UTF-8 in the second fragment fails before the message ends: 1007") {
    ws.frame(0x1, "\xce\xba\xe1\xbd\xb9", false);
    ws.frame(0x0, "\xf4\x90\x80\x80", false);  // not yet FIN: fail fast
    CHECK(ws.await_close() == 1007);
  }
}

TEST_CASE("7 close handling", "[conformance]") {
  RawWs ws(server().port());
  SECTION("7.1.1 close 1000 is answered with 1000 and the TCP connection ends") {
    ws.close_frame(1000);
    CHECK(ws.await_close() == 1000);
    CHECK(ws.eof());
  }
  SECTION("7.1.2 a second close is not answered twice") {
    ws.close_frame(1000);
    ws.close_frame(1000);
    CHECK(ws.await_close() == 1000);
    CHECK(!ws.read(std::chrono::milliseconds(300)).has_value());
    CHECK(ws.eof());
  }
  SECTION("7.1.3 a ping after close gets no pong") {
    ws.close_frame(1000);
    ws.frame(0x9, "after close");
    CHECK(ws.await_close() == 1000);
    auto f = ws.read(std::chrono::milliseconds(300));
    CHECK((!f || f->opcode != 0xA));
  }
  SECTION("7.1.4 a message after close is not processed") {
    ws.close_frame(1000);
    ws.text(json_ping(30));
    CHECK(ws.await_close() == 1000);
    auto f = ws.read(std::chrono::milliseconds(300));
    CHECK(!f.has_value());
  }
  SECTION("7.1.5 close in the middle of a fragmented message") {
    ws.frame(0x1, "{\"requestId\":", false);
    ws.close_frame(1000);
    CHECK(ws.await_close() == 1000);
  }
  SECTION("7.3.1 close with an empty payload") {
    ws.frame(0x8, "");
    const int code = ws.await_close();
    CHECK((code == 1000 || code == 1005));
    CHECK(ws.eof());
  }
  SECTION("7.3.2 close with a 1-byte payload: 1002") {
    ws.frame(0x8, "a");
    CHECK(ws.await_close() == 1002);
  }
  SECTION("7.3.4 close with code and reason") {
    ws.close_frame(1000, "Hello World!");
    CHECK(ws.await_close() == 1000);
  }
  SECTION("7.3.5 close with a 123-byte reason (the most that fits)") {
    ws.close_frame(1000, std::string(123, '*'));
    CHECK(ws.await_close() == 1000);
  }
  SECTION("7.3.6 close with a 124-byte reason (payload over 125): 1002") {
    ws.close_frame(1000, std::string(124, '*'));
    CHECK(ws.await_close() == 1002);
  }
  SECTION("7.5.1 close reason that is not UTF-8: the connection is failed (1002 or 1007)") {
    // RFC 6455 8.1 requires failing the connection without naming the code; Autobahn accepts
    // either. Beast answers 1002 (see docs/conformance.md).
    ws.close_frame(1000, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64");
    const int code = ws.await_close();
    CHECK((code == 1002 || code == 1007));
  }
  for (int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999}) {
    DYNAMIC_SECTION("7.7 valid close code " << code << " is answered with a close") {
      ws.close_frame(code);
      const int back = ws.await_close();
      CHECK((back == code || back == 1000));
      CHECK(ws.eof());
    }
  }
  for (int code : {0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999}) {
    DYNAMIC_SECTION("7.9 invalid close code " << code << ": 1002") {
      ws.close_frame(code);
      CHECK(ws.await_close() == 1002);
    }
  }
}

TEST_CASE("9 (reduced) limits: the largest message passes, one byte more is 1009", "[conformance]") {
  RawWs ws(server().port());
  SECTION("9.1.1 text of exactly the limit in one frame") {
    ws.text(json_ping(frame_bytes_max));
    CHECK(answered_ping(ws));
  }
  SECTION("9.1.2 text one byte over the limit: 1009") {
    ws.text(json_ping(frame_bytes_max + 1));
    CHECK(ws.await_close() == 1009);
  }
  SECTION("9.2.2 binary one byte over the limit: 1009") {
    ws.binary(proto_ping(frame_bytes_max + 1));
    CHECK(ws.await_close() == 1009);
  }
  SECTION("9.2.3 a frame header announcing 1 GiB: 1009 before any payload arrives") {
    ws.raw_bytes(std::string("\x81\xff\x00\x00\x00\x00\x40\x00\x00\x00\x01\x02\x03\x04", 14));
    CHECK(ws.await_close() == 1009);
  }
  SECTION("9.4.1 the limit in 64 fragments of 1 KiB") {
    const std::string m = json_ping(frame_bytes_max);
    for (std::size_t i = 0; i < 64; ++i) ws.frame(i == 0 ? 0x1 : 0x0, m.substr(i * 1024, 1024), i == 63);
    CHECK(answered_ping(ws));
  }
  SECTION("9.4.2 one byte over the limit in fragments: 1009") {
    const std::string m = json_ping(frame_bytes_max + 1);
    for (std::size_t at = 0; at < m.size(); at += 1024)
      ws.frame(at == 0 ? 0x1 : 0x0, m.substr(at, 1024), at + 1024 >= m.size());
    CHECK(ws.await_close() == 1009);
  }
  SECTION("9.7.1 thirty small messages in a row, answered in order") {
    for (int i = 0; i < 30; ++i) ws.text(json_ping(30, "n" + std::to_string(i)));
    for (int i = 0; i < 30; ++i) CHECK(answered_ping(ws, "n" + std::to_string(i)));
  }
}
