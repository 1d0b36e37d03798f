// Traces on virtual time: a synthetic day simulates to its own figures, always the same for the
// same seed, survives both file formats; fewer agents lower the 45-second rate by what Erlang C
// predicts; broken trace files are refused with the line and the problem.
#include <catch2/catch.hpp>

#include <google/protobuf/util/message_differencer.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>

#include "app/synthetic_trace.hpp"
#include "app/trace_io.hpp"
#include "sim/erlang_c.hpp"
#include "sim/trace_player.hpp"

using namespace sb;
namespace v1 = switchboard::v1;
using google::protobuf::util::MessageDifferencer;

namespace {

app::SyntheticOptions small_day(std::uint64_t seed) {
  app::SyntheticOptions o;
  o.shops = 3;
  o.sessions = 2500;
  o.seed = seed;
  return o;
}

bool same_figures(const std::vector<v1::ShopFigures>& a, const std::vector<v1::ShopFigures>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!MessageDifferencer::Equals(a[i], b[i])) return false;
  return true;
}

// A simulation's figures as a trace keeps them: each shop's day, then the day after midnight.
std::vector<v1::ShopFigures> all_days(const sim::SimulationResult& r) {
  std::vector<v1::ShopFigures> out = r.figures;
  out.insert(out.end(), r.next_day.begin(), r.next_day.end());
  return out;
}

std::string temp_path(const char* name) { return std::string("/tmp/sb-trace-test-") + name; }

}  // namespace

TEST_CASE("a synthetic day simulates to its own figures, the same for the same seed", "[trace]") {
  const auto day = app::generate_day(small_day(7));
  REQUIRE(day.trace.figures.size() == 6);  // 8-18 and, for the chats after midnight, 8-19
  const auto& f = day.trace.figures[0].figures();
  // The 07:00-02:00 day's last two hours are the next date's hours 0 and 1 (docs/figures.md).
  const auto& after = day.trace.figures[3];
  CHECK(after.date() == "2026-08-19");
  std::uint32_t after_requests = 0;
  for (const auto& h : after.hours()) {
    if (h.hour() >= 2) CHECK(h.figures().connection_rate().denominator() == 0);
    after_requests += h.figures().connection_rate().denominator();
  }
  CHECK(after_requests > 0);
  CHECK(after_requests == after.figures().connection_rate().denominator());
  CHECK(f.connection_rate().denominator() > 500);
  CHECK(f.first_response_breaches() > 0);          // some replies come late
  CHECK(f.response_45s_rate().value() > 0.7);
  CHECK(f.rating_rate().numerator() > 0);
  CHECK(f.inquiry_conversion_rate().numerator() > 0);
  CHECK(f.message_reply_rate().denominator() > 0);  // messages left at night
  const auto again = sim::simulate(day.shops, day.trace);
  CHECK(again.arrivals > 2500);
  CHECK(same_figures(all_days(again), day.trace.figures));
  CHECK(same_figures(app::generate_day(small_day(7)).trace.figures, day.trace.figures));
  CHECK(!same_figures(app::generate_day(small_day(8)).trace.figures, day.trace.figures));
}

TEST_CASE("a day restarted from a snapshot every few hundred calls keeps its figures", "[trace][snapshot]") {
  const auto day = app::generate_day(small_day(11));
  sim::SimulationOptions o;
  o.snapshot_every_calls = 700;
  const auto run = sim::simulate(day.shops, day.trace, o);
  CHECK(run.snapshots > 5);
  CHECK(run.broken.empty());
  CHECK(same_figures(all_days(run), day.trace.figures));
}

