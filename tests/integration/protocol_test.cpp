// The sequences of docs/protocol.md, over real sockets in JSON text frames, against the real binary.
#include <catch2/catch.hpp>

#include <sstream>
#include <thread>

#include "shops.hpp"
#include "support/server_process.hpp"

using namespace sb::test;
namespace v1 = switchboard::v1;
using BC = v1::ServerMessage::BodyCase;

namespace {

const std::vector<std::string> manual_clock{"--clock", "manual", "--clock-start", "2026-08-18T10:00:00+08:00"};

std::string hello_customer(const std::string& member, const std::string& rid = "h1") {
  return customer_hello("day", member, rid);
}

std::string hello_staff(const ServerProcess& s, const std::string& role, const std::string& person, const std::string& shop = "day") {
  const std::string enum_role = role == "agent" ? "ROLE_AGENT" : "ROLE_SUPERVISOR";
  return R"({"requestId":"h1","hello":{"role":")" + enum_role + R"(","shopId":")" + shop + R"(","token":")" +
         s.token(shop, person, role) + R"("}})";
}

}  // namespace

TEST_CASE("customer sequence: enter, greeting, queued, assigned, messages, rating, close", "[integration][protocol]") {
  ServerProcess server(day_shop_toml, manual_clock);
  JsonClient alice(server.port());
  alice.send(hello_staff(server, "agent", "alice"));
  REQUIRE(alice.reply("h1").has_welcome());
  alice.send(R"({"requestId":"s1","setAgentStatus":{"status":"AGENT_STATUS_ONLINE"}})");
  REQUIRE(alice.reply("s1").has_ack());

  // A first customer fills alice's window of 1.
  JsonClient first(server.port());
  first.send(hello_customer("m0"));
  first.reply("h1");
  first.send(R"({"requestId":"e","enter":{"skill":"phones"}})");
  first.send(R"({"requestId":"t","sendText":{"text":"first!"}})");
  const auto first_assigned = first.expect(BC::kAssigned);

  JsonClient customer(server.port());
  customer.send(customer_hello("day", "m1", "h1", v1::TIER_B));  // the shop's site says m1 is tier B
  const auto welcome = customer.reply("h1");
  REQUIRE(welcome.has_welcome());
  CHECK(welcome.welcome().protocol() == "switchboard.v1");
  customer.send(R"({"requestId":"r1","enter":{"skill":"phones"}})");
  CHECK(customer.reply("r1").has_ack());
  const auto greeting = customer.expect(BC::kGreeting);
  CHECK(greeting.greeting().text() == "Hello from day shop");
  CHECK(greeting.greeting().shop_open());
  customer.send(R"({"requestId":"r2","sendText":{"text":"Is the X200 in stock?"}})");
  CHECK(customer.reply("r2").has_ack());
  const auto queued = customer.expect(BC::kQueued);
  CHECK(queued.queued().position() == 1);
  CHECK(queued.queued().skill() == "phones");

  alice.send(R"({"requestId":"c0","closeSession":{"sessionId":")" + first_assigned.assigned().session_id() + R"("}})");
  CHECK(alice.reply("c0").has_ack());
  const auto assigned = customer.expect(BC::kAssigned);
  const std::string sid = assigned.assigned().session_id();
  CHECK(assigned.assigned().agent_id() == "alice");
  // The agent sees the transcript so far.
  v1::ServerMessage agent_assigned;
  for (;;) {
    agent_assigned = alice.expect(BC::kAssigned);
    if (agent_assigned.assigned().session_id() == sid) break;
  }
  REQUIRE(agent_assigned.assigned().history_size() == 1);
  CHECK(agent_assigned.assigned().history(0).text() == "Is the X200 in stock?");

  alice.send(R"({"requestId":"a1","sendText":{"sessionId":")" + sid + R"(","text":"Yes, 3 left."}})");
  CHECK(alice.reply("a1").has_ack());
  const auto to_customer = customer.expect(BC::kChatMessage);
  CHECK(to_customer.chat_message().text() == "Yes, 3 left.");
  CHECK(to_customer.chat_message().sender() == v1::SENDER_AGENT);
  customer.send(R"({"requestId":"r3","sendText":{"text":"Great, thanks"}})");
  customer.reply("r3");
  CHECK(alice.expect(BC::kChatMessage).chat_message().text() == "Great, thanks");
  customer.send(R"({"requestId":"r4","rate":{"sessionId":")" + sid + R"(","score":5}})");
  CHECK(customer.reply("r4").has_ack());
  customer.send(R"({"requestId":"r5","closeSession":{"sessionId":")" + sid + R"("}})");
  CHECK(customer.reply("r5").has_ack());
  const auto closed = customer.expect(BC::kSessionClosed);
  CHECK(closed.session_closed().reason() == v1::CLOSE_REASON_CUSTOMER);
  CHECK(closed.session_closed().rating_window_s() == 1800);
  // alice saw the first customer's session close too; the last close is this one.
  alice.expect(BC::kSessionClosed);
  CHECK(alice.expect(BC::kSessionClosed).session_closed().session_id() == sid);
}

