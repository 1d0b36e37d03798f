// A scripted 818 day over real sockets on the manual clock: customers, agents, a transfer, an
// abandon, a left message answered later, ratings, repeated order deliveries and hours past
// midnight. The figures API and /metrics must give exactly the hand-computed figures.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <unistd.h>
#include <regex>

#include "net/codec.hpp"
#include "shops.hpp"
#include "scripted_day.hpp"
#include "support/server_process.hpp"

using namespace sb::test;
namespace v1 = switchboard::v1;
using BC = v1::ServerMessage::BodyCase;

namespace {

struct Day {
  ServerProcess& s;
  int rid = 0;

  std::string next() { return "q" + std::to_string(++rid); }
  v1::ServerMessage ask(JsonClient& c, const std::string& body) {
    const std::string r = next();
    c.send(R"({"requestId":")" + r + R"(",)" + body + "}");
    return c.reply(r);
  }
  std::unique_ptr<JsonClient> agent(const std::string& id) {
    auto c = std::make_unique<JsonClient>(s.port());
    REQUIRE(ask(*c, R"("hello":{"role":"ROLE_AGENT","shopId":"day","token":")" + s.token("day", id, "agent") + R"("})").has_welcome());
    return c;
  }
  std::unique_ptr<JsonClient> customer(const std::string& member, const std::string& skill) {
    auto c = std::make_unique<JsonClient>(s.port());
    c->send(customer_hello("day", member, "h"));
    REQUIRE(c->reply("h").has_welcome());
    REQUIRE(ask(*c, R"("enter":{"skill":")" + skill + R"("})").has_ack());
    return c;
  }
  void at(const std::string& t) { REQUIRE(s.advance_to(t).status == 200); }
  void wait_s(long sec) { REQUIRE(s.advance_ms(sec * 1000).status == 200); }
  void order(const std::string& id, const std::string& member) {
    REQUIRE(s.post("/api/v1/orders",
                   R"({"orderId":")" + id + R"(","shopId":"day","memberId":")" + member + R"(","amount":100,"category":"phones"})",
                   s.token("day", "erp", "orders"))
                .status == 200);
  }
};

v1::ShopFigures figures(ServerProcess& s, const std::string& date) {
  auto r = s.get("/api/v1/shops/day/figures?date=" + date, s.token("day", "boss", "supervisor"));
  REQUIRE(r.status == 200);
  v1::ShopFigures f;
  std::string err;
  REQUIRE(sb::net::from_json(r.body, f, err));
  return f;
}

// Sum of a counter's series for shop "day" in /metrics text.
double metric(const std::string& text, const std::string& name) {
  double sum = 0;
  std::regex line("^" + name + R"(\{([^}]*)\} ([0-9.e+]+)$)");
  std::istringstream in(text);
  std::string l;
  while (std::getline(in, l)) {
    std::smatch m;
    if (std::regex_match(l, m, line) && m[1].str().find("shop=\"day\"") != std::string::npos) sum += std::stod(m[2].str());
  }
  return sum;
}

}  // namespace

