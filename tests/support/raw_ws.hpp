// A deliberately naive WebSocket client on a plain socket for the conformance suite: it writes
// exactly the bytes a test asks for (bad opcodes, reserved bits, unmasked or fragmented control
// frames, broken UTF-8) and reads the server's frames back, so the server's answers to protocol
// violations can be checked against RFC 6455.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace sb::test {

struct RawFrame {
  bool fin = true;
  std::uint8_t opcode = 0;
  std::string payload;
  int close_code() const;  // for close frames: the code, 1005 when none was given
};

class RawWs {
 public:
  explicit RawWs(unsigned short port);  // connects and completes the opening handshake
  ~RawWs();
  RawWs(const RawWs&) = delete;
  RawWs& operator=(const RawWs&) = delete;

  // One frame, masked unless told otherwise; `rsv` is the three reserved bits (0..7).
  // `chunk_bytes` > 0 writes it in pieces of that size (split across TCP segments).
  void frame(std::uint8_t opcode, const std::string& payload, bool fin = true, std::uint8_t rsv = 0, bool masked = true,
             std::size_t chunk_bytes = 0);
  void text(const std::string& payload) { frame(0x1, payload); }
  void binary(const std::string& payload) { frame(0x2, payload); }
  void close_frame(int code, const std::string& reason = {});
  void raw_bytes(const std::string& bytes);

  // The next frame, or nothing when the wait ran out or the connection ended.
  std::optional<RawFrame> read(std::chrono::milliseconds wait = std::chrono::milliseconds(3000));
  // Reads past data frames to the server's close frame and returns its code (-1: the
  // connection ended without one or the wait ran out).
  int await_close(std::chrono::milliseconds wait = std::chrono::milliseconds(3000));
  // After a close: the server also ended the TCP connection.
  bool eof(std::chrono::milliseconds wait = std::chrono::milliseconds(3000));

 private:
  bool fill(std::size_t n, std::chrono::steady_clock::time_point deadline);
  int fd_ = -1;
  std::string in_;
  bool ended_ = false;
};

}  // namespace sb::test