TEST_CASE("transfer sequence: agent to agent and to a skill queue", "[integration][protocol]") {
  ServerProcess server(day_shop_toml, manual_clock);
  JsonClient bob(server.port()), carol(server.port()), customer(server.port());
  for (auto* c : {&bob, &carol}) {
    c->send(hello_staff(server, "agent", c == &bob ? "bob" : "carol"));
    c->reply("h1");
    c->send(R"({"requestId":"on","setAgentStatus":{"status":"AGENT_STATUS_ONLINE"}})");
    c->reply("on");
  }
  customer.send(hello_customer("m1"));
  customer.reply("h1");
  customer.send(R"({"requestId":"e","enter":{"skill":"phones"}})");
  customer.send(R"({"requestId":"t","sendText":{"text":"My phone overheats"}})");
  const std::string sid = customer.expect(BC::kAssigned).assigned().session_id();
  bob.expect(BC::kAssigned);
  bob.send(R"({"requestId":"x","transfer":{"sessionId":")" + sid + R"(","toAgentId":"carol"}})");
  CHECK(bob.reply("x").has_ack());
  const auto t = customer.expect(BC::kTransferred);
  CHECK(t.transferred().to_agent_id() == "carol");
  const auto at_carol = carol.expect(BC::kAssigned);
  CHECK(at_carol.assigned().transfer());
  CHECK(at_carol.assigned().session_id() == sid);
  // bob no longer owns it.
  bob.send(R"({"requestId":"y","sendText":{"sessionId":")" + sid + R"(","text":"still me"}})");
  CHECK(bob.reply("y").error().code() == v1::ERROR_CODE_FORBIDDEN);
  carol.send(R"({"requestId":"z","transfer":{"sessionId":")" + sid + R"(","toSkill":"phones"}})");
  CHECK(carol.reply("z").has_ack());
  CHECK(customer.expect(BC::kTransferred).transferred().to_skill() == "phones");
  CHECK(bob.expect(BC::kAssigned).assigned().session_id() == sid);  // bob has phones and room
}

TEST_CASE("left-message sequence: shop closed, message left, answered later", "[integration][protocol]") {
  ServerProcess server(day_shop_toml, {"--clock", "manual", "--clock-start", "2026-08-19T05:00:00+08:00"});
  JsonClient customer(server.port());
  customer.send(hello_customer("m7"));
  customer.reply("h1");
  customer.send(R"({"requestId":"e","enter":{}})");
  customer.expect(BC::kGreeting);
  customer.send(R"({"requestId":"t","sendText":{"text":"Anyone there?"}})");
  const auto u = customer.expect(BC::kUnavailable);
  CHECK(u.unavailable().reason() == v1::UNAVAILABLE_REASON_OUTSIDE_HOURS);
  CHECK(u.unavailable().can_leave_message());
  CHECK(u.unavailable().hours_today() == "09:00-23:00");
  customer.send(R"({"requestId":"l","leaveMessage":{"text":"Please call me about order 991"}})");
  const std::string mid = customer.reply("l").ack().id();
  REQUIRE(!mid.empty());

  REQUIRE(server.advance_to("2026-08-19T09:30:00+08:00").status == 200);
  JsonClient alice(server.port());
  alice.send(hello_staff(server, "agent", "alice"));
  alice.reply("h1");
  alice.send(R"({"requestId":"ls","listLeftMessages":{}})");
  const auto list = alice.reply("ls");
  REQUIRE(list.left_messages().messages_size() == 1);
  CHECK(list.left_messages().messages(0).text() == "Please call me about order 991");
  alice.send(R"({"requestId":"ans","replyLeftMessage":{"messageId":")" + mid + R"(","text":"Called you at 09:31"}})");
  CHECK(alice.reply("ans").has_ack());
  const auto replied = customer.expect(BC::kLeftMessageReplied);
  CHECK(replied.left_message_replied().message().reply_text() == "Called you at 09:31");
}

