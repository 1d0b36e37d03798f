// Connection limits: each is crossed, the close code or refusal checked, and another client
// shown unaffected.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "shops.hpp"
#include "support/server_process.hpp"

using namespace sb::test;
namespace v1 = switchboard::v1;
using BC = v1::ServerMessage::BodyCase;

namespace {

bool pings(JsonClient& c, const std::string& id) {
  c.send(R"({"requestId":")" + id + R"(","ping":{}})");
  return c.reply(id).has_pong();
}

bool closed_with(sb::net::WsClient& ws, int code) {
  for (int i = 0; i < 200 && !ws.closed(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return ws.closed() && ws.close_code() == code;
}

// A WebSocket upgrade by hand, with the headers a proxy adds; the socket stays open (held by
// the caller) and the answer's status line comes back.
std::string upgrade_via(int& fd, unsigned short port, const std::string& forwarded_for) {
  fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return "connect failed";
  const std::string req = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nX-Forwarded-For: " +
                          forwarded_for + "\r\n\r\n";
  if (write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) return "write failed";
  char buf[512];
  const ssize_t n = read(fd, buf, sizeof buf);
  const std::string answer(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
  return answer.substr(0, answer.find("\r\n"));
}

}  // namespace

TEST_CASE("a frame over frame_bytes_max closes that connection with 1009; others go on", "[limits]") {
  ServerProcess server(always_open_toml, {}, "frame_bytes_max = 1024\n");
  JsonClient big(server.port()), other(server.port());
  big.send(R"({"requestId":"x","sendText":{"text":")" + std::string(2000, 'a') + R"("}})");
  CHECK(closed_with(big.raw(), 1009));
  CHECK(pings(other, "p"));
}

TEST_CASE("connections per source address are limited; the next is refused with 429", "[limits]") {
  ServerProcess server(always_open_toml, {}, "connections_per_address_max = 3\n");
  JsonClient a(server.port()), b(server.port()), c(server.port());
  sb::net::WsClient fourth;
  const std::string error = fourth.connect("127.0.0.1", server.port());
  CHECK(!error.empty());
  CHECK(pings(a, "a"));
  CHECK(pings(c, "c"));
  // When one leaves, a new one gets in.
  b.raw().close();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  JsonClient d(server.port());
  CHECK(pings(d, "d"));
  CHECK(server.scrape().find("switchboard_security_refusals_total{reason=\"address_limit\"} 1") != std::string::npos);
}

TEST_CASE("behind a trusted proxy the per-address bound counts X-Forwarded-For's client, not the proxy", "[limits]") {
  ServerProcess server(always_open_toml, {}, "connections_per_address_max = 2\ntrusted_proxies = [\"127.0.0.1\"]\n");
  int fds[4];
  // The last entry is the one the proxy appended; what the client wrote before it is ignored.
  CHECK(upgrade_via(fds[0], server.port(), "10.0.0.1") == "HTTP/1.1 101 Switching Protocols");
  CHECK(upgrade_via(fds[1], server.port(), "192.0.2.9, 10.0.0.1") == "HTTP/1.1 101 Switching Protocols");
  CHECK(upgrade_via(fds[2], server.port(), "10.0.0.1") == "HTTP/1.1 429 Too Many Requests");
  CHECK(upgrade_via(fds[3], server.port(), "10.0.0.2") == "HTTP/1.1 101 Switching Protocols");
  for (int fd : {fds[0], fds[1], fds[2], fds[3]}) close(fd);
  // Without the trust, X-Forwarded-For is just a header anyone can write.
  ServerProcess plain(always_open_toml, {}, "connections_per_address_max = 1\n");
  int a = -1, b = -1;
  CHECK(upgrade_via(a, plain.port(), "10.0.0.1") == "HTTP/1.1 101 Switching Protocols");
  CHECK(upgrade_via(b, plain.port(), "10.0.0.2") == "HTTP/1.1 429 Too Many Requests");
  close(a);
  close(b);
}

TEST_CASE("messages over the rate are throttled, then the connection is closed with 1008", "[limits]") {
  ServerProcess server(always_open_toml, {}, "messages_per_second_max = 5\nthrottle_strikes_max = 10\n");
  JsonClient flood(server.port()), other(server.port());
  for (int i = 0; i < 12; ++i) flood.send(R"({"requestId":"f)" + std::to_string(i) + R"(","ping":{}})");
  const auto e = flood.expect(BC::kError);
  CHECK(e.error().code() == v1::ERROR_CODE_UNAVAILABLE);
  CHECK(e.error().message().find("throttled") != std::string::npos);
  for (int i = 0; i < 20 && !flood.raw().closed(); ++i) flood.raw().send_text(R"({"ping":{}})");
  CHECK(closed_with(flood.raw(), 1008));
  CHECK(pings(other, "o"));
  // A well-behaved client under the rate is never throttled.
  for (int i = 0; i < 4; ++i) CHECK(pings(other, "ok" + std::to_string(i)));
}

TEST_CASE("browser connections from origins not allowed are refused at the handshake", "[limits][security]") {
  ServerProcess server(always_open_toml, {}, "allowed_origins = [\"https://shop.example\"]\n");
  sb::net::WsClient evil, good, no_origin;
  CHECK(!evil.connect("127.0.0.1", server.port(), "/ws", "https://evil.example").empty());
  CHECK(good.connect("127.0.0.1", server.port(), "/ws", "https://shop.example").empty());
  CHECK(no_origin.connect("127.0.0.1", server.port()).empty());  // not a browser
}

TEST_CASE("/metrics needs a metrics or admin token unless it is on the admin listener", "[limits][security]") {
  ServerProcess server(always_open_toml, {}, "idle_timeout_ms = 60000\n");
  CHECK(server.get("/metrics").status == 401);
  CHECK(server.get("/metrics", server.token("day", "boss", "supervisor")).status == 403);
  CHECK(server.get("/metrics", server.token("day", "prom", "metrics")).status == 403);  // metrics tokens name shop "*"
  CHECK(server.get("/metrics", server.token("*", "prom", "metrics")).status == 200);
  CHECK(server.get("/metrics", server.token("*", "ops", "admin")).status == 200);
  CHECK(server.get("/healthz").status == 200);
  // On the admin listener (a private interface) no token is asked, unless the config says so.
  ServerProcess open_admin(always_open_toml, {}, "admin_listen = \"127.0.0.1:0\"\n");
  CHECK(sb::net::http_call("127.0.0.1", open_admin.admin_port(), "GET", "/metrics", {}, {}).status == 200);
  ServerProcess locked_admin(always_open_toml, {}, "admin_listen = \"127.0.0.1:0\"\nmetrics_token_required = true\n");
  CHECK(sb::net::http_call("127.0.0.1", locked_admin.admin_port(), "GET", "/metrics", {}, {}).status == 401);
}

TEST_CASE("admin surfaces can move to their own listener; the public one no longer serves them", "[limits][security]") {
  ServerProcess server(always_open_toml, {"--clock", "manual"}, "manual_clock_allowed = true\nadmin_listen = \"127.0.0.1:0\"\n");
  REQUIRE(server.admin_port() != 0);
  REQUIRE(server.admin_port() != server.port());
  const auto admin = [&](const std::string& method, const std::string& target, const std::string& body = {},
                         const std::string& bearer = {}) {
    return sb::net::http_call("127.0.0.1", server.admin_port(), method, target, body, bearer);
  };
  const std::string ops = server.token("*", "ops", "admin");
  // Public: chats, health; not /metrics, figures or the admin API.
  CHECK(server.get("/healthz").status == 200);
  const auto m = server.get("/metrics");
  CHECK(m.status == 404);
  CHECK(m.body.find("admin listener") != std::string::npos);
  CHECK(server.get("/api/v1/shops/day/figures", server.token("day", "boss", "supervisor")).status == 404);
  CHECK(server.post("/api/v1/admin/clock", "{\"advanceMs\": 1000}", ops).status == 404);
  JsonClient chat(server.port());
  chat.send(customer_hello("day", "m1", "h"));
  CHECK(chat.reply("h").has_welcome());
  // Admin: all of those, and no chats.
  CHECK(admin("GET", "/healthz").status == 200);
  const auto am = admin("GET", "/metrics");
  CHECK(am.status == 200);
  CHECK(am.body.find("switchboard_connections_open 1") != std::string::npos);
  CHECK(admin("GET", "/api/v1/shops/day/figures", {}, server.token("day", "boss", "supervisor")).status == 200);
  CHECK(admin("POST", "/api/v1/admin/clock", "{\"advanceMs\": 1000}", ops).status == 200);
  sb::net::WsClient ws;
  CHECK(!ws.connect("127.0.0.1", server.admin_port()).empty());
  // Tokens presented on either listener never reach the log.
  CHECK(server.stderr_text().find(ops) == std::string::npos);
}

TEST_CASE("an agent that stops reading is closed at its send-queue bound; its chat goes back to the queue", "[limits][backpressure]") {
  ServerProcess server(always_open_toml, {},
                       "send_queue_messages_max = 64\nmessages_per_second_max = 100000\nthrottle_strikes_max = 1000\n");
  // The agent connects, goes online, and then never reads again.
  sb::net::WsClient agent;
  REQUIRE(agent.connect("127.0.0.1", server.port()).empty());
  agent.send_text(R"({"requestId":"h","hello":{"role":"ROLE_AGENT","shopId":"day","token":")" +
                  server.token("day", "alice", "agent") + R"("}})");
  agent.send_text(R"({"requestId":"on","setAgentStatus":{"status":"AGENT_STATUS_ONLINE"}})");
  agent.pause_reading();
  JsonClient customer(server.port()), supervisor(server.port());
  supervisor.send(R"({"requestId":"h","hello":{"role":"ROLE_SUPERVISOR","shopId":"day","token":")" +
                  server.token("day", "boss", "supervisor") + R"("}})");
  supervisor.reply("h");
  customer.send(customer_hello("day", "m1", "h"));
  customer.reply("h");
  customer.send(R"({"requestId":"e","enter":{}})");
  customer.send(R"({"requestId":"t","sendText":{"text":"hi"}})");
  const std::string sid = customer.expect(BC::kAssigned).assigned().session_id();
  // Each message is relayed to the agent, who does not read: kernel buffers fill, then the queue.
  const std::string text(8000, 'z');
  bool handed_back = false;
  for (int i = 0; i < 3000 && !handed_back; ++i) {
    customer.send(R"({"requestId":"m)" + std::to_string(i) + R"(","sendText":{"text":")" + text + R"("}})");
    if (i % 100 == 99) handed_back = !customer.quiet(BC::kTransferred, std::chrono::milliseconds(50));
  }
  CHECK(handed_back);
  const auto t = customer.expect(BC::kTransferred);
  CHECK(t.transferred().session_id() == sid);
  CHECK(t.transferred().from_agent_id() == "alice");
  CHECK(server.metric("switchboard_send_queue_overflows_total") == 1);
  CHECK(pings(supervisor, "still"));
}

