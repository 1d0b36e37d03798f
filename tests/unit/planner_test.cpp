// The capacity planner's arithmetic (docs/planning.md): Erlang C against its reference vector,
// Erlang A against an independent birth-death computation, the shift program against hand-solved
// optima, and the simulator on M/M/c and M/M/c+M traffic against both models.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "plan/erlang_a.hpp"
#include "plan/shift_plan.hpp"
#include "plan/staffing.hpp"
#include "sim/erlang_c.hpp"
#include "sim/trace_player.hpp"

using namespace sb;
namespace v1 = switchboard::v1;

TEST_CASE("Erlang C: the reference vector A = 10, N = 14, t = 20 s, AHT = 180 s") {
  // 100 calls per 30 min at 180 s: 10 Erlang (the CRAN ErlangC package's example).
  const double lambda = 100.0 / 1800.0;
  CHECK(sim::erlang_c_wait_probability(14, 10.0) == Approx(0.17413).margin(0.00001));
  CHECK(sim::erlang_c_service_level(14, lambda, 180, 20) == Approx(0.88835).margin(0.00001));
  CHECK(sim::erlang_c_mean_wait_s(14, lambda, 180) == Approx(7.836).margin(0.001));
  // Erlang A without patience is Erlang C.
  const plan::ErlangA a(14, lambda, 180, 0);
  CHECK(a.wait_probability() == Approx(0.17413).margin(0.00001));
  CHECK(a.served_within(20) == Approx(0.88835).margin(0.00001));
  CHECK(a.abandon_probability() == 0);
}

namespace {

// M/M/c+M by its birth-death chain, summed state by state from an empty system: the independent
// check of the closed forms.
struct BirthDeath {
  double wait = 0, abandon = 0, mean_wait_s = 0;
  std::vector<double> pi;
};

BirthDeath birth_death(int c, double lambda, double service_s, double patience_s) {
  const double mu = 1 / service_s, theta = 1 / patience_s;
  const int n_max = c + 20'000;
  std::vector<double> p(static_cast<std::size_t>(n_max) + 1);
  p[0] = 1;
  double total = 1;
  for (int n = 1; n <= n_max; ++n) {
    const double death = std::min(n, c) * mu + std::max(n - c, 0) * theta;
    p[static_cast<std::size_t>(n)] = p[static_cast<std::size_t>(n - 1)] * lambda / death;
    total += p[static_cast<std::size_t>(n)];
  }
  BirthDeath b;
  double queue = 0;
  for (int n = 0; n <= n_max; ++n) {
    const double pn = p[static_cast<std::size_t>(n)] / total;
    b.pi.push_back(pn);
    if (n >= c) b.wait += pn;
    queue += std::max(n - c, 0) * pn;
  }
  b.abandon = theta * queue / lambda;
  b.mean_wait_s = queue / lambda;
  return b;
}

// P(served within t | j ahead): the sum of j + 1 exponential phases (rates c mu + (i + 1) theta)
// by its partial-fraction form, times the chance of outlasting each phase.
double served_within_given(int j, double cmu, double theta, double t) {
  double prob_served = 1, cdf = 1;
  std::vector<double> rates;
  for (int i = 0; i <= j; ++i) {
    rates.push_back(cmu + (i + 1) * theta);
    prob_served *= (cmu + i * theta) / (cmu + (i + 1) * theta);
  }
  for (std::size_t i = 0; i < rates.size(); ++i) {
    double w = 1;
    for (std::size_t k = 0; k < rates.size(); ++k)
      if (k != i) w *= rates[k] / (rates[k] - rates[i]);
    cdf -= w * std::exp(-rates[i] * t);
  }
  return prob_served * cdf;
}

}  // namespace

TEST_CASE("Erlang A agrees with a birth-death computation on a table of cases") {
  struct Case {
    int c;
    double lambda, service_s, patience_s;
  };
  const Case cases[] = {{1, 0.5, 1, 2},       {5, 4.0, 1, 1},        {14, 100.0 / 1800, 180, 300}, {30, 0.16, 180, 120},
                        {10, 0.2, 60, 30},    {50, 0.9, 60, 600},    {3, 0.1, 60, 10},             {20, 0.5, 60, 45},
                        {8, 0.2, 30, 1000},   {100, 2.0, 45, 90}};
  for (const auto& k : cases) {
    INFO("c=" << k.c << " lambda=" << k.lambda << " service=" << k.service_s << " patience=" << k.patience_s);
    const plan::ErlangA a(k.c, k.lambda, k.service_s, k.patience_s);
    const BirthDeath b = birth_death(k.c, k.lambda, k.service_s, k.patience_s);
    CHECK(a.wait_probability() == Approx(b.wait).margin(1e-9));
    CHECK(a.abandon_probability() == Approx(b.abandon).margin(1e-9));
    CHECK(a.mean_wait_s() == Approx(b.mean_wait_s).margin(1e-6));
  }
}

