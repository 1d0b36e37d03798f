#include <catch2/catch.hpp>

#include "core/expected_wait.hpp"
#include "support/core_harness.hpp"

using namespace sb::test;
using BC = v1::ServerMessage::BodyCase;

TEST_CASE("customers queue by tier then arrival and hear their position", "[routing]") {
  Harness h;
  h.agent_online("a1");
  // a1 has a window of 2: fill it.
  h.arrive("m1");
  h.arrive("m2");
  REQUIRE(h.session_of("m1") != "");
  REQUIRE(h.session_of("m2") != "");
  h.arrive("m3", "phones", v1::TIER_C);
  h.advance(1000);
  h.arrive("m4", "phones", v1::TIER_A);
  auto m3 = h.take(h.customer("m3"));
  auto m4 = h.take(h.customer("m4"));
  REQUIRE(last_of(m3, BC::kQueued) != nullptr);
  // m4 is tier A: it jumps ahead, m3 is told it moved to position 2.
  CHECK(last_of(m4, BC::kQueued)->queued().position() == 1);
  CHECK(last_of(m3, BC::kQueued)->queued().position() == 2);
  CHECK(last_of(m3, BC::kQueued)->queued().queue_length() == 2);

  h.close(h.agent("a1"), h.session_of("m1"));
  CHECK(h.session_of("m4") != "");
  CHECK(h.session_of("m3") == "");
  auto m3b = h.take(h.customer("m3"));
  CHECK(last_of(m3b, BC::kQueued)->queued().position() == 1);
}

TEST_CASE("greeting comes at once on enter and is a system message, not a request", "[routing]") {
  Harness h;
  h.join(h.customer("m1"));
  auto reply = h.enter("m1");
  CHECK(reply.has_ack());
  auto msgs = h.take(h.customer("m1"));
  REQUIRE(count_of(msgs, BC::kGreeting) == 1);
  CHECK(last_of(msgs, BC::kGreeting)->greeting().text() == "Welcome!");
  CHECK_FALSE(last_of(msgs, BC::kGreeting)->greeting().agents_online());
  CHECK(h.figures_today().figures().connection_rate().denominator() == 0);
}

namespace {

// The demo shop routed by `strategy`, a1 and a2 (both on phones) taking up to 5 chats each.
sb::core::ShopConfig wide_shop(sb::core::Strategy strategy) {
  auto cfg = demo_shop_config();
  cfg.strategy = strategy;
  cfg.agents[0].window = 5;
  cfg.agents[1].window = 5;
  return cfg;
}

// A customer arrives; the agent it went to (of a1, a2) is added to `got`.
void arrive_noting(Harness& h, const std::string& member, std::vector<std::string>& got) {
  h.arrive(member);
  for (const char* a : {"a1", "a2"})
    if (count_of(h.take(h.agent(a)), BC::kAssigned) == 1) got.push_back(a);
}

}  // namespace

TEST_CASE("strategies pick the agent the shop configured", "[routing]") {
  SECTION("longest idle") {
    Harness h;
    h.agent_online("a1");
    h.advance(1000);
    h.agent_online("a2");
    h.advance(1000);
    h.take(h.agent("a1"));
    h.take(h.agent("a2"));
    h.arrive("m1");  // a1 has been idle longest (since it came online)
    CHECK(count_of(h.take(h.agent("a1")), BC::kAssigned) == 1);
    h.advance(1000);
    h.arrive("m2");  // now a2 is idle longer: a1 was just assigned
    CHECK(count_of(h.take(h.agent("a2")), BC::kAssigned) == 1);
    CHECK(count_of(h.take(h.agent("a1")), BC::kAssigned) == 0);
  }
  SECTION("fewest active") {
    Harness h(wide_shop(sb::core::Strategy::fewest_active));
    h.agent_online("a1");
    h.arrive("m1");
    h.arrive("m2");  // a1 has 2
    h.agent_online("a2");
    h.take(h.agent("a2"));
    h.arrive("m3");
    CHECK(count_of(h.take(h.agent("a2")), BC::kAssigned) == 1);
  }
  SECTION("round robin") {
    Harness h(wide_shop(sb::core::Strategy::round_robin));
    h.agent_online("a1");
    h.agent_online("a2");
    h.take(h.agent("a1"));
    h.take(h.agent("a2"));
    std::vector<std::string> got;
    for (int i = 0; i < 4; ++i) arrive_noting(h, "m" + std::to_string(i), got);
    CHECK(got == std::vector<std::string>{"a1", "a2", "a1", "a2"});
  }
  SECTION("round robin skips an agent who cannot take one and goes on from the last one given") {
    Harness h(wide_shop(sb::core::Strategy::round_robin));
    h.agent_online("a1");
    h.take(h.agent("a1"));
    std::vector<std::string> got;
    arrive_noting(h, "m1", got);
    arrive_noting(h, "m2", got);  // a2 offline: a1 again
    h.agent_online("a2");
    h.take(h.agent("a2"));
    arrive_noting(h, "m3", got);  // the turn after a1 is a2's
    arrive_noting(h, "m4", got);
    CHECK(got == std::vector<std::string>{"a1", "a1", "a2", "a1"});
  }
}