TEST_CASE("the generator keeps replies, waits and patiences clear of their thresholds for live replay", "[trace]") {
  app::SyntheticOptions o;
  o.shops = 4;
  o.sessions = 6000;
  o.seed = 21;
  o.only_hour = 20;
  o.staffing = 0.7;  // short-staffed: queues form, so waits and replies meet the 45-s mark
  sim::SimulationOptions margin{3'000};

  o.replay_margin_ms = 0;  // as drawn
  const auto raw = app::generate_day(o);
  const auto raw_run = sim::simulate(raw.shops, raw.trace, margin);
  REQUIRE(!raw_run.near_misses.empty());
  for (const auto& n : raw_run.near_misses) {
    CHECK(n.off_ms > -3'000);
    CHECK(n.off_ms < 3'000);
    REQUIRE(n.record < raw.trace.records.size());
    CHECK(raw.trace.records[n.record].has_arrival());
  }

  o.replay_margin_ms = 3'000;  // the default: moved clear
  const auto clear = app::generate_day(o);
  CHECK(clear.nudged >= raw_run.near_misses.size() / 2);
  CHECK(clear.near_misses_left == 0);
  const auto clear_run = sim::simulate(clear.shops, clear.trace, margin);
  CHECK(clear_run.near_misses.empty());
  CHECK(same_figures(clear_run.figures, clear.trace.figures));  // its own figures are of the moved day
  // Moves keep each moment on its side of the threshold: the day's figures barely move.
  const auto& a = raw.trace.figures[0].figures().response_45s_rate();
  const auto& b = clear.trace.figures[0].figures().response_45s_rate();
  CHECK(a.denominator() == b.denominator());
  CHECK(std::abs(static_cast<int>(a.numerator()) - static_cast<int>(b.numerator())) <= static_cast<int>(a.denominator() / 100 + 2));
}

TEST_CASE("traces round-trip through JSON Lines and binary files", "[trace]") {
  const auto day = app::generate_day(small_day(3));
  for (const char* name : {"rt.jsonl", "rt.pb"}) {
    CAPTURE(name);
    const std::string path = temp_path(name);
    REQUIRE(app::write_trace(path, day.trace).empty());
    sim::Trace back;
    REQUIRE(app::read_trace(path, back).empty());
    CHECK(back.records.size() == day.trace.records.size());
    CHECK(MessageDifferencer::Equals(back.header, day.trace.header));
    CHECK(same_figures(back.figures, day.trace.figures));
    CHECK(same_figures(all_days(sim::simulate(day.shops, back)), day.trace.figures));
    std::remove(path.c_str());
  }
}

TEST_CASE("a broken trace file is refused with its line and the problem", "[trace][errors]") {
  const std::string path = temp_path("bad.jsonl");
  sim::Trace t;
  auto write = [&](const std::string& text) { std::ofstream(path, std::ios::trunc) << text; };
  write(R"({"arrival":{"atMs":"1"}})" "\n");
  CHECK(app::read_trace(path, t) == path + ":1: the first record must be the header");
  write(R"({"header":{"format":"switchboard.trace.v9"}})" "\n");
  CHECK(app::read_trace(path, t).find("expected \"switchboard.trace.v1\"") != std::string::npos);
  write(R"({"header":{"format":"switchboard.trace.v1"}})" "\n" R"({"arrival":{"atMs":"soon"}})" "\n");
  CHECK(app::read_trace(path, t).rfind(path + ":2: ", 0) == 0);
  write("");
  CHECK(app::read_trace(path, t).find("no header") != std::string::npos);
  CHECK(app::read_trace(temp_path("missing.jsonl"), t).find("cannot open") != std::string::npos);
  std::remove(path.c_str());
}

TEST_CASE("Erlang C: known values", "[trace][erlang]") {
  // Textbook: 2 servers, 1 Erlang: P(wait) = 1/3.
  CHECK(sim::erlang_c_wait_probability(2, 1.0) == Approx(1.0 / 3.0));
  CHECK(sim::erlang_c_wait_probability(1, 0.5) == Approx(0.5));  // M/M/1: rho
  CHECK(sim::erlang_c_wait_probability(3, 3.0) == 1.0);
  CHECK(sim::erlang_c_service_level(2, 1.0, 1.0, 0.0) == Approx(2.0 / 3.0));
}

TEST_CASE("fewer agents lower the 45-second rate as much as Erlang C predicts", "[trace][erlang]") {
  // One skill, agents with a window of one (each a server), Poisson arrivals, exponential
  // session lengths (the close), the agent's first reply 5 s after assignment: an M/M/c queue
  // in which a chat is answered within 45 s exactly when it waited at most 40 s.
  constexpr double arrivals_per_s = 0.1, reply_s = 5, service_s = 60;
  constexpr int hours = 12;
  core::ShopConfig shop;
  shop.id = "q";
  shop.default_skill = "s";
  shop.skills = {core::SkillConfig{"s", "", 60'000}};
  for (int i = 0; i < 8; ++i) shop.agents.push_back(core::AgentConfig{"a" + std::to_string(i), {"s"}, 1, 100'000, {}});
  const auto day = *core::parse_date("2026-08-18");
  const core::TimeMs start = core::local_midnight_utc(day, 0) + 8 * core::ms_per_hour;
  auto make_trace = [&](std::uint64_t seed) {
    sim::Trace trace;
    trace.header.set_day("2026-08-18");
    trace.header.add_shop_ids("q");
    trace.header.set_start_ms(start);
    for (const auto& a : shop.agents) {
      v1::TraceRecord r;
      r.mutable_agent_status()->set_at_ms(start);
      r.mutable_agent_status()->set_shop_id("q");
      r.mutable_agent_status()->set_agent_id(a.id);
      r.mutable_agent_status()->set_status(v1::AGENT_STATUS_ONLINE);
      trace.records.push_back(r);
    }
    std::mt19937_64 rng(seed);
    std::exponential_distribution<double> gap(arrivals_per_s), length(1.0 / service_s);
    double t = 60;
    for (int n = 0; t < hours * 3600.0; ++n, t += gap(rng)) {
      v1::TraceRecord r;
      auto* a = r.mutable_arrival();
      a->set_at_ms(start + static_cast<core::TimeMs>(t * 1000));
      a->set_shop_id("q");
      a->set_member_id("m" + std::to_string(n));
      auto* leg = a->add_legs();
      auto* reply = leg->add_steps();
      reply->set_after_ms(static_cast<std::int64_t>(reply_s * 1000));
      reply->set_kind(v1::TraceStep::KIND_AGENT_TEXT);
      auto* close = leg->add_steps();
      close->set_after_ms(std::max<std::int64_t>(reply->after_ms() + 1, static_cast<std::int64_t>(length(rng) * 1000)));
      close->set_kind(v1::TraceStep::KIND_AGENT_CLOSE);
      trace.records.push_back(r);
    }
    trace.header.set_end_ms(start + (hours + 2) * core::ms_per_hour);
    return trace;
  };
  // Averaged over independent days: one day's queue is too autocorrelated to judge alone.
  std::vector<sim::Trace> days;
  for (std::uint64_t seed = 1; seed <= 8; ++seed) days.push_back(make_trace(seed));
  auto simulated_rate = [&](int agents) {
    core::ShopConfig plan = shop;
    plan.agents.resize(static_cast<std::size_t>(agents));
    std::uint64_t answered = 0, judged = 0;
    for (const auto& d : days) {
      const auto r = sim::simulate({plan}, d);
      REQUIRE(r.figures.size() == 1);
      answered += r.figures[0].figures().response_45s_rate().numerator();
      judged += r.figures[0].figures().response_45s_rate().denominator();
    }
    return static_cast<double>(answered) / static_cast<double>(judged);
  };
  const double sim8 = simulated_rate(8), sim7 = simulated_rate(7);
  const double erl8 = sim::erlang_c_service_level(8, arrivals_per_s, service_s, 45 - reply_s);
  const double erl7 = sim::erlang_c_service_level(7, arrivals_per_s, service_s, 45 - reply_s);
  INFO("8 agents: simulated " << sim8 << ", Erlang C " << erl8 << "; 7 agents: simulated " << sim7 << ", Erlang C " << erl7);
  CHECK(sim7 < sim8);
  CHECK(sim8 == Approx(erl8).margin(0.03));
  CHECK(sim7 == Approx(erl7).margin(0.05));
  CHECK((sim8 - sim7) == Approx(erl8 - erl7).margin(0.05));
}
