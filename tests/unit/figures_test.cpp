#include <catch2/catch.hpp>

#include "support/core_harness.hpp"

using namespace sb::test;
using namespace sb::core;
using BC = v1::ServerMessage::BodyCase;

namespace {

ShopConfig peak_hours_config() {
  ShopConfig c = demo_shop_config();
  std::string err;
  for (int d = 0; d < 7; ++d) c.hours.set_weekday(d, {*parse_hours_span("09:00-23:00", err)});
  c.hours.set_date(*parse_date("2026-08-18"), {*parse_hours_span("07:00-02:00", err)});
  c.targets = {CategoryTarget{"phones", 0.4}};
  return c;
}

v1::Order order(const std::string& id, const std::string& member, const std::string& category = "phones") {
  v1::Order o;
  o.set_order_id(id);
  o.set_shop_id("s1");
  o.set_member_id(member);
  o.set_amount(99.5);
  o.set_category(category);
  return o;
}

}  // namespace

TEST_CASE("outside hours is not a request; no agent online is a request not connected", "[figures]") {
  Harness h(peak_hours_config(), *parse_rfc3339("2026-08-18T06:30:00+08:00"));
  h.join(h.customer("m1"));
  h.enter("m1");
  h.say("m1");
  auto msgs = h.take(h.customer("m1"));
  REQUIRE(last_of(msgs, BC::kUnavailable) != nullptr);
  CHECK(last_of(msgs, BC::kUnavailable)->unavailable().reason() == v1::UNAVAILABLE_REASON_OUTSIDE_HOURS);
  CHECK(last_of(msgs, BC::kUnavailable)->unavailable().hours_today() == "07:00-02:00");
  v1::ClientMessage leave;
  leave.mutable_leave_message()->set_text("please call me back");
  auto ack = h.send(h.customer("m1"), leave);
  REQUIRE(ack.has_ack());
  const std::string left_id = ack.ack().id();

  h.advance_to(*parse_rfc3339("2026-08-18T07:00:00+08:00"));
  h.say("m1");  // open, but nobody online
  msgs = h.take(h.customer("m1"));
  CHECK(last_of(msgs, BC::kUnavailable)->unavailable().reason() == v1::UNAVAILABLE_REASON_NO_AGENT_ONLINE);
  auto f = h.figures_today().figures();
  CHECK(f.connection_rate().denominator() == 1);
  CHECK(f.connection_rate().numerator() == 0);
  CHECK(f.requests_no_agent() == 1);
  CHECK(f.message_reply_rate().denominator() == 1);
  CHECK(f.message_reply_rate().numerator() == 0);

  // The next day an agent answers the left message: the 8-18 figure rises.
  h.advance_to(*parse_rfc3339("2026-08-19T10:00:00+08:00"));
  h.join(h.agent("a1"));
  v1::ClientMessage list;
  list.mutable_list_left_messages();
  auto listed = h.send(h.agent("a1"), list);
  REQUIRE(listed.left_messages().messages_size() == 1);
  v1::ClientMessage reply;
  reply.mutable_reply_left_message()->set_message_id(left_id);
  reply.mutable_reply_left_message()->set_text("we called");
  CHECK(h.send(h.agent("a1"), reply).has_ack());
  CHECK(h.send(h.agent("a1"), reply).error().code() == v1::ERROR_CODE_INVALID_STATE);
  CHECK(count_of(h.take(h.customer("m1")), BC::kLeftMessageReplied) == 1);
  const auto f818 = h.figures(*parse_rfc3339("2026-08-18T12:00:00+08:00")).figures();
  CHECK(f818.message_reply_rate().numerator() == 1);
  CHECK(h.figures_today().figures().message_reply_rate().denominator() == 0);
}