TEST_CASE("window, pause and daily cap stop new assignments; the supervisor sees why", "[routing]") {
  auto cfg = demo_shop_config();
  cfg.agents[0].daily_cap = 3;
  Harness h(cfg);
  h.join(h.supervisor("boss"));
  h.agent_online("a1");
  h.arrive("m1");
  h.arrive("m2");
  h.arrive("m3");
  v1::ClientMessage view;
  view.mutable_get_shop_view();
  auto v = h.send(h.supervisor("boss"), view);
  REQUIRE(v.has_shop_view());
  CHECK(v.shop_view().queues(0).waiting(0).reason() == v1::WAIT_REASON_ALL_AT_WINDOW);

  h.status("a1", v1::AGENT_STATUS_PAUSED);
  h.close(h.agent("a1"), h.session_of("m1"));  // paused keeps its sessions, takes no new ones
  CHECK(h.session_of("m3") == "");
  v = h.send(h.supervisor("boss"), view);
  CHECK(v.shop_view().queues(0).waiting(0).reason() == v1::WAIT_REASON_NO_AGENT_WITH_SKILL_ONLINE);

  h.status("a1", v1::AGENT_STATUS_ONLINE);
  CHECK(h.session_of("m3") != "");  // third session today
  h.close(h.agent("a1"), h.session_of("m2"));
  h.arrive("m4");
  CHECK(h.session_of("m4") == "");  // cap of 3 reached
  v = h.send(h.supervisor("boss"), view);
  CHECK(v.shop_view().queues(0).waiting(0).reason() == v1::WAIT_REASON_DAILY_CAP_REACHED);

  v1::ClientMessage win;
  win.mutable_set_window()->set_agent_id("a1");
  win.mutable_set_window()->set_window(0);
  CHECK(h.send(h.supervisor("boss"), win).error().code() == v1::ERROR_CODE_INVALID_ARGUMENT);
}