TEST_CASE("Erlang A's wait distribution agrees with the phase sums where the queue stays short") {
  struct Case {
    int c;
    double lambda, service_s, patience_s;
  };
  for (const Case k : {Case{10, 0.05, 100, 60}, Case{4, 0.03, 100, 30}, Case{20, 0.15, 120, 90}}) {
    const BirthDeath b = birth_death(k.c, k.lambda, k.service_s, k.patience_s);
    const plan::ErlangA a(k.c, k.lambda, k.service_s, k.patience_s);
    for (double t : {5.0, 20.0, 45.0}) {
      double served = 0;
      for (int n = 0; n < k.c; ++n) served += b.pi[static_cast<std::size_t>(n)];
      for (int j = 0; j < 14; ++j)  // the tail beyond is below 1e-9 in these light loads
        served += b.pi[static_cast<std::size_t>(k.c + j)] * served_within_given(j, k.c / k.service_s, 1 / k.patience_s, t);
      INFO("c=" << k.c << " t=" << t);
      CHECK(a.served_within(t) == Approx(served).margin(2e-6));
    }
  }
}

TEST_CASE("Staffing: the fewest agents for the target, fractional below the rounded") {
  plan::SkillModel m;
  m.handle_s = 180;
  m.reply_share = {1.0, 0.0};  // every first reply within a second of the assignment
  m.threshold_s = 20.5;        // the wait must be under 20 s (the reply takes half a second)
  plan::StaffingTarget t;
  t.response_45s_rate = 0.88;
  t.window = 1;
  const auto r = plan::required_agents(m, 200, t, true);  // 200 per hour at 180 s: 10 Erlang
  CHECK(r.agents == 14);                                   // 13 agents give 0.84, 14 give 0.888
  CHECK(r.fractional > 13);
  CHECK(r.fractional < 14);
  CHECK(r.at.response_45s_rate == Approx(0.88835).margin(0.0005));
  t.window = 2;  // two chats each: 14 slots on 7 agents
  CHECK(plan::required_agents(m, 200, t, true).agents == 7);
}

TEST_CASE("Shifts: the integer program's optimum on hand-solved cases") {
  plan::ShiftRules rules;
  rules.lengths_h = {2};
  SECTION("two peaks two hours apart need two pairs of shifts") {
    // hours 0..3 need 2,1,1,2; two-hour shifts start at 0, 1 or 2: x0 >= 2, x2 >= 2 is optimal.
    const auto p = plan::plan_shifts({2, 1, 1, 2}, 0, 4, 0, rules);
    CHECK(p.cost == 8);
    CHECK(p.scheduled == std::vector<std::uint32_t>{2, 2, 2, 2});
    CHECK(p.uncovered == std::vector<std::uint32_t>{0, 0, 0, 0});
  }
  SECTION("a middle hour covered by two overlapping shifts") {
    const auto p = plan::plan_shifts({1, 2, 1}, 0, 3, 0, rules);  // x0 = x1 = 1
    CHECK(p.cost == 4);
    CHECK(p.scheduled == std::vector<std::uint32_t>{1, 2, 1});
  }
  SECTION("a long shift is cheaper than many short ones only when it fits") {
    rules.lengths_h = {4, 8};
    rules.cost_per_agent_hour = 1;
    const auto p = plan::plan_shifts({1, 1, 1, 1, 1, 1, 1, 1}, 0, 8, 0, rules);
    CHECK(p.cost == 8);  // one 8-h shift, or two 4-h ones: 8 agent-hours either way
    std::uint32_t heads = 0;
    for (const auto& s : p.shifts) heads += s.agents;
    CHECK(heads <= 2);
  }
  SECTION("the daily cap asks for more heads than the hours do") {
    rules.lengths_h = {4};
    rules.daily_cap = 100;
    const auto p = plan::plan_shifts({1, 1, 1, 1}, 0, 4, 250, rules);  // 250 sessions at 100 each: 3 agents
    CHECK(p.agents_for_cap == 3);
    CHECK(p.cost == 12);
  }
  SECTION("too few agents allowed: the hours short are reported, not an infeasible program") {
    rules.lengths_h = {2};
    rules.agents_max = 2;
    const auto p = plan::plan_shifts({3, 3, 1, 1}, 0, 4, 0, rules);
    CHECK(p.problem.empty());
    CHECK(p.uncovered[0] + p.uncovered[1] >= 2);  // two heads cannot give three at once
  }
  SECTION("line hours shorter than every shift get one shift of the whole span") {
    rules.lengths_h = {8};
    const auto p = plan::plan_shifts({0, 1, 1, 1, 0}, 1, 4, 0, rules);
    CHECK(p.cost == 3);
    CHECK(p.scheduled == std::vector<std::uint32_t>{0, 1, 1, 1, 0});
  }
}

