// Deterministic simulation of whole days on virtual time: seeded random customers and agents
// drive the real core with invariants checked after every call. Same seed, same figures.
#include <catch2/catch.hpp>

#include <random>

#include "support/core_harness.hpp"

using namespace sb::test;
using namespace sb::core;

namespace {

struct DayResult {
  std::string figures;  // serialized ShopFigures
  std::uint64_t first_messages_in_hours = 0;
  v1::ShopFigures fig;
};

DayResult simulate_day(std::uint32_t seed) {
  ShopConfig cfg = demo_shop_config();
  std::string err;
  for (int d = 0; d < 7; ++d) cfg.hours.set_weekday(d, {*parse_hours_span("07:00-02:00", err)});
  cfg.skills[0].overflow_skill = "aircon";
  cfg.skills[0].overflow_after_ms = 40'000;
  cfg.strategy = seed % 2 == 0 ? Strategy::longest_idle : Strategy::fewest_active;
  Harness h(cfg, *parse_rfc3339("2026-08-18T06:00:00+08:00"));
  std::mt19937_64 rng(seed);
  auto chance = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  const std::vector<std::string> agents{"a1", "a2", "a3"};
  for (const auto& a : agents) h.join(h.agent(a));
  h.join(h.supervisor("boss"));
  DayResult result;
  std::vector<std::string> present, dropped;  // dropped: gone without a goodbye, may come back
  std::vector<bool> agent_away(agents.size(), false);
  int next_member = 0;
  const TimeMs end = *parse_rfc3339("2026-08-19T03:00:00+08:00");
  while (h.now < end) {
    h.advance(1000 + static_cast<TimeMs>(pick(20'000)));
    const double roll = std::uniform_real_distribution<double>(0, 1)(rng);
    if (roll < 0.50) {
      // Agents and customers work the open sessions.
      const auto view = h.shop().view(h.now);
      if (view.sessions_size() > 0) {
        const auto& s = view.sessions(static_cast<int>(pick(static_cast<std::size_t>(view.sessions_size()))));
        const std::string sid = s.session_id(), agent = s.agent_id(), m = s.member_id();
        const double what = std::uniform_real_distribution<double>(0, 1)(rng);
        if (agent.empty()) h.say(m, "still waiting");
        else if (what < 0.5) h.agent_say(agent, sid);
        else if (what < 0.6) h.say(m, "more");
        else if (what < 0.65) h.transfer(h.agent(agent), sid, "", chance(0.5) ? "phones" : "aircon");
        else if (what < 0.9) h.close(h.agent(agent), sid);
        else {
          h.rate(m, sid, 1 + static_cast<int>(pick(5)));
          h.close(h.customer(m), sid);
        }
      }
    } else if (roll < 0.53) {
      h.status(agents[pick(3)], static_cast<v1::AgentStatus>(1 + pick(3)));
    } else if (roll < 0.545) {
      // An agent's connection drops, or a dropped agent comes back (within the grace or not).
      const std::size_t i = pick(3);
      if (agent_away[i]) h.join(h.agent(agents[i]));
      else h.leave(h.agent(agents[i]), Departure::dropped);
      agent_away[i] = !agent_away[i];
    } else if (roll < 0.80) {
      const std::string m = "m" + std::to_string(next_member++ % 400);  // members return
      const std::string skill = chance(0.5) ? "phones" : "aircon";
      const auto tier = static_cast<v1::Tier>(1 + pick(3));
      h.join(h.customer(m, tier));
      const bool entered = h.enter(m, skill).has_ack();
      const bool open = h.shop().config().hours.is_open(h.now);
      if (h.say(m).has_ack() && entered && open) ++result.first_messages_in_hours;
      present.push_back(m);
    } else if (!present.empty()) {
      const std::size_t i = pick(present.size());
      if (chance(0.3)) {
        v1::Order o;
        o.set_order_id("o" + std::to_string(pick(300)));  // repeats are duplicates
        o.set_shop_id("s1");
        o.set_member_id(present[i]);
        o.set_category(chance(0.5) ? "phones" : "aircon");
        Output out;
        h.engine.order(h.now, o, out);
      } else if (chance(0.3) && !dropped.empty()) {
        const std::size_t j = pick(dropped.size());
        h.join(h.customer(dropped[j]));  // back, maybe within the grace
        present.push_back(dropped[j]);
        dropped.erase(dropped.begin() + static_cast<std::ptrdiff_t>(j));
      } else {
        const bool drop = chance(0.4);
        h.leave(h.customer(present[i]), drop ? Departure::dropped : Departure::goodbye);
        if (drop) dropped.push_back(present[i]);
        present.erase(present.begin() + static_cast<std::ptrdiff_t>(i));
      }
    }
  }
  for (std::size_t i = 0; i < agents.size(); ++i)
    if (agent_away[i]) h.join(h.agent(agents[i]));
  for (const auto& m : present) h.leave(h.customer(m));
  h.advance(ms_per_hour);  // every rating window closes
  result.fig = h.figures(*parse_rfc3339("2026-08-18T12:00:00+08:00"));
  result.figures = result.fig.SerializeAsString();

  // /metrics counters and the figures API come from one source and must agree exactly.
  const auto& f = result.fig.figures();
  const std::uint64_t requests =
      f.connection_rate().denominator() + h.figures(end).figures().connection_rate().denominator();
  CHECK(h.sink.total("s1", Counter::requests) == requests);
  CHECK(requests == result.first_messages_in_hours);  // every first message inside hours, no other
  CHECK(h.sink.total("s1", Counter::sessions_judged) ==
        f.response_45s_rate().denominator() + h.figures(end).figures().response_45s_rate().denominator());
  return result;
}

}  // namespace

TEST_CASE("simulated peak day: accounting holds and the same seed gives the same figures", "[simulation]") {
  for (std::uint32_t seed : {1u, 2u, 3u}) {
    CAPTURE(seed);
    const DayResult a = simulate_day(seed);
    const DayResult b = simulate_day(seed);
    CHECK(a.figures == b.figures);
    const auto& f = a.fig.figures();
    CHECK(f.connection_rate().denominator() > 200);
    // Every request of the day ended connected, abandoned or without an agent.
    CHECK(f.connection_rate().numerator() + f.requests_abandoned() + f.requests_no_agent() ==
          f.connection_rate().denominator());
    // Every session closed by the end and was judged once, on its last leg.
    CHECK(f.response_45s_rate().denominator() == f.connection_rate().numerator());
    CHECK(f.rating_rate().denominator() <= f.connection_rate().numerator());
    CHECK(f.first_response_breaches() > 0);
    CHECK(f.response_45s_rate().numerator() > 0);
  }
  CHECK(simulate_day(1).figures != simulate_day(2).figures);
}
