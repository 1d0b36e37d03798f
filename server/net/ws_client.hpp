// A small blocking WebSocket and HTTP client on Beast, for the `switchboard chat` command and the
// integration tests: a reader thread queues incoming frames; recv waits with a timeout.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace sb::net {

class WsClient {
 public:
  WsClient();
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  // Returns an error text, empty on success.
  std::string connect(const std::string& host, unsigned short port, const std::string& target = "/ws",
                      const std::string& origin = {});
  bool send_text(const std::string& text);
  bool send_binary(const std::string& bytes);
  std::optional<std::string> recv(std::chrono::milliseconds timeout);
  bool last_was_text() const;
  // After the server closed: its close code (0 if not closed).
  int close_code() const;
  bool closed() const;
  // Stops reading from the socket (a peer that no longer reads: for backpressure tests).
  void pause_reading();
  void close();
  // Drops the TCP connection without a close frame, as a lost mobile network looks to the server.
  void drop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct HttpResult {
  int status = 0;  // 0: could not connect
  std::string body;
  std::string error;
};

HttpResult http_call(const std::string& host, unsigned short port, const std::string& method, const std::string& target,
                     const std::string& body = {}, const std::string& bearer = {});

}  // namespace sb::net