namespace {

// A day of M/M/c(+M) traffic: `agents` agents of window 1 online all day, Poisson arrivals,
// each answered the moment it is assigned (so the 45-s rate is the wait's) and closed after an
// exponential handle time; with patience > 0, exponential patience.
struct QueueDay {
  sim::Trace trace;
  core::ShopConfig shop;
};

QueueDay queue_day(int agents, double lambda, double service_s, double patience_s, std::uint64_t seed) {
  QueueDay d;
  d.shop.id = "q";
  d.shop.default_skill = "s";
  d.shop.skills = {core::SkillConfig{"s", "", 60'000}};
  d.shop.limits.queue_requests_max = 100'000;
  std::mt19937_64 rng(seed);
  const core::TimeMs start = core::local_midnight_utc(*core::parse_date("2026-08-18"), 0);
  for (int i = 0; i < agents; ++i) {
    d.shop.agents.push_back(core::AgentConfig{"a" + std::to_string(i), {"s"}, 1, 1'000'000, {}});
    v1::TraceRecord r;
    auto* st = r.mutable_agent_status();
    st->set_at_ms(start + 1000);
    st->set_shop_id("q");
    st->set_agent_id("a" + std::to_string(i));
    st->set_status(v1::AGENT_STATUS_ONLINE);
    d.trace.records.push_back(r);
  }
  std::exponential_distribution<double> gap(lambda), handle(1 / service_s), patience(patience_s > 0 ? 1 / patience_s : 1);
  double t = 60;
  for (int n = 0; t < 22 * 3600.0; ++n) {
    v1::TraceRecord r;
    auto* a = r.mutable_arrival();
    a->set_at_ms(start + static_cast<core::TimeMs>(t * 1000));
    a->set_shop_id("q");
    a->set_member_id("m" + std::to_string(n));
    a->set_skill("s");
    a->set_tier(v1::TIER_C);
    a->set_text("hi");
    if (patience_s > 0) a->set_patience_ms(std::max<core::TimeMs>(1, static_cast<core::TimeMs>(patience(rng) * 1000)));
    auto* leg = a->add_legs();
    auto* reply = leg->add_steps();
    reply->set_after_ms(0);
    reply->set_kind(v1::TraceStep::KIND_AGENT_TEXT);
    reply->set_text("hello");
    auto* close = leg->add_steps();
    close->set_after_ms(std::max<core::TimeMs>(1, static_cast<core::TimeMs>(handle(rng) * 1000)));
    close->set_kind(v1::TraceStep::KIND_AGENT_CLOSE);
    d.trace.records.push_back(r);
    t += gap(rng);
  }
  d.trace.header.set_format("switchboard.trace.v1");
  d.trace.header.set_day("2026-08-18");
  d.trace.header.add_shop_ids("q");
  d.trace.header.set_start_ms(start);
  d.trace.header.set_end_ms(start + 24 * core::ms_per_hour - 1);
  return d;
}

}  // namespace

TEST_CASE("Simulated M/M/c traffic is within a point of Erlang C") {
  // 10 agents, 8 Erlang (AHT 180 s): Erlang C gives P(wait < 45 s) = 1 - C e^{-0.5}.
  const double lambda = 8.0 / 180;
  const QueueDay d = queue_day(10, lambda, 180, 0, 7);
  const auto r = sim::simulate({d.shop}, d.trace);
  REQUIRE(r.figures.size() == 1);
  const auto& f = r.figures[0].figures();
  const double predicted = sim::erlang_c_service_level(10, lambda, 180, 45);
  INFO("simulated " << f.response_45s_rate().value() << " of " << f.response_45s_rate().denominator() << ", Erlang C " << predicted);
  CHECK(f.response_45s_rate().denominator() > 3000);
  CHECK(std::abs(f.response_45s_rate().value() - predicted) < 0.01);
}

TEST_CASE("Simulated M/M/c+M traffic is within a point of Erlang A") {
  // 10 agents, 9.5 Erlang offered, patience 120 s: a queue that customers leave. Near
  // saturation the queue's ups and downs last long, so several seeded days are pooled.
  const double lambda = 9.5 / 180;
  std::uint64_t judged = 0, in_time = 0, requests = 0, abandoned = 0;
  for (std::uint64_t seed = 11; seed < 17; ++seed) {
    const QueueDay d = queue_day(10, lambda, 180, 120, seed);
    const auto r = sim::simulate({d.shop}, d.trace);
    REQUIRE(r.figures.size() == 1);
    const auto& f = r.figures[0].figures();
    judged += f.response_45s_rate().denominator();
    in_time += f.response_45s_rate().numerator();
    requests += f.connection_rate().denominator();
    abandoned += f.requests_abandoned();
  }
  const plan::ErlangA a(10, lambda, 180, 120);
  const double rate = a.served_within(45) / (1 - a.abandon_probability());
  const double sim_rate = static_cast<double>(in_time) / judged, sim_abandoned = static_cast<double>(abandoned) / requests;
  INFO("simulated rate " << sim_rate << " abandoned " << sim_abandoned << " of " << requests << "; Erlang A " << rate << " and "
                         << a.abandon_probability());
  CHECK(std::abs(sim_rate - rate) < 0.01);
  CHECK(std::abs(sim_abandoned - a.abandon_probability()) < 0.01);
}
