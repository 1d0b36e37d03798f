// Starts the real `switchboard serve` binary on a free loopback port for integration tests,
// with a config written to a temp dir; stops it with SIGTERM (SIGKILL if it hangs).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "net/token.hpp"
#include "net/ws_client.hpp"
#include "switchboard/v1/switchboard.pb.h"

namespace sb::test {

constexpr const char* test_secret = "integration-test-secret-0123456789";
std::string test_auth_toml();  // the [auth] table of the test configs: one operator key, kid "test"
const net::KeyRing& test_keys();
// A customer's hello frame in JSON, with a token for that member signed by the test key.
std::string customer_hello(const std::string& shop, const std::string& member, const std::string& request_id = "h",
                           switchboard::v1::Tier tier = switchboard::v1::TIER_UNSPECIFIED);

class ServerProcess {
 public:
  // shops_toml: the [[shops]] tables; server_extra: [server] keys (default: manual_clock_allowed = true).
  // `wrapper`: a command the binary runs under (e.g. {"/usr/bin/prlimit", "--nofile=100", "--"}).
  ServerProcess(const std::string& shops_toml, const std::vector<std::string>& args, const std::string& server_extra = "",
                const std::vector<std::string>& wrapper = {});
  ~ServerProcess();

  unsigned short port() const { return port_; }
  const std::string& host() const { return host_; }  // the address it listens on (127.0.0.1 unless --listen says)
  unsigned short admin_port() const { return admin_port_; }  // 0 unless server.admin_listen is set
  pid_t pid() const { return pid_; }
  // Signed with the test config's operator key (it may sign every role).
  std::string token(const std::string& shop, const std::string& person, const std::string& role, long ttl_s = 3600) const;
  std::string customer_token(const std::string& shop, const std::string& member,
                             switchboard::v1::Tier tier = switchboard::v1::TIER_UNSPECIFIED) const;
  std::string scrape() const;  // /metrics with a metrics token
  net::HttpResult get(const std::string& target, const std::string& bearer = {}) const;
  net::HttpResult post(const std::string& target, const std::string& body, const std::string& bearer = {}) const;
  net::HttpResult advance_ms(long ms) const;
  net::HttpResult advance_to(const std::string& rfc3339) const;
  // SIGTERM and wait; returns the exit status (-1 if it had to be killed).
  int stop(std::chrono::milliseconds wait = std::chrono::milliseconds(10'000));
  bool running();
  void kill9();  // a crash: no drain, no flush
  void terminate();  // SIGTERM without waiting (stop() then waits for the exit)
  // A label-less series' value in /metrics (-1 if absent).
  double metric(const std::string& name) const;
  std::string stderr_text() const;

 private:
  pid_t pid_ = -1;
  std::string host_ = "127.0.0.1";
  unsigned short port_ = 0;
  unsigned short admin_port_ = 0;
  std::string dir_;
};

// A WebSocket client speaking JSON text frames, as a browser widget would.
class JsonClient {
 public:
  explicit JsonClient(unsigned short port);  // ws://127.0.0.1:port/ws
  JsonClient(const std::string& host, unsigned short port, const std::string& target);
  void send(const std::string& json);
  // The next message of that kind (earlier ones of other kinds stay queued for later expects).
  switchboard::v1::ServerMessage expect(switchboard::v1::ServerMessage::BodyCase kind,
                                        std::chrono::milliseconds timeout = std::chrono::milliseconds(3000));
  // The reply to a request id (Ack, Error or answer).
  switchboard::v1::ServerMessage reply(const std::string& request_id,
                                       std::chrono::milliseconds timeout = std::chrono::milliseconds(3000));
  // Nothing of that kind arrives within the wait.
  bool quiet(switchboard::v1::ServerMessage::BodyCase kind, std::chrono::milliseconds wait = std::chrono::milliseconds(300));
  net::WsClient& raw() { return ws_; }
  std::vector<std::string> raw_frames;  // every frame as received, for protocol-shape checks

 private:
  bool pull(std::chrono::milliseconds timeout);
  switchboard::v1::ServerMessage take_first(const std::function<bool(const switchboard::v1::ServerMessage&)>& match,
                                            std::chrono::milliseconds timeout, const std::string& what);
  net::WsClient ws_;
  std::deque<switchboard::v1::ServerMessage> backlog_;
};

std::string binary_path();

}  // namespace sb::test
