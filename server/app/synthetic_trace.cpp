#include "synthetic_trace.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <sstream>

#include "config.hpp"
#include "sim/parallel_simulation.hpp"

namespace sb::app {

namespace v1 = switchboard::v1;
using core::TimeMs;

const std::vector<double>& peak_day_curve() {
  // Relative chat arrivals per local hour on an 818-style day: a morning ramp, the afternoon
  // plateau, the 20:00 launch peak, open until 02:00.
  static const std::vector<double> curve{3, 2, 0, 0, 0, 0, 0, 2, 4, 6, 9, 8, 6, 7, 8, 8, 7, 6, 6, 7, 10, 9, 7, 4};
  return curve;
}

namespace {

constexpr std::uint32_t window = 3;
constexpr double handle_s = 330;  // mean session length the scripts below produce, for sizing

struct Gen {
  std::mt19937_64 rng;
  double uniform(double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng); }
  bool chance(double p) { return uniform(0, 1) < p; }
  std::int64_t ms(double a_s, double b_s) { return static_cast<std::int64_t>(1000 * uniform(a_s, b_s)); }
  std::size_t pick(const std::vector<double>& weights) {
    return std::discrete_distribution<std::size_t>(weights.begin(), weights.end())(rng);
  }
};

// What one chat does once assigned. First replies keep clear of the 30-s warning and the 45-s
// threshold by several seconds, so live replays with network jitter judge them the same.
void script(Gen& g, v1::TraceArrival& a, const std::string& transfer_to) {
  auto* leg = a.add_legs();
  std::int64_t t = 0;
  const double roll = g.uniform(0, 1);
  t += roll < 0.80 ? g.ms(3, 22) : roll < 0.93 ? g.ms(33, 40) : g.ms(52, 110);  // first reply (some breach)
  auto step = [&](v1::TraceLeg* l, std::int64_t at, v1::TraceStep::Kind k, const char* text) {
    auto* s = l->add_steps();
    s->set_after_ms(at);
    s->set_kind(k);
    s->set_text(text);
  };
  step(leg, t, v1::TraceStep::KIND_AGENT_TEXT, "Hello! Let me check that for you.");
  if (!transfer_to.empty() && g.chance(0.03)) {
    auto* s = leg->add_steps();
    s->set_after_ms(t + g.ms(10, 40));
    s->set_kind(v1::TraceStep::KIND_TRANSFER);
    s->set_to_skill(transfer_to);
    leg = a.add_legs();
    t = g.ms(4, 20);
    step(leg, t, v1::TraceStep::KIND_AGENT_TEXT, "I take over from my colleague.");
  }
  const int exchanges = 1 + static_cast<int>(g.uniform(0, 5));
  for (int i = 0; i < exchanges; ++i) {
    t += g.ms(8, 60);
    step(leg, t, v1::TraceStep::KIND_CUSTOMER_TEXT, "And the delivery time?");
    t += g.ms(5, 50);
    step(leg, t, v1::TraceStep::KIND_AGENT_TEXT, "Within two days.");
  }
  t += g.ms(10, 60);
  step(leg, t, g.chance(0.7) ? v1::TraceStep::KIND_AGENT_CLOSE : v1::TraceStep::KIND_CUSTOMER_CLOSE, "");
  if (g.chance(0.6)) {
    a.set_rating(g.chance(0.8) ? 5 : static_cast<int>(1 + g.uniform(0, 4)));
    a.set_rating_after_ms(g.ms(5, 300));
  }
}

}  // namespace