namespace sb::test {

v1::ShopFigures shop_figures(ServerProcess& server, const std::string& date) { return figures(server, date); }

void run_scripted_day(ServerProcess& server) {
  Day d{server};

  // 06:30, before the 07:00 opening: c0's first message is not a request; it leaves a message.
  auto c0 = d.customer("c0", "phones");
  d.ask(*c0, R"("sendText":{"text":"open yet?"})");
  CHECK(c0->expect(BC::kUnavailable).unavailable().reason() == v1::UNAVAILABLE_REASON_OUTSIDE_HOURS);
  const std::string left = d.ask(*c0, R"("leaveMessage":{"text":"call me"})").ack().id();

  d.at("2026-08-18T07:00:00+08:00");
  auto alice = d.agent("alice");
  auto bob = d.agent("bob");
  d.ask(*alice, R"("setAgentStatus":{"status":"AGENT_STATUS_ONLINE"})");
  d.ask(*bob, R"("setAgentStatus":{"status":"AGENT_STATUS_ONLINE"})");

  // c1: phones -> alice (longest idle, first in config), answered in 10 s, rated 5.
  auto c1 = d.customer("c1", "phones");
  d.ask(*c1, R"("sendText":{"text":"price of X200?"})");
  const std::string s1 = c1->expect(BC::kAssigned).assigned().session_id();
  d.wait_s(10);
  d.ask(*alice, R"("sendText":{"sessionId":")" + s1 + R"(","text":"1999"})");
  d.ask(*c1, R"("rate":{"sessionId":")" + s1 + R"(","score":5})");
  d.ask(*alice, R"("closeSession":{"sessionId":")" + s1 + R"("})");

  // c2: aircon -> bob, answered after 50 s (a breach), rated 2.
  d.at("2026-08-18T09:00:00+08:00");
  auto c2 = d.customer("c2", "aircon");
  d.ask(*c2, R"("sendText":{"text":"AC leaking"})");
  const std::string s2 = c2->expect(BC::kAssigned).assigned().session_id();
  d.wait_s(50);
  d.ask(*bob, R"("sendText":{"sessionId":")" + s2 + R"(","text":"sorry, sending a technician"})");
  d.ask(*c2, R"("rate":{"sessionId":")" + s2 + R"(","score":2})");
  d.ask(*bob, R"("closeSession":{"sessionId":")" + s2 + R"("})");

  // c3: phones -> alice, transferred to bob after 20 s unanswered; bob answers 5 s later.
  d.at("2026-08-18T10:00:00+08:00");
  auto c3 = d.customer("c3", "phones");
  d.ask(*c3, R"("sendText":{"text":"battery question"})");
  const std::string s3 = c3->expect(BC::kAssigned).assigned().session_id();
  d.wait_s(20);
  REQUIRE(d.ask(*alice, R"("transfer":{"sessionId":")" + s3 + R"(","toAgentId":"bob"})").has_ack());
  d.wait_s(5);
  d.ask(*bob, R"("sendText":{"sessionId":")" + s3 + R"(","text":"bob here"})");
  d.ask(*bob, R"("closeSession":{"sessionId":")" + s3 + R"("})");

  // c4: aircon while bob is paused and carol offline: queued, then gives up.
  d.at("2026-08-18T11:00:00+08:00");
  d.ask(*bob, R"("setAgentStatus":{"status":"AGENT_STATUS_PAUSED"})");
  auto c4 = d.customer("c4", "aircon");
  d.ask(*c4, R"("sendText":{"text":"hello?"})");
  c4->expect(BC::kQueued);
  d.wait_s(30);
  d.ask(*c4, R"("cancel":{})");
  d.ask(*bob, R"("setAgentStatus":{"status":"AGENT_STATUS_ONLINE"})");

  // Orders: c1 twice (one order), c2 once, c9 never chatted.
  d.at("2026-08-18T15:00:00+08:00");
  d.order("o1", "c1");
  d.order("o1", "c1");
  d.order("o2", "c2");
  d.order("o3", "c9");

  // The left message is answered in the afternoon.
  d.ask(*alice, R"("replyLeftMessage":{"messageId":")" + left + R"(","text":"called"})");

  // 01:30 on 8-19, inside the 8-18 peak span: belongs to 8-19.
  d.at("2026-08-19T01:30:00+08:00");
  auto c5 = d.customer("c5", "phones");
  d.ask(*c5, R"("sendText":{"text":"late night"})");
  const std::string s5 = c5->expect(BC::kAssigned).assigned().session_id();
  d.wait_s(3);
  d.ask(*alice, R"("sendText":{"sessionId":")" + s5 + R"(","text":"still here"})");
  d.ask(*c5, R"("closeSession":{"sessionId":")" + s5 + R"("})");

  // 02:00: closed again; c6 is not a request.
  d.at("2026-08-19T02:00:00+08:00");
  auto c6 = d.customer("c6", "phones");
  d.ask(*c6, R"("sendText":{"text":"hi"})");
  CHECK(c6->expect(BC::kUnavailable).unavailable().reason() == v1::UNAVAILABLE_REASON_OUTSIDE_HOURS);
  d.ask(*alice, R"("setAgentStatus":{"status":"AGENT_STATUS_OFFLINE"})");
  d.ask(*bob, R"("setAgentStatus":{"status":"AGENT_STATUS_OFFLINE"})");
  d.at("2026-08-19T03:00:00+08:00");  // every rating window has closed

}

}  // namespace sb::test

