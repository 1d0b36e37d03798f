// The terminal client for people: readable lines in the shop's zone, --json for the protocol,
// no hang when typing after the server closed, and a reconnect with the resume token that
// brings back the chat and the messages missed.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "shops.hpp"
#include "support/server_process.hpp"

extern char** environ;

using namespace sb::test;
namespace v1 = switchboard::v1;
using BC = v1::ServerMessage::BodyCase;

namespace {

// `switchboard chat` with its stdin and stdout on pipes.
class ChatProcess {
 public:
  explicit ChatProcess(std::vector<std::string> args) {
    int in[2], out[2];
    // Close-on-exec: a server started later must not hold our end of the client's stdin open.
    REQUIRE(pipe2(in, O_CLOEXEC) == 0);
    REQUIRE(pipe2(out, O_CLOEXEC) == 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, in[1]);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    args.insert(args.begin(), {binary_path(), "chat"});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    REQUIRE(posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ) == 0);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    stdin_ = in[1];
    stdout_ = out[0];
  }
  ~ChatProcess() {
    close_input();
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(stdout_);
  }
  void type(const std::string& line) {
    const std::string l = line + "\n";
    REQUIRE(write(stdin_, l.data(), l.size()) == static_cast<ssize_t>(l.size()));
  }
  void close_input() {
    if (stdin_ >= 0) close(stdin_);
    stdin_ = -1;
  }
  // Waits for a printed line containing `text`; returns it (empty if the wait ran out).
  std::string wait_for(const std::string& text, std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      for (std::size_t nl; (nl = buffer_.find('\n')) != std::string::npos;) {
        const std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        lines_.push_back(line);
        if (line.find(text) != std::string::npos) return line;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
      if (left <= 0) return {};
      pollfd p{stdout_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left)) <= 0) continue;
      char buf[4096];
      const ssize_t n = read(stdout_, buf, sizeof buf);
      if (n <= 0) return {};
      buffer_.append(buf, static_cast<std::size_t>(n));
    }
  }
  // Whether it exited (with status 0) within the wait.
  bool exits_within(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  const std::vector<std::string>& lines() const { return lines_; }

 private:
  pid_t pid_ = -1;
  int stdin_ = -1, stdout_ = -1;
  std::string buffer_;
  std::vector<std::string> lines_;
};

unsigned short free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

std::unique_ptr<JsonClient> online_alice(ServerProcess& s) {
  auto c = std::make_unique<JsonClient>(s.port());
  c->send(R"({"requestId":"h","hello":{"role":"ROLE_AGENT","shopId":"day","token":")" + s.token("day", "alice", "agent") + R"("}})");
  REQUIRE(c->reply("h").has_welcome());
  c->send(R"({"requestId":"on","setAgentStatus":{"status":"AGENT_STATUS_ONLINE"}})");
  REQUIRE(c->reply("on").has_ack());
  return c;
}

}  // namespace

TEST_CASE("the terminal client prints readable lines in the shop's zone, or the protocol with --json", "[integration][chat]") {
  ServerProcess server(day_shop_toml, {"--clock", "manual", "--clock-start", "2026-08-18T10:00:00+08:00"});
  auto alice = online_alice(server);
  ChatProcess chat({"--connect", "127.0.0.1:" + std::to_string(server.port()), "--shop", "day", "--role", "customer", "--token",
                    server.customer_token("day", "m-1001", v1::TIER_A)});
  CHECK(!chat.wait_for("m-1001: welcome to shop day (10:00:00 there)").empty());
  chat.type("/enter phones");
  CHECK(!chat.wait_for("[10:00:00] (shop): Hello from day shop").empty());
  chat.type("Is the X200 in stock?");
  const std::string assigned = chat.wait_for("-- chat ");
  CHECK(assigned.find("m-1001 with alice, phones, tier A") != std::string::npos);
  const std::string sid = alice->expect(BC::kAssigned).assigned().session_id();
  REQUIRE(server.advance_ms(5000).status == 200);
  alice->send(R"({"requestId":"r","sendText":{"sessionId":")" + sid + R"(","text":"Yes, 3 left."}})");
  CHECK(!chat.wait_for("[10:00:05] alice: Yes, 3 left.").empty());
  chat.type("/frobnicate");
  CHECK(!chat.wait_for("-- unknown command /frobnicate").empty());
  chat.type("/quit");
  CHECK(chat.exits_within(std::chrono::seconds(3)));

  ChatProcess raw({"--connect", "127.0.0.1:" + std::to_string(server.port()), "--shop", "day", "--role", "customer", "--json",
                   "--token", server.customer_token("day", "m-2002")});
  CHECK(!raw.wait_for(R"(<< {"requestId":"hello","welcome":{"role":"ROLE_CUSTOMER")").empty());
}

TEST_CASE("typing after the server closed never hangs; the client reconnects with its resume token", "[integration][chat]") {
  const unsigned short port = free_port();
  const std::vector<std::string> args{"--clock", "manual", "--clock-start", "2026-08-18T10:00:00+08:00", "--listen",
                                      "127.0.0.1:" + std::to_string(port)};
  auto server = std::make_unique<ServerProcess>(day_shop_toml, args);
  ChatProcess chat({"--connect", "127.0.0.1:" + std::to_string(port), "--shop", "day", "--role", "customer", "--token",
                    server->customer_token("day", "m-3003")});
  REQUIRE(!chat.wait_for("welcome to shop day").empty());
  REQUIRE(server->stop() == 0);
  CHECK(!chat.wait_for("-- the server is stopping").empty());
  CHECK(!chat.wait_for("-- connection closed; reconnecting in 1000 ms").empty());
  // Typed while nobody is there: said so at once, never blocked.
  chat.type("hello?");
  CHECK(!chat.wait_for("-- not connected: not sent", std::chrono::milliseconds(2000)).empty());
  // The server comes back on the same address: the client returns with its resume token.
  server = std::make_unique<ServerProcess>(day_shop_toml, args);
  CHECK(!chat.wait_for("m-3003: welcome", std::chrono::milliseconds(15000)).empty());
  chat.close_input();
  CHECK(chat.exits_within(std::chrono::seconds(3)));
}
