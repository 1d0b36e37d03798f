// Connection limits: each is crossed, the close code or refusal checked, and another client
// shown unaffected.
#include <catch2/catch.hpp>

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
  CHECK(server.get("/metrics").body.find("switchboard_security_refusals_total{reason=\"address_limit\"} 1") != std::string::npos);
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

TEST_CASE("/metrics can require an admin token", "[limits][security]") {
  ServerProcess server(always_open_toml, {}, "metrics_token_required = true\n");
  CHECK(server.get("/metrics").status == 401);
  CHECK(server.get("/metrics", server.token("day", "boss", "supervisor")).status == 403);
  CHECK(server.get("/metrics", server.token("*", "ops", "admin")).status == 200);
  CHECK(server.get("/healthz").status == 200);
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
  customer.send(R"({"requestId":"h","hello":{"role":"ROLE_CUSTOMER","shopId":"day","memberId":"m1"}})");
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