namespace {

// Moves one moment of an arrival clear of its threshold, keeping which side it was on (a reply
// in time stays in time, a breach stays a breach), so the day keeps the figures it was drawn with.
void nudge(v1::TraceArrival& a, const sim::NearMiss& n, core::DurationMs margin) {
  using K = sim::NearMiss::Kind;
  const core::DurationMs clear = margin + 500;
  switch (n.kind) {
    case K::reply: {
      if (static_cast<int>(n.leg) >= a.legs_size()) return;
      auto* steps = a.mutable_legs(static_cast<int>(n.leg))->mutable_steps();
      int first = -1;
      for (int i = 0; i < steps->size(); ++i)
        if (steps->Get(i).kind() == v1::TraceStep::KIND_AGENT_TEXT &&
            (first < 0 || steps->Get(i).after_ms() < steps->Get(first).after_ms()))
          first = i;
      if (first < 0) return;
      const core::DurationMs at = steps->Get(first).after_ms();
      if (n.off_ms < 0 && at - (clear + n.off_ms) >= 1'000) {
        steps->Mutable(first)->set_after_ms(at - (clear + n.off_ms));  // earlier: still in time
        return;
      }
      const core::DurationMs later = clear - n.off_ms;
      for (auto& st : *steps)  // later, with everything after it in the leg
        if (st.after_ms() >= at) st.set_after_ms(st.after_ms() + later);
      return;
    }
    case K::wait:
      // A shorter wait stays under the threshold, a longer one over it; the agent who frees
      // up is the same, so the arrival moves.
      a.set_at_ms(a.at_ms() + (n.off_ms < 0 ? clear + n.off_ms : -(clear - n.off_ms)));
      return;
    case K::patience:
      if (n.off_ms < 0) a.set_patience_ms(a.patience_ms() + clear + n.off_ms);  // assigned: waits longer
      else if (a.patience_ms() > clear + 1'000) a.set_patience_ms(a.patience_ms() - (clear - n.off_ms));  // gave up: sooner
      return;
  }
}

// Plays the day on its own staffing until no reply, wait or patience lands within the replay
// margin of a threshold; returns the day's own figures.
template <typename Resort>
std::vector<v1::ShopFigures> settle(SyntheticDay& out, const SyntheticOptions& o, Resort resort) {
  auto with_next_day = [](sim::SimulationResult& r) {
    for (auto& f : r.next_day) r.figures.push_back(std::move(f));
    return std::move(r.figures);
  };
  if (o.replay_margin_ms <= 0) {
    sim::SimulationResult r = sim::simulate_in_parallel(out.shops, out.trace);
    return with_next_day(r);
  }
  const sim::SimulationOptions so{o.replay_margin_ms};
  for (int round = 0;; ++round) {
    sim::SimulationResult r = sim::simulate_in_parallel(out.shops, out.trace, 0, so);
    if (r.near_misses.empty() || round == o.nudge_rounds_max) {
      out.near_misses_left = r.near_misses.size();
      return with_next_day(r);
    }
    std::set<std::pair<std::uint32_t, int>> done;  // one move per arrival and kind per round
    for (const auto& n : r.near_misses) {
      if (!done.insert({n.record, static_cast<int>(n.kind)}).second) continue;
      nudge(*out.trace.records[n.record].mutable_arrival(), n, o.replay_margin_ms);
      ++out.nudged;
    }
    resort();  // arrivals may have moved: records stay in time order
  }
}

}  // namespace

namespace {

// The day's hours and how the chats spread over them and over the shops.
struct DayShape {
  std::vector<int> hours;  // of the local day, 07 .. 25 (01:00 next day): index h means midnight + h hours
  int minutes = 60;        // per hour traced
  std::vector<double> hour_weight, shop_weight;
  double hour_total = 0, shop_total = 0;
};

DayShape day_shape(const SyntheticOptions& o) {
  DayShape d;
  std::vector<double> curve = o.curve.size() == 24 ? o.curve : peak_day_curve();
  if (o.only_hour >= 0) {
    curve.assign(24, 0);
    curve[static_cast<std::size_t>(o.only_hour % 24)] = 1;
  }
  if (o.only_hour >= 0) d.hours.push_back(o.only_hour < 7 ? o.only_hour + 24 : o.only_hour);
  else
    for (int h = 7; h < 26; ++h) d.hours.push_back(h);
  d.minutes = o.only_hour >= 0 ? std::clamp(o.minutes, 5, 60) : 60;
  for (int h : d.hours) d.hour_weight.push_back(curve[static_cast<std::size_t>(h % 24)]);
  for (std::uint32_t s = 0; s < o.shops; ++s) d.shop_weight.push_back(1.0 / std::pow(s + 1.0, 0.8));
  for (double w : d.hour_weight) d.hour_total += w;
  for (double w : d.shop_weight) d.shop_total += w;
  return d;
}

void status_record(std::vector<v1::TraceRecord>& records, TimeMs at, const std::string& shop, const std::string& agent,
                   v1::AgentStatus status) {
  v1::TraceRecord r;
  auto* st = r.mutable_agent_status();
  st->set_at_ms(at);
  st->set_shop_id(shop);
  st->set_agent_id(agent);
  st->set_status(status);
  records.push_back(std::move(r));
}

// A shop sized for its load: agents per hour from the offered sessions x 1.25 headroom over
// windows of 3, and their shifts (the first need[h] online each hour, the rest paused).
core::ShopConfig make_shop(const SyntheticOptions& o, std::uint32_t s, const DayShape& d, TimeMs midnight,
                           std::vector<v1::TraceRecord>& records) {
  std::string err;
  const auto open_span = core::parse_hours_span("07:00-02:00", err);
  core::ShopConfig c;
  c.id = "shop" + std::to_string(s + 1);
  c.default_skill = "presale";
  c.skills = {core::SkillConfig{"presale", "", 60'000}, core::SkillConfig{"aftersale", "", 60'000}};
  c.hours.set_zone(core::TimeZone::fixed(o.utc_offset_minutes));
  for (int day = 0; day < 7; ++day) c.hours.set_weekday(day, {*open_span});
  c.targets = {core::CategoryTarget{"presale", 0.2}, core::CategoryTarget{"aftersale", 0.1}};
  std::vector<std::uint32_t> need;
  std::uint32_t most = 1;
  for (std::size_t i = 0; i < d.hours.size(); ++i) {
    const double per_hour = static_cast<double>(o.sessions) * (d.shop_weight[s] / d.shop_total) * (d.hour_weight[i] / d.hour_total) *
                            (60.0 / d.minutes);
    const double load = per_hour * handle_s / 3600.0;
    std::uint32_t n = per_hour > 0 ? static_cast<std::uint32_t>(std::ceil(o.staffing * (load * 1.25 + 1) / window)) : 0;
    if (per_hour > 0) n = std::max<std::uint32_t>(n, 1);
    need.push_back(n);
    most = std::max(most, n);
  }
  for (std::uint32_t a = 0; a < most; ++a) {
    const bool both = a % 4 == 0;  // a quarter of the agents also take after-sales
    c.agents.push_back(core::AgentConfig{c.id + "-a" + std::to_string(a + 1),
                                         a % 4 == 3 ? std::vector<std::string>{"aftersale"}
                                         : both     ? std::vector<std::string>{"presale", "aftersale"}
                                                    : std::vector<std::string>{"presale"},
                                         window, 400, {}});
  }
  std::vector<v1::AgentStatus> state(most, v1::AGENT_STATUS_OFFLINE);
  for (std::size_t i = 0; i < d.hours.size(); ++i) {
    const TimeMs at = midnight + d.hours[i] * core::ms_per_hour;
    for (std::uint32_t a = 0; a < most; ++a) {
      const auto want = a < need[i] ? v1::AGENT_STATUS_ONLINE : state[a] == v1::AGENT_STATUS_OFFLINE ? v1::AGENT_STATUS_OFFLINE
                                                                                                    : v1::AGENT_STATUS_PAUSED;
      if (want == state[a]) continue;
      state[a] = want;
      // A millisecond apart within a group of agents with the same skills (interchangeable:
      // their order cannot change a figure), and seconds apart between groups, specialists
      // first: a network's jitter cannot reorder who has been idle longest across groups.
      const TimeMs group = want != v1::AGENT_STATUS_ONLINE ? 0 : a % 4 == 0 ? 10'000 : a % 4 == 3 ? 5'000 : 0;
      status_record(records, at + group + a, c.id, c.agents[a].id, want);
    }
  }
  // Everyone off after the last chats have ended: 03:00, or half an hour after a short peak.
  const TimeMs shifts_end = o.only_hour >= 0 ? midnight + d.hours.front() * core::ms_per_hour + (d.minutes + 30) * core::ms_per_minute
                                             : midnight + 27 * core::ms_per_hour;
  for (std::uint32_t a = 0; a < most; ++a)
    if (state[a] != v1::AGENT_STATUS_OFFLINE) status_record(records, shifts_end + a, c.id, c.agents[a].id, v1::AGENT_STATUS_OFFLINE);
  return c;
}

// An order from the member who just chatted (a quarter of them), sometimes delivered twice.
void add_order(Gen& g, const SyntheticOptions& o, const v1::TraceArrival& a, std::uint64_t& order_n,
               std::vector<v1::TraceRecord>& records) {
  v1::TraceRecord orec;
  auto* ord = orec.mutable_order();
  // Within the peak when only a peak is traced, so the replay need not wait hours for it.
  ord->set_at_ms(a.at_ms() + (o.only_hour >= 0 ? g.ms(120, 1800) : g.ms(600, 5 * 3600)));
  auto* order = ord->mutable_order();
  order->set_order_id("o" + std::to_string(o.seed) + "-" + std::to_string(++order_n));
  order->set_shop_id(a.shop_id());
  order->set_member_id(a.member_id());
  order->set_amount(std::round(g.uniform(20, 3000)));
  order->set_category(a.skill());
  if (g.chance(0.03)) {  // the order system delivers it twice
    v1::TraceRecord dup = orec;
    dup.mutable_order()->set_at_ms(ord->at_ms() + g.ms(60, 600));
    records.push_back(std::move(dup));
  }
  records.push_back(std::move(orec));
}

// Now and then a message left at night, answered the next morning.
void add_night_message(Gen& g, const core::ShopConfig& shop, std::size_t s, std::uint64_t i, TimeMs midnight,
                       std::vector<v1::TraceRecord>& records) {
  v1::TraceRecord night;
  auto* n = night.mutable_arrival();
  const std::string who = "n" + std::to_string(s + 1) + "-" + std::to_string(i + 1);
  n->set_at_ms(midnight + 3 * core::ms_per_hour + g.ms(60, 3 * 3600));
  n->set_shop_id(shop.id);
  n->set_member_id(who);
  n->set_skill("aftersale");
  n->set_tier(v1::TIER_C);
  n->set_text("Anyone there?");
  n->set_left_message("Please call me back about my order.");
  records.push_back(std::move(night));
  v1::TraceRecord reply;
  auto* rep = reply.mutable_left_reply();
  rep->set_at_ms(midnight + 9 * core::ms_per_hour + g.ms(60, 3 * 3600));
  rep->set_shop_id(shop.id);
  rep->set_member_id(who);
  rep->set_agent_id(shop.agents.front().id);
  rep->set_text("Called you back.");
  if (g.chance(0.8)) records.push_back(std::move(reply));
}

using Seen = std::vector<std::vector<std::pair<std::string, TimeMs>>>;  // per shop: members seen today, for returns

void add_arrival(Gen& g, const SyntheticOptions& o, const DayShape& d, TimeMs midnight, std::uint64_t i, SyntheticDay& out,
                 Seen& members, std::uint64_t& order_n) {
  const std::size_t s = g.pick(d.shop_weight);
  const std::size_t hi = g.pick(d.hour_weight);
  // Clear of the hour edges and of the close at 02:00 by a minute.
  const TimeMs at = midnight + d.hours[hi] * core::ms_per_hour + g.ms(60, d.minutes * 60.0 - 60);
  const auto& shop = out.shops[s];
  v1::TraceRecord r;
  auto* a = r.mutable_arrival();
  a->set_at_ms(at);
  a->set_shop_id(shop.id);
  std::string member;
  auto& seen = members[s];
  if (!seen.empty() && g.chance(0.08)) {
    auto& [m, last] = seen[static_cast<std::size_t>(g.uniform(0, static_cast<double>(seen.size())))];
    if (at - last > 2 * core::ms_per_hour) {
      member = m;
      last = at;
    }
  }
  if (member.empty()) {
    member = "u" + std::to_string(s + 1) + "-" + std::to_string(i + 1);
    seen.emplace_back(member, at);
  }
  a->set_member_id(member);
  const bool after = g.chance(0.3);
  a->set_skill(after ? "aftersale" : "presale");
  const double t = g.uniform(0, 1);
  a->set_tier(t < 0.1 ? v1::TIER_A : t < 0.4 ? v1::TIER_B : v1::TIER_C);
  a->set_text(after ? "My order has not arrived." : "Is this phone waterproof?");
  if (g.chance(0.6)) a->set_patience_ms(g.ms(90, 600));
  script(g, *a, after ? "" : "aftersale");
  if (g.chance(0.25)) add_order(g, o, *a, order_n, out.trace.records);
  out.trace.records.push_back(std::move(r));
  if (o.only_hour < 0 && g.chance(0.01)) add_night_message(g, shop, s, i, midnight, out.trace.records);
}

void fill_header(const SyntheticOptions& o, const DayShape& d, TimeMs midnight, SyntheticDay& out) {
  auto& h = out.trace.header;
  h.set_format("switchboard.trace.v1");
  h.set_day(o.day);
  std::ostringstream src;
  src << "synthetic seed=" << o.seed << " shops=" << o.shops << " sessions=" << o.sessions << " staffing=" << o.staffing;
  if (o.only_hour >= 0) src << " hour=" << o.only_hour << " minutes=" << d.minutes;
  h.set_source(src.str());
  for (const auto& s : out.shops) h.add_shop_ids(s.id);
  // From the first shift to when every chat, rating window and left message has played out.
  h.set_start_ms(o.only_hour >= 0 ? midnight + d.hours.front() * core::ms_per_hour : midnight);
  h.set_end_ms(o.only_hour >= 0 ? midnight + d.hours.front() * core::ms_per_hour + (d.minutes + 45) * core::ms_per_minute
                                : midnight + 28 * core::ms_per_hour);
}

}  // namespace

SyntheticDay generate_day(const SyntheticOptions& o) {
  SyntheticDay out;
  Gen g{std::mt19937_64(o.seed)};
  const auto day = core::parse_date(o.day).value_or(0);
  const TimeMs midnight = core::local_midnight_utc(day, o.utc_offset_minutes);
  const DayShape d = day_shape(o);
  for (std::uint32_t s = 0; s < o.shops; ++s) out.shops.push_back(make_shop(o, s, d, midnight, out.trace.records));
  Seen members(o.shops);
  std::uint64_t order_n = 0;
  for (std::uint64_t i = 0; i < o.sessions; ++i) add_arrival(g, o, d, midnight, i, out, members, order_n);
  auto by_time = [&] {
    std::stable_sort(out.trace.records.begin(), out.trace.records.end(),
                     [](const v1::TraceRecord& x, const v1::TraceRecord& y) { return sim::record_time(x) < sim::record_time(y); });
  };
  by_time();
  fill_header(o, d, midnight, out);
  out.trace.figures = settle(out, o, by_time);
  out.config_toml = shops_to_toml(out.shops, "synthetic-trace-signing-key-0123456789-" + std::to_string(o.seed));
  return out;
}

std::string shops_to_toml(const std::vector<core::ShopConfig>& shops, const std::string& token_secret) {
  std::ostringstream t;
  t << "# Written by switchboard generate-trace: the staffing plan the trace was made for.\n"
    << "[server]\nthreads = 2\nmanual_clock_allowed = true\n\n" << auth_toml("plan", token_secret);
  for (const auto& s : shops) {
    t << "\n[[shops]]\nid = \"" << s.id << "\"\ntime_zone = \"" << s.hours.zone().name()
      << "\"\ndefault_skill = \"" << s.default_skill << "\"\nstrategy = \""
      << (s.strategy == core::Strategy::longest_idle    ? "longest_idle"
          : s.strategy == core::Strategy::fewest_active ? "fewest_active"
                                                        : "round_robin")
      << "\"\n[shops.hours]\nevery_day = [\"07:00-02:00\"]\n";
    for (const auto& k : s.skills) t << "[[shops.skills]]\nname = \"" << k.name << "\"\n";
    for (const auto& a : s.agents) {
      t << "[[shops.agents]]\nid = \"" << a.id << "\"\nskills = [";
      for (std::size_t i = 0; i < a.skills.size(); ++i) t << (i ? ", " : "") << '"' << a.skills[i] << '"';
      t << "]\nwindow = " << a.window << "\ndaily_cap = " << a.daily_cap << "\n";
    }
    for (const auto& c : s.targets)
      t << "[[shops.targets]]\ncategory = \"" << c.category << "\"\nlast_peak_rate = " << c.last_peak_rate << "\n";
  }
  return t.str();
}

}  // namespace sb::app