TEST_CASE("binary frames carry the same messages as protobuf", "[integration][protocol]") {
  ServerProcess server(day_shop_toml, manual_clock);
  sb::net::WsClient ws;
  REQUIRE(ws.connect("127.0.0.1", server.port()).empty());
  v1::ClientMessage hello;
  hello.set_request_id("b1");
  hello.mutable_hello()->set_role(v1::ROLE_CUSTOMER);
  hello.mutable_hello()->set_shop_id("day");
  hello.mutable_hello()->set_token(server.customer_token("day", "bin"));
  REQUIRE(ws.send_binary(hello.SerializeAsString()));
  auto frame = ws.recv(std::chrono::seconds(3));
  REQUIRE(frame);
  CHECK_FALSE(ws.last_was_text());
  v1::ServerMessage reply;
  REQUIRE(reply.ParseFromString(*frame));
  CHECK(reply.request_id() == "b1");
  CHECK(reply.welcome().person_id() == "bin");
}

namespace {

// Sum of one series of switchboard_engine_call_seconds over all shards.
double engine_calls(const ServerProcess& server, const std::string& series, const std::string& call) {
  std::istringstream lines(server.scrape());
  const std::string prefix = "switchboard_engine_call_seconds_" + series + "{call=\"" + call + "\",";
  double sum = 0;
  for (std::string line; std::getline(lines, line);)
    if (line.rfind(prefix, 0) == 0) sum += std::stod(line.substr(line.rfind(' ') + 1));
  return sum;
}

}  // namespace

TEST_CASE("every call into the routing core is timed on /metrics", "[integration][protocol]") {
  ServerProcess server(day_shop_toml, manual_clock);
  for (const char* call : {"hello", "leave", "message", "timer", "order"}) {
    INFO(call);
    CHECK(engine_calls(server, "count", call) == 0);  // declared at zero, before any traffic
  }
  {
    JsonClient alice(server.port());
    alice.send(hello_staff(server, "agent", "alice"));
    REQUIRE(alice.reply("h1").has_welcome());
    alice.send(R"({"requestId":"s1","setAgentStatus":{"status":"AGENT_STATUS_ONLINE"}})");
    REQUIRE(alice.reply("s1").has_ack());
    JsonClient customer(server.port());
    customer.send(hello_customer("m1"));
    REQUIRE(customer.reply("h1").has_welcome());
    customer.send(R"({"requestId":"e","enter":{"skill":"phones"}})");
    REQUIRE(customer.reply("e").has_ack());
    customer.send(R"({"requestId":"t","sendText":{"text":"hello?"}})");
    REQUIRE(customer.reply("t").has_ack());
    customer.expect(BC::kAssigned);
  }
  REQUIRE(server.advance_ms(1000).status == 200);
  const auto order = server.post("/api/v1/orders", R"({"orderId":"o1","shopId":"day","memberId":"m1","amount":5})",
                                 server.token("day", "erp", "orders"));
  REQUIRE(order.status == 200);
  // Both connections closed: their leaves reach the shard after the sockets close.
  for (int i = 0; i < 50 && engine_calls(server, "count", "leave") < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(engine_calls(server, "count", "hello") == 2);
  CHECK(engine_calls(server, "count", "message") == 3);  // setAgentStatus, enter, sendText
  CHECK(engine_calls(server, "count", "leave") == 2);
  CHECK(engine_calls(server, "count", "order") == 1);
  CHECK(engine_calls(server, "count", "timer") >= 1);  // the advance
  CHECK(engine_calls(server, "sum", "message") > 0);
  CHECK(engine_calls(server, "sum", "message") < 1.0);  // wall seconds: three calls take far less
}