TEST_CASE("a request at 01:30 inside 07:00-02:00 belongs to its natural day, by its hour", "[figures]") {
  Harness h(peak_hours_config(), *parse_rfc3339("2026-08-19T01:30:00+08:00"));
  h.agent_online("a1");
  h.arrive("m1");
  const auto fig = h.figures_today();
  CHECK(fig.date() == "2026-08-19");
  CHECK(fig.figures().connection_rate().numerator() == 1);
  CHECK(fig.hours(1).figures().connection_rate().numerator() == 1);
  h.advance(31 * 60'000);  // 02:01: closed now
  h.arrive("m2");
  CHECK(h.figures_today().figures().connection_rate().denominator() == 1);
}

TEST_CASE("abandons: cancel in the queue and leaving the queue are requests not connected", "[figures]") {
  auto cfg = demo_shop_config();
  cfg.agents[0].window = 1;
  Harness h(cfg);
  h.agent_online("a1");
  h.arrive("m1");
  h.arrive("m2");
  h.arrive("m3");
  v1::ClientMessage cancel;
  cancel.mutable_cancel();
  CHECK(h.send(h.customer("m2"), cancel).has_ack());
  CHECK(h.send(h.customer("m2"), cancel).error().code() == v1::ERROR_CODE_INVALID_STATE);
  h.leave(h.customer("m3"));
  const auto f = h.figures_today().figures();
  CHECK(f.connection_rate().denominator() == 3);
  CHECK(f.connection_rate().numerator() == 1);
  CHECK(f.requests_abandoned() == 2);
  CHECK(h.sink.total("s1", Counter::requests_abandoned) == 2);
}

TEST_CASE("ratings: valid sessions only, the last rating counts, final when the window closes", "[figures]") {
  Harness h;
  h.agent_online("a1");
  h.arrive("m1");
  const std::string s1 = h.session_of("m1");
  CHECK(h.rate("m1", s1, 5).error().code() == v1::ERROR_CODE_INVALID_STATE);  // agent has not written
  h.agent_say("a1", s1);
  CHECK(h.rate("m1", s1, 5).has_ack());
  CHECK(h.rate("m1", s1, 2).has_ack());  // re-rated: 2 counts
  CHECK(h.rate("m2", s1, 5).error().code() == v1::ERROR_CODE_NOT_FOUND);
  h.close(h.agent("a1"), s1);
  h.arrive("m2");
  const std::string s2 = h.session_of("m2");
  h.agent_say("a1", s2);
  h.close(h.customer("m2"), s2);
  h.advance(10 * 60'000);
  CHECK(h.rate("m2", s2, 4).has_ack());  // inside the 30-minute window
  CHECK(h.figures_today().figures().rating_rate().numerator() == 0);  // not final yet
  h.advance(20 * 60'000);
  CHECK(h.rate("m1", s1, 5).error().code() == v1::ERROR_CODE_NOT_FOUND);  // window over
  const auto f = h.figures_today().figures();
  CHECK(f.rating_rate().numerator() == 2);
  CHECK(f.rating_rate().denominator() == 2);
  CHECK(f.satisfaction().numerator() == 1);
  CHECK(f.satisfaction().denominator() == 2);
  CHECK(h.sink.total("s1", Counter::sessions_satisfied) == 1);
  CHECK(h.sink.total("s1", Counter::sessions_rated) == 2);
}

TEST_CASE("orders: counted once per id, converting inquiring members within 24 h", "[figures]") {
  Harness h(peak_hours_config(), *parse_rfc3339("2026-08-18T10:00:00+08:00"));
  h.agent_online("a1");
  h.arrive("m1");
  h.agent_say("a1", h.session_of("m1"));  // valid: m1 inquired
  h.arrive("m2");                          // never valid: agent does not write
  Output out;
  auto r = h.engine.order(h.now, order("o1", "m1"), out);
  CHECK(r.ok);
  CHECK(r.attributed);
  CHECK(h.engine.order(h.now, order("o1", "m1"), out).duplicate);
  CHECK_FALSE(h.engine.order(h.now, order("o2", "m2"), out).attributed);
  CHECK_FALSE(h.engine.order(h.now, order("", "m2"), out).ok);
  CHECK(h.engine.order(h.now, order("", "m2"), out).error.find("order_id") != std::string::npos);
  CHECK_FALSE(h.engine.order(h.now, order("o3", ""), out).ok);
  auto fig = h.figures_today();
  CHECK(fig.figures().inquiry_conversion_rate().numerator() == 1);
  CHECK(fig.figures().inquiry_conversion_rate().denominator() == 1);
  REQUIRE(fig.categories_size() == 1);
  CHECK(fig.categories(0).conversion().value() == 1.0);
  CHECK(fig.categories(0).floor() == Approx(0.44));
  CHECK(fig.categories(0).stretch() == Approx(0.48));
  CHECK(fig.categories(0).stretch_met());
  CHECK(h.sink.total("s1", Counter::orders) == 2);
  CHECK(h.sink.total("s1", Counter::orders_duplicate) == 1);

  // An order more than 24 h after the session started does not convert.
  h.close(h.agent("a1"), h.session_of("m2"));
  h.arrive("m3");
  h.agent_say("a1", h.session_of("m3"));
  h.advance(24 * ms_per_hour + 1);
  CHECK_FALSE(h.engine.order(h.now, order("o4", "m3"), out).attributed);
}

TEST_CASE("an order between session start and validity converts once the session is valid", "[figures]") {
  Harness h;
  h.agent_online("a1");
  h.arrive("m1");
  Output out;
  CHECK_FALSE(h.engine.order(h.now + 0, order("o1", "m1"), out).attributed);
  h.advance(1000);
  h.agent_say("a1", h.session_of("m1"));
  CHECK(h.figures_today().figures().inquiry_conversion_rate().numerator() == 1);
}

TEST_CASE("online duration is the union of agents' online time, clipped to the day", "[figures]") {
  Harness h(demo_shop_config(), *parse_rfc3339("2026-08-18T23:00:00+08:00"));
  h.agent_online("a1");
  h.advance(30 * 60'000);
  h.agent_online("a2");  // overlaps a1
  h.advance(30 * 60'000);  // midnight
  h.status("a1", v1::AGENT_STATUS_PAUSED);  // paused does not count, a2 still online
  h.advance(15 * 60'000);
  h.status("a2", v1::AGENT_STATUS_OFFLINE);
  h.advance(60 * 60'000);
  const auto d818 = h.figures(*parse_rfc3339("2026-08-18T12:00:00+08:00")).figures();
  const auto d819 = h.figures_today().figures();
  CHECK(d818.online_duration_s() == 3600);
  CHECK(d819.online_duration_s() == 900);
  CHECK(h.sink.total("s1", Counter::online_ms) == (3600 + 900) * 1000ULL);
}

TEST_CASE("per-skill, per-hour and per-agent tables add up to the shop figure", "[figures]") {
  Harness h;
  h.agent_online("a2");
  h.agent_online("a3");
  h.arrive("m1", "phones");
  h.arrive("m2", "aircon");
  h.advance(ms_per_hour);
  h.arrive("m3", "aircon");
  for (const char* m : {"m1", "m2", "m3"}) {
    const auto sid = h.session_of(m);
    const auto v = h.shop().view(h.now);
    for (const auto& s : v.sessions())
      if (s.session_id() == sid) {
        h.agent_say(s.agent_id(), sid);
        h.close(h.agent(s.agent_id()), sid);
      }
  }
  const auto fig = h.figures_today();
  std::uint64_t by_skill = 0, by_hour = 0, by_agent = 0;
  for (const auto& s : fig.skills()) by_skill += s.figures().response_45s_rate().denominator();
  for (const auto& x : fig.hours()) by_hour += x.figures().connection_rate().numerator();
  for (const auto& a : fig.agents()) by_agent += a.figures().response_45s_rate().denominator();
  CHECK(fig.figures().response_45s_rate().denominator() == 3);
  CHECK(by_skill == 3);
  CHECK(by_hour == 3);
  CHECK(by_agent == 3);
  CHECK(fig.hours(10).figures().connection_rate().numerator() == 2);
  CHECK(fig.hours(11).figures().connection_rate().numerator() == 1);
}

TEST_CASE("per agent, a valid session and its rating both belong to the agent of the last leg", "[figures]") {
  // Found by a synthetic peak: valid on a1's leg, transferred, rated on a2's: a2's rating rate
  // read 1 rating over 0 valid sessions.
  Harness h;
  h.agent_online("a1");
  h.arrive("m1");
  const std::string sid = h.session_of("m1");
  REQUIRE(h.agent_say("a1", sid).has_ack());  // valid on a1's leg
  h.agent_online("a2");
  REQUIRE(h.transfer(h.agent("a1"), sid, "a2", "").has_ack());
  h.agent_say("a2", sid);
  h.close(h.agent("a2"), sid);
  h.rate("m1", sid, 5);
  h.advance(31 * ms_per_minute);
  const auto fig = h.figures_today();
  CHECK(fig.figures().rating_rate().numerator() == 1);
  CHECK(fig.figures().rating_rate().denominator() == 1);
  for (const auto& a : fig.agents()) {
    INFO(a.agent_id());
    CHECK(a.figures().rating_rate().numerator() <= a.figures().rating_rate().denominator());
    if (a.agent_id() == "a2") {
      CHECK(a.figures().rating_rate().numerator() == 1);
      CHECK(a.figures().rating_rate().denominator() == 1);
    }
    if (a.agent_id() == "a1") CHECK(a.figures().rating_rate().denominator() == 0);
  }
}

TEST_CASE("every remembered set has a bound: order ids, first receivers, inquiries and days are forgotten", "[figures][bounds]") {
  Harness h;
  h.agent_online("a1");
  h.arrive("m1");
  const std::string s1 = h.session_of("m1");
  h.agent_say("a1", s1);  // valid: m1 inquires
  h.close(h.agent("a1"), s1);
  v1::Order o;
  o.set_order_id("o1");
  o.set_shop_id(h.shop_id);
  o.set_member_id("m1");
  sb::core::Output out;
  REQUIRE(h.engine.order(h.now, o, out).ok);
  auto r = h.shop().remembered();
  CHECK(r.order_ids == 1);
  CHECK(r.first_receivers == 1);
  CHECK(r.inquiring_members == 1);
  CHECK(r.purchasing_members == 1);
  // A repeat inside the attribution window is a duplicate.
  CHECK(h.engine.order(h.now + 1000, o, out).duplicate);
  // Past the window (24 h) and the look-back (72 h), the next hour boundary forgets them.
  h.advance(73 * sb::core::ms_per_hour);
  r = h.shop().remembered();
  CHECK(r.order_ids == 0);
  CHECK(r.first_receivers == 0);
  CHECK(r.inquiring_members == 0);
  CHECK(r.purchasing_members == 0);
  CHECK_FALSE(h.engine.order(h.now, o, out).duplicate);  // documented: counted as new live
  // Figures of a day are kept 62 days; the API then answers it empty, other days unchanged.
  const TimeMs first_day = Harness::default_start();
  CHECK(h.figures(first_day).figures().connection_rate().denominator() == 1);
  h.advance(63 * sb::core::ms_per_day);
  CHECK(h.figures(first_day).figures().connection_rate().denominator() == 0);
  CHECK(h.shop().remembered().figure_days <= 63);
}

// Every window is end exclusive: [start, start + length). These pin each edge to the millisecond.
TEST_CASE("window edges: a reply at 44.999 s is within, at 45.000 s late", "[figures][edges]") {
  Harness h;
  h.agent_online("a1");
  h.arrive("m1");
  h.advance(44'999);
  h.agent_say("a1", h.session_of("m1"));
  h.close(h.agent("a1"), h.session_of("m1"));
  h.arrive("m2");
  h.advance(45'000);
  h.agent_say("a1", h.session_of("m2"));
  h.close(h.agent("a1"), h.session_of("m2"));
  const auto f = h.figures_today().figures();
  CHECK(f.response_45s_rate().numerator() == 1);
  CHECK(f.response_45s_rate().denominator() == 2);
  CHECK(f.first_response_breaches() == 1);  // m2's, at exactly 45.000 s
}

TEST_CASE("window edges: a rating at close + 29:59.999 counts, at close + 30:00 is refused", "[figures][edges]") {
  Harness h;
  h.agent_online("a1");
  h.arrive("m1");
  const std::string s1 = h.session_of("m1");
  h.agent_say("a1", s1);
  h.close(h.agent("a1"), s1);
  h.arrive("m2");
  const std::string s2 = h.session_of("m2");
  h.agent_say("a1", s2);
  h.close(h.agent("a1"), s2);
  h.advance(30 * ms_per_minute - 1);
  CHECK(h.rate("m1", s1, 5).has_ack());
  h.advance(1);
  CHECK(h.rate("m2", s2, 5).error().code() == v1::ERROR_CODE_NOT_FOUND);
  const auto f = h.figures_today().figures();
  CHECK(f.rating_rate().numerator() == 1);
  CHECK(f.rating_rate().denominator() == 2);
  CHECK(f.satisfaction().numerator() == 1);
}

TEST_CASE("window edges: an order at start + 23:59:59.999 converts, at start + 24:00 does not", "[figures][edges]") {
  Harness h;
  h.agent_online("a1");
  h.arrive("m1");
  h.agent_say("a1", h.session_of("m1"));  // valid; its start is the assignment, at arrival
  h.close(h.agent("a1"), h.session_of("m1"));
  h.arrive("m2");
  h.agent_say("a1", h.session_of("m2"));
  h.close(h.agent("a1"), h.session_of("m2"));
  const TimeMs start = h.now;
  Output out;
  h.advance_to(start + 24 * ms_per_hour - 1);
  CHECK(h.engine.order(h.now, order("o1", "m1"), out).attributed);
  h.advance(1);
  CHECK_FALSE(h.engine.order(h.now, order("o2", "m2"), out).attributed);
  const auto f = h.figures(start).figures();  // the sessions' day, not today
  CHECK(f.inquiry_conversion_rate().numerator() == 1);
  CHECK(f.inquiry_conversion_rate().denominator() == 2);
}

TEST_CASE("online duration per hour and per agent: each hour its own seconds, each agent its own", "[figures][online]") {
  Harness h(demo_shop_config(), *parse_rfc3339("2026-08-18T10:30:00+08:00"));
  h.agent_online("a1");                       // 10:30
  h.advance(45 * ms_per_minute);              // 11:15
  h.agent_online("a2");
  h.advance(15 * ms_per_minute);              // 11:30
  h.status("a1", v1::AGENT_STATUS_OFFLINE);
  h.advance(10 * ms_per_minute);              // 11:40
  h.status("a2", v1::AGENT_STATUS_PAUSED);    // nobody online from here
  h.advance(40 * ms_per_minute);              // 12:20
  h.agent_online("a2");
  h.advance(5 * ms_per_minute);               // 12:25: still online (the running piece counts)
  const auto fig = h.figures_today();
  CHECK(fig.figures().online_duration_s() == (30 + 40 + 5) * 60);
  CHECK(fig.hours(10).figures().online_duration_s() == 30 * 60);
  CHECK(fig.hours(11).figures().online_duration_s() == 40 * 60);
  CHECK(fig.hours(12).figures().online_duration_s() == 5 * 60);
  std::uint32_t hours_sum = 0;
  for (const auto& hour : fig.hours()) hours_sum += hour.figures().online_duration_s();
  CHECK(hours_sum == fig.figures().online_duration_s());
  std::map<std::string, std::uint32_t> by_agent;
  for (const auto& a : fig.agents()) by_agent[a.agent_id()] = a.figures().online_duration_s();
  CHECK(by_agent["a1"] == 60 * 60);       // 10:30-11:30
  CHECK(by_agent["a2"] == (25 + 5) * 60);  // 11:15-11:40 and 12:20-12:25
}

TEST_CASE("window edges: an order id repeated at 23:59:59.999 is a duplicate, at 24:00 new", "[figures][edges]") {
  Harness h;
  Output out;
  REQUIRE(h.engine.order(h.now, order("o1", "m1"), out).ok);
  const TimeMs first = h.now;
  h.advance_to(first + 24 * ms_per_hour - 1);
  CHECK(h.engine.order(h.now, order("o1", "m1"), out).duplicate);
  h.advance(1);
  CHECK_FALSE(h.engine.order(h.now, order("o1", "m1"), out).duplicate);
}

TEST_CASE("window edges: a first receiver holds at exactly 72 h after it served, not 1 ms later", "[figures][edges]") {
  for (const TimeMs extra : {TimeMs{0}, TimeMs{1}}) {
    INFO("72 h + " << extra << " ms");
    auto cfg = demo_shop_config();
    cfg.agents[0].window = 1;
    cfg.agents[1].window = 1;
    Harness h(cfg);
    h.agent_online("a1");
    h.arrive("m1");  // a1 serves m1 now
    const TimeMs served = h.now;
    REQUIRE(h.shop().view(h.now).sessions(0).agent_id() == "a1");
    h.close(h.customer("m1"), h.session_of("m1"));
    h.advance_to(served + 72 * ms_per_hour + extra - 1);
    h.arrive("x1");  // a1 busy
    h.agent_online("a2");
    h.advance(1);
    h.enter("m1");
    h.say("m1");
    if (extra == 0) {
      REQUIRE(h.shop().queued() == 1);
      CHECK(h.shop().view(h.now).queues(0).waiting(0).reason() == v1::WAIT_REASON_HELD_FOR_FIRST_RECEIVER);
    } else {
      CHECK(h.shop().queued() == 0);  // not held: a2 took it
    }
  }
}

TEST_CASE("a figure's member set: appends in order, inserts out of order once, counts exactly", "[figures]") {
  sb::core::MemberSet set;
  CHECK(set.insert(3));
  CHECK(set.insert(7));
  CHECK(set.insert(5));   // an earlier member, later in the day
  CHECK_FALSE(set.insert(7));
  CHECK_FALSE(set.insert(3));
  CHECK(set.size() == 3);
  CHECK(set.count(5) == 1);
  CHECK(set.count(4) == 0);
  CHECK(std::vector<std::uint32_t>(set.begin(), set.end()) == std::vector<std::uint32_t>{3, 5, 7});  // ascending, as snapshots save
}