TEST_CASE("scripted peak day gives exactly the hand-computed figures in the API and /metrics", "[integration][day]") {
  ServerProcess server(day_shop_toml, {"--clock", "manual", "--clock-start", "2026-08-18T06:30:00+08:00"});
  run_scripted_day(server);

  const auto f = figures(server, "2026-08-18");
  const auto& x = f.figures();
  CHECK(x.connection_rate().numerator() == 3);
  CHECK(x.connection_rate().denominator() == 4);
  CHECK(x.response_45s_rate().numerator() == 2);  // c1, c3 (judged on bob's leg)
  CHECK(x.response_45s_rate().denominator() == 3);
  CHECK(x.first_response_breaches() == 1);        // c2
  CHECK(x.requests_abandoned() == 1);             // c4
  CHECK(x.rating_rate().numerator() == 2);
  CHECK(x.rating_rate().denominator() == 3);
  CHECK(x.satisfaction().numerator() == 1);
  CHECK(x.satisfaction().denominator() == 2);
  CHECK(x.message_reply_rate().numerator() == 1);
  CHECK(x.message_reply_rate().denominator() == 1);
  CHECK(x.inquiry_conversion_rate().numerator() == 2);  // c1, c2 (c3 inquired, did not order)
  CHECK(x.inquiry_conversion_rate().denominator() == 3);
  CHECK(x.online_duration_s() == 17 * 3600);           // 07:00 to midnight
  REQUIRE(f.categories_size() == 1);
  CHECK(f.categories(0).conversion().numerator() == 1);    // phones: c1 of {c1, c3}
  CHECK(f.categories(0).conversion().denominator() == 2);
  CHECK(f.categories(0).floor_met() == false);             // 0.5 < 0.55
  for (const auto& a : f.agents()) {
    if (a.agent_id() == "alice") {
      CHECK(a.legs() == 2);
      CHECK(a.figures().response_45s_rate().denominator() == 1);  // c1 only: c3's leg was transferred out
    }
    if (a.agent_id() == "bob") {
      CHECK(a.legs() == 2);
      CHECK(a.figures().response_45s_rate().numerator() == 1);
      CHECK(a.figures().response_45s_rate().denominator() == 2);
    }
  }
  CHECK(f.hours(7).figures().connection_rate().numerator() == 1);
  CHECK(f.hours(11).figures().connection_rate().denominator() == 1);

  const auto g = figures(server, "2026-08-19");
  CHECK(g.figures().connection_rate().numerator() == 1);
  CHECK(g.figures().connection_rate().denominator() == 1);
  CHECK(g.figures().response_45s_rate().numerator() == 1);
  CHECK(g.figures().online_duration_s() == 2 * 3600);  // midnight to 02:00

  // /metrics counters since start = 8-18 + 8-19.
  const std::string m = server.scrape();
  CHECK(metric(m, "switchboard_requests_total") == 5);
  CHECK(metric(m, "switchboard_sessions_total") == 4);
  CHECK(metric(m, "switchboard_sessions_judged_total") == 4);
  CHECK(metric(m, "switchboard_sessions_responded_45s_total") == 3);
  CHECK(metric(m, "switchboard_first_response_breaches_total") == 1);
  CHECK(metric(m, "switchboard_requests_abandoned_total") == 1);
  CHECK(metric(m, "switchboard_sessions_valid_total") == 4);
  CHECK(metric(m, "switchboard_sessions_rated_total") == 2);
  CHECK(metric(m, "switchboard_sessions_satisfied_total") == 1);
  CHECK(metric(m, "switchboard_messages_left_total") == 1);
  CHECK(metric(m, "switchboard_messages_replied_total") == 1);
  CHECK(metric(m, "switchboard_members_inquiring_total") == 4);
  CHECK(metric(m, "switchboard_members_converted_total") == 2);
  CHECK(metric(m, "switchboard_orders_total") == 3);
  CHECK(metric(m, "switchboard_orders_duplicate_total") == 1);
  CHECK(metric(m, "switchboard_requests_outside_service_total") == 2);
  CHECK(metric(m, "switchboard_shop_online_seconds_total") == 19 * 3600);

  // Prometheus's own lint is clean on a node that has served a day: names, units, help, types.
  const std::string file = "/tmp/sb-promtool-" + std::to_string(::getpid()) + ".txt";
  std::ofstream(file) << m;
  const std::string lint = file + ".out";
  const int rc = std::system(("promtool check metrics < " + file + " > " + lint + " 2>&1").c_str());
  std::ifstream in(lint);
  const std::string said((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  INFO("promtool check metrics: " << said);
  CHECK(rc == 0);
  CHECK(said.empty());
  std::remove(file.c_str());
  std::remove(lint.c_str());
}
