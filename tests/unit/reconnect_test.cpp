// Reconnect grace on virtual time: a dropped customer keeps its queue place or session, a
// dropped agent its sessions; coming back within the grace picks them up with what was missed,
// staying away ends them at the grace, and a goodbye ends them at once.
#include <catch2/catch.hpp>

#include "support/core_harness.hpp"

using namespace sb::test;
using sb::core::Counter;
using sb::core::Departure;
using BC = v1::ServerMessage::BodyCase;

namespace {

v1::ServerMessage only_resumed(const std::vector<v1::ServerMessage>& msgs) {
  REQUIRE(count_of(msgs, BC::kResumed) == 1);
  return *last_of(msgs, BC::kResumed);
}

// a1 online with its window (2) full, so the next arrivals queue.
void busy_agent(Harness& h) {
  h.agent_online("a1");
  h.arrive("busy1");
  h.arrive("busy2");
}

}  // namespace

TEST_CASE("a queued customer who drops and returns within the grace keeps its place", "[reconnect]") {
  Harness h;
  busy_agent(h);
  h.arrive("m1");
  h.arrive("m2");
  h.take(h.customer("m2"));
  h.leave(h.customer("m1"), Departure::dropped);
  h.advance(59'000);
  // m2 is still second: m1's place is held.
  CHECK(h.shop().queued() == 2);
  const auto w = h.join(h.customer("m1"));
  REQUIRE(w.has_welcome());
  CHECK(w.welcome().resumed());
  const auto r = only_resumed(h.take(h.customer("m1")));
  CHECK(r.resumed().queued().position() == 1);
  CHECK(r.resumed().queued().queue_length() == 2);
  h.advance(10'000);  // past where the grace would have ended
  CHECK(h.shop().queued() == 2);
  CHECK(h.sink.total("s1", Counter::requests_abandoned) == 0);
  // The first free place goes to m1, as before the drop.
  h.close(h.agent("a1"), h.session_of("busy1"));
  CHECK(!h.session_of("m1").empty());
  CHECK(h.session_of("m2").empty());
}

TEST_CASE("a customer in session gets exactly the messages it missed", "[reconnect]") {
  Harness h;
  h.agent_online("a1");
  h.arrive("m1");
  const std::string sid = h.session_of("m1");
  h.agent_say("a1", sid, "one");
  auto before = h.take(h.customer("m1"));
  std::uint64_t seen = 0;
  for (const auto& m : before)
    if (m.has_chat_message()) seen = m.chat_message().seq();
  REQUIRE(seen == 2);  // the customer's question was 1
  h.leave(h.customer("m1"), Departure::dropped);
  h.advance(5'000);
  h.agent_say("a1", sid, "two");
  h.agent_say("a1", sid, "three");
  CHECK(h.take(h.customer("m1")).size() == 2);  // delivered to nobody: the harness keeps them
  v1::Hello hello;
  (*hello.mutable_seen())[sid] = seen;
  REQUIRE(h.join(h.customer("m1"), &hello).welcome().resumed());
  const auto r = only_resumed(h.take(h.customer("m1")));
  REQUIRE(r.resumed().sessions_size() == 1);
  const auto& s = r.resumed().sessions(0);
  CHECK(s.session_id() == sid);
  CHECK(s.agent_id() == "a1");
  REQUIRE(s.history_size() == 2);
  CHECK(s.history(0).text() == "two");
  CHECK(s.history(0).seq() == 3);
  CHECK(s.history(1).text() == "three");
  // Nothing ended: still one open session, no close counted.
  CHECK(h.shop().sessions_open() == 1);
  CHECK(h.sink.total("s1", Counter::sessions_judged) == 0);
  CHECK(h.say("m1", "thanks").has_ack());
}

TEST_CASE("staying away past the grace ends the chat at the grace; a goodbye ends it at once", "[reconnect]") {
  Harness h;
  h.agent_online("a1");
  h.arrive("m1");
  const std::string sid = h.session_of("m1");
  h.leave(h.customer("m1"), Departure::dropped);
  h.advance(59'999);
  CHECK(h.shop().sessions_open() == 1);
  h.advance(1);
  CHECK(h.shop().sessions_open() == 0);
  const auto agent_msgs = h.take(h.agent("a1"));
  const auto* closed = last_of(agent_msgs, BC::kSessionClosed);
  REQUIRE(closed != nullptr);
  CHECK(closed->session_closed().reason() == v1::CLOSE_REASON_CUSTOMER_LEFT);
  // Coming back late is a fresh start.
  REQUIRE(h.join(h.customer("m1")).has_welcome());
  CHECK(count_of(h.take(h.customer("m1")), BC::kResumed) == 0);

  // Queued and gone for good: abandoned when the grace ends, not before.
  h.arrive("busy1");
  h.arrive("busy2");
  REQUIRE(h.shop().sessions_open() == 2);
  h.arrive("m2");
  h.leave(h.customer("m2"), Departure::dropped);
  h.advance(30'000);
  CHECK(h.sink.total("s1", Counter::requests_abandoned) == 0);
  h.advance(30'000);
  CHECK(h.sink.total("s1", Counter::requests_abandoned) == 1);

  h.arrive("m3");
  h.leave(h.customer("m3"), Departure::goodbye);
  CHECK(h.sink.total("s1", Counter::requests_abandoned) == 2);
}

TEST_CASE("a dropped agent keeps its sessions and takes no new ones until it is back", "[reconnect]") {
  Harness h;
  h.agent_online("a1");
  h.arrive("m1");
  const std::string sid = h.session_of("m1");
  h.take(h.agent("a1"));
  h.leave(h.agent("a1"), Departure::dropped);
  h.arrive("m2");  // a1 has room but is away: m2 waits
  CHECK(h.session_of("m2").empty());
  CHECK(h.shop().queued() == 1);
  h.say("m1", "are you there?");
  h.advance(20'000);
  v1::Hello hello;
  (*hello.mutable_seen())[sid] = 1;
  REQUIRE(h.join(h.agent("a1"), &hello).welcome().resumed());
  const auto msgs = h.take(h.agent("a1"));
  const auto r = only_resumed(msgs);
  REQUIRE(r.resumed().sessions_size() >= 1);
  CHECK(r.resumed().sessions(0).session_id() == sid);
  REQUIRE(r.resumed().sessions(0).history_size() == 1);
  CHECK(r.resumed().sessions(0).history(0).text() == "are you there?");
  // Back: m2 is assigned to it now.
  CHECK(!h.session_of("m2").empty());
  CHECK(count_of(msgs, BC::kAssigned) == 1);
}

TEST_CASE("an agent away past the grace goes offline and its sessions go back to the queue", "[reconnect]") {
  Harness h;
  h.agent_online("a1");
  h.agent_online("a2");
  h.status("a2", v1::AGENT_STATUS_PAUSED);
  h.arrive("m1");
  const std::string sid = h.session_of("m1");
  const auto owner = h.shop().view(h.now).sessions(0).agent_id();
  REQUIRE(owner == "a1");
  h.leave(h.agent("a1"), Departure::dropped);
  h.advance(60'000);
  h.status("a2", v1::AGENT_STATUS_ONLINE);
  const auto v = h.shop().view(h.now);
  REQUIRE(v.sessions_size() == 1);
  CHECK(v.sessions(0).agent_id() == "a2");
  bool offline = false;
  for (const auto& a : v.agents())
    if (a.agent_id() == "a1") offline = a.status() == v1::AGENT_STATUS_OFFLINE;
  CHECK(offline);
}

TEST_CASE("a zero grace ends a dropped chat at once", "[reconnect]") {
  auto config = demo_shop_config();
  config.thresholds.reconnect_grace_ms = 0;
  Harness h(config);
  busy_agent(h);
  h.arrive("m1");
  h.leave(h.customer("m1"), Departure::dropped);
  CHECK(h.sink.total("s1", Counter::requests_abandoned) == 1);
}

TEST_CASE("handback to the first-receiver wait: an offline agent's chats wait for it, then go to anyone", "[reconnect]") {
  auto config = demo_shop_config();
  config.handback = sb::core::Handback::first_receiver_wait;  // first_receiver_wait_ms: 20 s
  Harness h(config);
  h.agent_online("a1");
  h.arrive("m1");
  h.arrive("m2");
  h.agent_online("a2");
  h.status("a2", v1::AGENT_STATUS_ONLINE);
  auto owner_of = [&](const std::string& member) {
    const auto view = h.shop().view(h.now);
    for (const auto& s : view.sessions())
      if (s.member_id() == member) return s.agent_id();
    return std::string("?");
  };
  REQUIRE(owner_of("m1") == "a1");
  REQUIRE(owner_of("m2") == "a1");
  h.leave(h.agent("a1"), Departure::goodbye);  // offline at once: both chats handed back
  h.advance(19'000);
  CHECK(owner_of("m1").empty());  // held for a1, though a2 has room
  h.agent_online("a1");
  CHECK(owner_of("m1") == "a1");
  CHECK(owner_of("m2") == "a1");

  h.leave(h.agent("a1"), Departure::goodbye);
  h.advance(20'000);  // the wait ends: anyone may take them
  CHECK(owner_of("m1") == "a2");
  CHECK(owner_of("m2") == "a2");
}