TEST_CASE("first receiver holds exactly when the agent is online and within look-back", "[routing]") {
  auto cfg = demo_shop_config();
  cfg.agents[0].window = 1;
  cfg.agents[1].window = 1;
  Harness h(cfg);
  h.agent_online("a1");
  h.arrive("m1");  // -> a1
  REQUIRE(h.shop().view(h.now).sessions(0).agent_id() == "a1");
  h.close(h.customer("m1"), h.session_of("m1"));
  h.arrive("x1");  // a1 busy again
  h.agent_online("a2");
  h.enter("m1");
  h.say("m1");
  // a2 has room but m1 is held for a1.
  CHECK(h.shop().view(h.now).queues(0).waiting(0).reason() == v1::WAIT_REASON_HELD_FOR_FIRST_RECEIVER);
  h.advance(19'999);
  CHECK(h.shop().queued() == 1);
  h.advance(1);
  CHECK(h.shop().queued() == 0);  // released to a2

  // Beyond the 3-day look-back nobody is held.
  h.close(h.customer("m1"), h.session_of("m1"));
  h.close(h.customer("x1"), h.session_of("x1"));
  h.advance(3 * sb::core::ms_per_day + 1);
  h.status("a2", v1::AGENT_STATUS_ONLINE);
  h.arrive("y1");
  h.arrive("y2");  // both a1 and a2 are full (window 1)
  h.enter("m1");
  h.say("m1");
  CHECK(h.shop().view(h.now).queues(0).waiting(0).reason() == v1::WAIT_REASON_ALL_AT_WINDOW);
}

TEST_CASE("overflow: after the configured wait a request may go to the fallback skill", "[routing]") {
  auto cfg = demo_shop_config();
  cfg.skills[0].overflow_skill = "aircon";
  cfg.skills[0].overflow_after_ms = 30'000;
  Harness h(cfg);
  h.agent_online("a3");  // aircon only
  h.arrive("m1", "phones");
  CHECK(h.session_of("m1") == "");
  h.advance(29'999);
  CHECK(h.session_of("m1") == "");
  h.advance(1);
  CHECK(h.session_of("m1") != "");
  CHECK(count_of(h.take(h.agent("a3")), BC::kAssigned) == 1);
}

TEST_CASE("transfers to an agent and to a skill; an agent leaving requeues its chats", "[routing]") {
  Harness h;
  h.join(h.supervisor("boss"));
  h.agent_online("a1");
  h.agent_online("a2");
  h.agent_online("a3");
  h.arrive("m1", "phones");
  std::string sid = h.session_of("m1");
  std::string from = h.shop().view(h.now).sessions(0).agent_id();
  // Another agent may not transfer it.
  std::string other = from == "a1" ? "a2" : "a1";
  CHECK(h.transfer(h.agent(other), sid, "a3", "").error().code() == v1::ERROR_CODE_FORBIDDEN);
  CHECK(h.transfer(h.agent(from), sid, "", "").error().code() == v1::ERROR_CODE_INVALID_ARGUMENT);
  CHECK(h.transfer(h.agent(from), sid, "nobody", "").error().code() == v1::ERROR_CODE_NOT_FOUND);
  REQUIRE(h.transfer(h.agent(from), sid, "a3", "").has_ack());
  auto a3 = h.take(h.agent("a3"));
  REQUIRE(last_of(a3, BC::kAssigned) != nullptr);
  CHECK(last_of(a3, BC::kAssigned)->assigned().transfer());
  CHECK(last_of(a3, BC::kAssigned)->assigned().history_size() == 1);
  CHECK(count_of(h.take(h.customer("m1")), BC::kTransferred) == 1);

  // To a skill: waits in the queue, front of its tier.
  REQUIRE(h.transfer(h.agent("a3"), sid, "", "phones").has_ack());
  CHECK(h.shop().view(h.now).sessions(0).legs() == 3);

  // An agent going offline hands its sessions back to the queue.
  h.arrive("m2", "aircon");
  const auto v = h.shop().view(h.now);
  std::string m2_agent;
  for (const auto& s : v.sessions())
    if (s.member_id() == "m2") m2_agent = s.agent_id();
  REQUIRE(!m2_agent.empty());
  h.leave(h.agent(m2_agent));
  const auto v2 = h.shop().view(h.now);
  for (const auto& s : v2.sessions())
    if (s.member_id() == "m2") CHECK(s.agent_id() != m2_agent);
}

TEST_CASE("roles are enforced and errors change nothing", "[routing][errors]") {
  Harness h;
  h.agent_online("a1");
  h.agent_online("a2");
  h.arrive("m1");
  const std::string sid = h.session_of("m1");
  const std::string owner = h.shop().view(h.now).sessions(0).agent_id();
  const std::string other = owner == "a1" ? "a2" : "a1";
  CHECK(h.agent_say(other, sid).error().code() == v1::ERROR_CODE_FORBIDDEN);
  CHECK(h.agent_say(owner, "t-s1-s999").error().code() == v1::ERROR_CODE_NOT_FOUND);
  CHECK(h.agent_say(owner, "garbage").error().code() == v1::ERROR_CODE_NOT_FOUND);
  v1::ClientMessage status;
  status.mutable_set_agent_status()->set_status(v1::AGENT_STATUS_ONLINE);
  CHECK(h.send(h.customer("m1"), status).error().code() == v1::ERROR_CODE_FORBIDDEN);
  status.mutable_set_agent_status()->set_agent_id(owner);
  status.mutable_set_agent_status()->set_status(v1::AGENT_STATUS_OFFLINE);
  CHECK(h.send(h.agent(other), status).error().code() == v1::ERROR_CODE_FORBIDDEN);
  v1::ClientMessage view;
  view.mutable_get_shop_view();
  CHECK(h.send(h.agent(owner), view).error().code() == v1::ERROR_CODE_FORBIDDEN);
  CHECK(h.close(h.customer("m2"), sid).error().code() == v1::ERROR_CODE_NOT_FOUND);
  CHECK(h.rate("m1", sid, 9).error().code() == v1::ERROR_CODE_INVALID_ARGUMENT);
  CHECK(h.say("m1", "").error().code() == v1::ERROR_CODE_INVALID_ARGUMENT);
  CHECK(h.say("m1", std::string(9000, 'x')).error().code() == v1::ERROR_CODE_INVALID_ARGUMENT);
  CHECK(h.enter("m1").error().code() == v1::ERROR_CODE_INVALID_STATE);
  CHECK(h.enter("m9").error().code() == v1::ERROR_CODE_NOT_AUTHENTICATED);  // no hello
  h.join(h.customer("m9"));
  CHECK(h.enter("m9", "nope").error().code() == v1::ERROR_CODE_NOT_FOUND);
  v1::ClientMessage empty;
  CHECK(h.send(h.customer("m1"), empty).error().code() == v1::ERROR_CODE_UNKNOWN_MESSAGE);
  // Nothing moved: the session is still open with its agent.
  const auto v = h.shop().view(h.now);
  REQUIRE(v.sessions_size() == 1);
  CHECK(v.sessions(0).agent_id() == owner);
  CHECK(h.agent_say(owner, sid).has_ack());
}

TEST_CASE("supervisors watch sessions live, move and close them, set windows and statuses", "[routing][supervisor]") {
  Harness h;
  h.join(h.supervisor("boss"));
  h.agent_online("a1");
  h.agent_online("a2");
  h.arrive("m1");
  const std::string sid = h.session_of("m1");
  const std::string owner = h.shop().view(h.now).sessions(0).agent_id();
  h.agent_say(owner, sid, "first answer");
  h.take(h.supervisor("boss"));

  v1::ClientMessage watch;
  watch.mutable_watch_session()->set_session_id(sid);
  REQUIRE(h.send(h.supervisor("boss"), watch).has_ack());
  auto seen = h.take(h.supervisor("boss"));
  CHECK(count_of(seen, BC::kChatMessage) == 2);  // the transcript so far
  h.say("m1", "live line");
  seen = h.take(h.supervisor("boss"));
  REQUIRE(count_of(seen, BC::kChatMessage) == 1);
  CHECK(last_of(seen, BC::kChatMessage)->chat_message().text() == "live line");
  watch.mutable_watch_session()->set_stop(true);
  h.send(h.supervisor("boss"), watch);
  h.say("m1", "unseen");
  CHECK(count_of(h.take(h.supervisor("boss")), BC::kChatMessage) == 0);

  // Move it to the other agent, then close it.
  const std::string other = owner == "a1" ? "a2" : "a1";
  CHECK(h.transfer(h.supervisor("boss"), sid, other, "").has_ack());
  CHECK(h.shop().view(h.now).sessions(0).agent_id() == other);
  CHECK(h.close(h.supervisor("boss"), sid).has_ack());
  CHECK(last_of(h.take(h.customer("m1")), BC::kSessionClosed)->session_closed().reason() == v1::CLOSE_REASON_SUPERVISOR);
  CHECK(h.close(h.supervisor("boss"), sid).error().code() == v1::ERROR_CODE_INVALID_STATE);

  v1::ClientMessage win;
  win.mutable_set_window()->set_agent_id("a1");
  win.mutable_set_window()->set_window(1);
  CHECK(h.send(h.supervisor("boss"), win).has_ack());
  CHECK(h.shop().view(h.now).agents(0).window() == 1);
  v1::ClientMessage st;
  st.mutable_set_agent_status()->set_agent_id("a2");
  st.mutable_set_agent_status()->set_status(v1::AGENT_STATUS_PAUSED);
  CHECK(h.send(h.supervisor("boss"), st).has_ack());
  CHECK(h.shop().view(h.now).agents(1).status() == v1::AGENT_STATUS_PAUSED);
  st.mutable_set_agent_status()->set_agent_id("ghost");
  CHECK(h.send(h.supervisor("boss"), st).error().code() == v1::ERROR_CODE_NOT_FOUND);
  // Supervisors do not type into sessions.
  h.arrive("m2");
  CHECK(h.agent_say("a1", h.session_of("m2")).has_ack());
  v1::ClientMessage text;
  text.mutable_send_text()->set_session_id(h.session_of("m2"));
  text.mutable_send_text()->set_text("boss here");
  CHECK(h.send(h.supervisor("boss"), text).error().code() == v1::ERROR_CODE_FORBIDDEN);
}

TEST_CASE("expected wait: the position times the mean gap between the queue's last assignments") {
  sb::core::ExpectedWait w;
  CHECK(w.seconds("phones", 1) == 0);  // nothing served yet: unknown
  w.assigned_from_queue("phones", 10'000);
  CHECK(w.seconds("phones", 1) == 0);  // one assignment gives no gap
  w.assigned_from_queue("phones", 40'000);
  w.assigned_from_queue("phones", 70'000);
  CHECK(w.seconds("phones", 1) == 30);
  CHECK(w.seconds("phones", 3) == 90);
  CHECK(w.seconds("aircon", 1) == 0);  // per skill
  for (int i = 0; i < 30; ++i) w.assigned_from_queue("phones", 100'000 + i * 10'000);  // the queue speeds up
  CHECK(w.seconds("phones", 2) == 20);  // only the last 20 count
}
