#include <catch2/catch.hpp>

#include "support/core_harness.hpp"

using namespace sb::test;
using BC = v1::ServerMessage::BodyCase;

TEST_CASE("45-second clock: warning to the agent at 30 s, breach to supervisors at 45 s", "[clock]") {
  Harness h;
  h.join(h.supervisor("boss"));
  h.agent_online("a1");
  h.arrive("m1");
  const std::string sid = h.session_of("m1");
  h.take(h.agent("a1"));
  h.advance(29'999);
  CHECK(count_of(h.take(h.agent("a1")), BC::kFirstResponseWarning) == 0);
  h.advance(1);
  auto a = h.take(h.agent("a1"));
  REQUIRE(count_of(a, BC::kFirstResponseWarning) == 1);
  CHECK(last_of(a, BC::kFirstResponseWarning)->first_response_warning().elapsed_ms() == 30'000);
  h.advance(14'999);
  CHECK(count_of(h.take(h.supervisor("boss")), BC::kFirstResponseBreach) == 0);
  h.advance(1);
  auto s = h.take(h.supervisor("boss"));
  REQUIRE(count_of(s, BC::kFirstResponseBreach) == 1);
  CHECK(last_of(s, BC::kFirstResponseBreach)->first_response_breach().session_id() == sid);
  CHECK(h.sink.total("s1", sb::core::Counter::first_response_breaches) == 1);
  h.agent_say("a1", sid);
  h.close(h.agent("a1"), sid);
  const auto f = h.figures_today().figures();
  CHECK(f.response_45s_rate().numerator() == 0);
  CHECK(f.response_45s_rate().denominator() == 1);
  CHECK(f.first_response_breaches() == 1);
}

TEST_CASE("a reply inside 45 s, counting queue time, stops the clock; the automatic greeting does not", "[clock]") {
  Harness h;
  h.join(h.supervisor("boss"));
  h.agent_online("a1");
  h.arrive("m1");
  h.arrive("m2");
  h.arrive("m3");  // queued: window 2
  h.advance(40'000);
  h.close(h.agent("a1"), h.session_of("m1"));  // m3 assigned after 40 s in the queue
  const std::string sid3 = h.session_of("m3");
  REQUIRE(!sid3.empty());
  auto a = h.take(h.agent("a1"));
  // 40 s already gone: m3's warning comes with its assignment.
  int m3_warnings = 0;
  for (const auto& m : a) m3_warnings += m.has_first_response_warning() && m.first_response_warning().session_id() == sid3;
  CHECK(m3_warnings == 1);
  h.advance(4'999);
  h.agent_say("a1", sid3);  // 44.999 s after m3's first message
  h.advance(10'000);
  // m2 never got a reply; m1 was closed at 40 s, before its threshold.
  CHECK(count_of(h.take(h.supervisor("boss")), BC::kFirstResponseBreach) == 1);
  h.close(h.agent("a1"), sid3);
  h.close(h.agent("a1"), h.session_of("m2"));
  const auto f = h.figures_today().figures();
  CHECK(f.response_45s_rate().numerator() == 1);
  CHECK(f.response_45s_rate().denominator() == 3);
  CHECK(f.connection_rate().numerator() == 3);
}

TEST_CASE("a reply exactly at the threshold is late", "[clock]") {
  Harness h;
  h.agent_online("a1");
  h.arrive("m1");
  h.advance(45'000);
  h.agent_say("a1", h.session_of("m1"));
  h.close(h.agent("a1"), h.session_of("m1"));
  CHECK(h.figures_today().figures().response_45s_rate().numerator() == 0);
}

TEST_CASE("transfer: the new leg gets its own clock and the transferred-out leg is left out", "[clock]") {
  Harness h;
  h.agent_online("a1");
  h.arrive("m1");
  const std::string sid = h.session_of("m1");
  h.advance(50'000);  // a1 never answers: breach on leg 1
  h.agent_online("a2");
  h.transfer(h.agent("a1"), sid, "a2", "");
  h.advance(10'000);
  h.agent_say("a2", sid);  // 10 s after the transfer
  h.close(h.agent("a2"), sid);
  const auto fig = h.figures_today();
  CHECK(fig.figures().response_45s_rate().numerator() == 1);
  CHECK(fig.figures().response_45s_rate().denominator() == 1);
  CHECK(fig.figures().first_response_breaches() == 1);
  for (const auto& a : fig.agents()) {
    if (a.agent_id() == "a1") {
      CHECK(a.legs() == 1);
      CHECK(a.figures().response_45s_rate().denominator() == 0);  // its leg was transferred out
    }
    if (a.agent_id() == "a2") CHECK(a.figures().response_45s_rate().numerator() == 1);
  }
}

TEST_CASE("check-back reminder after 3 minutes of customer waiting; long-session alert", "[clock]") {
  Harness h;
  h.join(h.supervisor("boss"));
  h.agent_online("a1");
  h.arrive("m1");
  const std::string sid = h.session_of("m1");
  h.agent_say("a1", sid);
  h.advance(1000);
  h.say("m1", "are you there?");
  h.take(h.agent("a1"));
  h.advance(179'999);
  CHECK(count_of(h.take(h.agent("a1")), BC::kCheckBackReminder) == 0);
  h.advance(1);
  auto a = h.take(h.agent("a1"));
  REQUIRE(count_of(a, BC::kCheckBackReminder) == 1);
  CHECK(last_of(a, BC::kCheckBackReminder)->check_back_reminder().customer_waiting_ms() == 180'000);
  h.agent_say("a1", sid, "checking");
  h.advance(400'000);
  CHECK(count_of(h.take(h.agent("a1")), BC::kCheckBackReminder) == 0);
  h.advance(20 * 60'000);
  CHECK(count_of(h.take(h.supervisor("boss")), BC::kLongSessionAlert) == 1);
}