namespace {

// A raw TCP socket to the server; -1 on failure.
int raw_connect(unsigned short port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// True once the server has closed the socket (EOF or reset) within the wait.
bool server_closed(int fd, std::chrono::milliseconds wait) {
  const auto end = std::chrono::steady_clock::now() + wait;
  char buf[4096];
  while (std::chrono::steady_clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) > 0) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return true;  // pings and the like are read and ignored
    }
  }
  return false;
}

}  // namespace

TEST_CASE("slow handshakes are closed by the handshake timeout and do not delay a real client", "[limits][timeouts]") {
  ServerProcess server(always_open_toml, {}, "handshake_timeout_ms = 500\nconnections_per_address_max = 1000\n");
  std::vector<int> slow;
  for (int i = 0; i < 300; ++i) {
    const int fd = raw_connect(server.port());
    REQUIRE(fd >= 0);
    const std::string partial = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n";  // never finished
    CHECK(::send(fd, partial.data(), partial.size(), 0) == static_cast<ssize_t>(partial.size()));
    slow.push_back(fd);
  }
  std::vector<double> connect_ms;
  for (int i = 0; i < 20; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    JsonClient real(server.port());
    CHECK(pings(real, "p"));
    connect_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(connect_ms.begin(), connect_ms.end());
  INFO("real client connect + ping, slowest of 20: " << connect_ms.back() << " ms");
  CHECK(connect_ms.back() < 200);
  int closed = 0;
  for (int fd : slow) {
    closed += server_closed(fd, std::chrono::milliseconds(1500)) ? 1 : 0;
    ::close(fd);
  }
  CHECK(closed == 300);
}

TEST_CASE("a peer that goes silent after the handshake is closed by the idle timeout", "[limits][timeouts]") {
  ServerProcess server(always_open_toml, {}, "idle_timeout_ms = 1000\n");
  const int fd = raw_connect(server.port());
  REQUIRE(fd >= 0);
  const std::string upgrade =
      "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  REQUIRE(::send(fd, upgrade.data(), upgrade.size(), 0) == static_cast<ssize_t>(upgrade.size()));
  char buf[1024];
  const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  REQUIRE(n > 0);
  CHECK(std::string(buf, static_cast<std::size_t>(n)).find("101") != std::string::npos);
  // It never answers the server's pings: closed after about the idle timeout.
  JsonClient live(server.port());
  CHECK(server_closed(fd, std::chrono::milliseconds(3000)));
  ::close(fd);
  CHECK(pings(live, "alive"));  // a client that answers pings stays
}
