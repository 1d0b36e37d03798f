#include "capacity_plan.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "forecast_trace.hpp"
#include "sim/parallel_simulation.hpp"

namespace sb::plan {

namespace {

// The line hours of a date as hours after local midnight: the first open hour and the first
// closed one after it (07:00-02:00: 7 and 26).
std::pair<int, int> line_hours(const core::ShopConfig& shop, const std::string& date) {
  const core::TimeMs midnight = shop.hours.zone().day_start(core::parse_date(date).value_or(0));
  auto open_at = [&](int h) { return shop.hours.is_open(midnight + h * core::ms_per_hour + core::ms_per_minute); };
  // The day's own span opens where an open hour follows a closed one; the early hours of a
  // span begun the day before (00:00-02:00 of 07:00-02:00) are not this day's.
  int open = -1;
  for (int h = 0; h < 24 && open < 0; ++h)
    if (open_at(h) && !open_at(h - 1)) open = h;
  if (open < 0) return open_at(0) ? std::pair{0, 24} : std::pair{0, 0};  // open round the clock, or closed
  for (int h = open + 1; h < day_hours; ++h)
    if (!open_at(h)) return {open, h};
  return {open, day_hours};
}

std::vector<double> arrivals_of(const std::string& skill, const DayDemand& demand, const std::map<std::string, SkillBehaviour>& behaviour) {
  std::vector<double> out(day_hours, 0.0);
  if (auto it = demand.find(skill); it != demand.end()) out = it->second;
  for (const auto& [other, b] : behaviour) {
    if (other == skill || b.transfer_to != skill) continue;
    auto it = demand.find(other);
    if (it == demand.end()) continue;
    for (int h = 0; h < day_hours; ++h) out[static_cast<std::size_t>(h)] += it->second[static_cast<std::size_t>(h)] * b.transfer_share;
  }
  return out;
}

void schedule(SkillDay& k, const ShopDay& day, const PlanInput& in) {
  double sessions = 0;
  for (double a : k.arrivals) sessions += a;
  k.shifts = plan_shifts(k.required, day.open_h, day.close_h, sessions, in.rules);
}

SkillDay staff_skill(const std::string& skill, const core::ShopConfig& shop, const ShopHistory& h, const DayDemand& demand,
                     const ShopDay& day, const PlanInput& in) {
  SkillDay k;
  k.skill = skill;
  static const SkillBehaviour none;
  auto b = h.skills.find(skill);
  k.model = skill_model(b == h.skills.end() ? none : b->second, in.target.window,
                        static_cast<double>(shop.thresholds.first_response_threshold_ms) / 1000.0);
  k.arrivals = arrivals_of(skill, demand, h.skills);
  k.required.assign(day_hours, 0);
  k.added.assign(day_hours, 0);
  for (int hr = 0; hr < day_hours; ++hr) {
    const double a = k.arrivals[static_cast<std::size_t>(hr)];
    k.by_c.push_back(required_agents(k.model, a, in.target, true));
    k.by_a.push_back(required_agents(k.model, a, in.target, false));
    const bool line = hr >= day.open_h && hr < day.close_h;
    if (line) k.required[static_cast<std::size_t>(hr)] = std::max<std::uint32_t>(1, k.by_a.back().agents);  // the line is always covered
  }
  schedule(k, day, in);
  return k;
}

// The hour rows the report shows, from the skills' requirements and shifts.
void fill_rows(ShopDay& day, const ShopHistory& h, const DayDemand& demand, std::size_t day_index, const PlanInput& in) {
  day.hours.assign(day_hours, HourRow{});
  for (int hr = 0; hr < day_hours; ++hr) {
    HourRow& row = day.hours[static_cast<std::size_t>(hr)];
    row.hour = hr;
    for (const auto& [skill, hours] : demand) row.forecast += hours[static_cast<std::size_t>(hr)];
    double weight = 0;
    for (const auto& k : day.skills) {
      const auto i = static_cast<std::size_t>(hr);
      const double a = k.arrivals[i];
      row.required_c += k.by_c[i].fractional;
      row.required_a += k.by_a[i].fractional;
      row.agents_c += k.by_c[i].agents;
      row.agents_a += k.by_a[i].agents;
      row.scheduled += k.shifts.scheduled[i];
      row.uncovered += k.shifts.uncovered[i];
      row.added += k.added[i];
      if (a <= 0) continue;
      const Prediction c = predict(k.model, a, k.shifts.scheduled[i], in.target.window, true);
      const Prediction e = predict(k.model, a, k.shifts.scheduled[i], in.target.window, false);
      auto mix = [&](Prediction& into, const Prediction& p) {
        into.response_45s_rate += a * p.response_45s_rate;
        into.abandon += a * p.abandon;
        into.wait_s += a * std::min(p.wait_s, 3600.0);
        into.occupancy += a * p.occupancy;
      };
      mix(row.erlang_c, c);
      mix(row.erlang_a, e);
      weight += a;
    }
    for (Prediction* p : {&row.erlang_c, &row.erlang_a})
      if (weight > 0) *p = Prediction{p->response_45s_rate / weight, p->abandon / weight, p->wait_s / weight, p->occupancy / weight};
    for (const auto& peak : h.peaks) {
      double v = 0;
      if (day_index < peak.by_day.size())
        for (const auto& [skill, hours] : peak.by_day[day_index]) v += hours[static_cast<std::size_t>(hr)];
      row.earlier.push_back(v);
    }
  }
}

}  // namespace

namespace {

// Per shop, day and hour: judged sessions and replies in time per seed, for the pooled rate and the band.
struct SimHour {
  std::uint64_t judged = 0, in_time = 0, requests = 0, sessions = 0;
  double low = 1, high = 0;
  void add(const switchboard::v1::FigureSet& f) {
    const auto& r = f.response_45s_rate();
    judged += r.denominator();
    in_time += r.numerator();
    requests += f.connection_rate().denominator();
    sessions += f.connection_rate().numerator();
    if (r.denominator() > 0) {
      low = std::min(low, r.value());
      high = std::max(high, r.value());
    }
  }
};

using SimTable = std::map<std::string, std::vector<std::vector<SimHour>>>;  // shop -> [day][hour]

std::vector<core::ShopConfig> planned_shops(const PlanInput& in, const std::vector<ShopPlan>& plans, const std::vector<bool>& active) {
  std::vector<core::ShopConfig> out;
  for (std::size_t i = 0; i < in.shops.size(); ++i) {
    if (!active[i]) continue;
    core::ShopConfig c = in.shops[i];
    c.agents = plan_agents(plans[i], in.target.window, in.rules.daily_cap);
    out.push_back(std::move(c));
  }
  return out;
}

// One round: every day of the peak over every seed, on the plan as it stands, for the shops
// whose plan changed (`active`); the others keep their figures (the seeds are the same).
void simulate_round(const PlanInput& in, const std::vector<ShopPlan>& plans, const std::map<std::string, ShopHistory>& history,
                    const std::vector<bool>& active, std::uint32_t round, std::uint64_t& arrivals, SimTable& table, const Progress& progress) {
  const std::vector<core::ShopConfig> configs = planned_shops(in, plans, active);
  for (std::size_t i = 0; i < plans.size(); ++i)
    if (active[i]) table[plans[i].shop_id].assign(in.days.size(), std::vector<SimHour>(day_hours));
  const double steps = static_cast<double>(in.days.size() * in.seeds);
  for (std::size_t d = 0; d < in.days.size(); ++d) {
    std::vector<ForecastShop> shops;
    for (std::size_t i = 0; i < in.shops.size(); ++i)
      if (active[i]) shops.push_back(ForecastShop{&in.shops[i], &history.at(in.shops[i].id), &plans[i].forecast.by_day[d]});
    for (std::uint32_t s = 0; s < in.seeds; ++s) {
      // The same seeds every round: what changes between rounds is the staffing alone.
      const sim::Trace trace = forecast_trace(shops, in.days[d], in.seed * 1'000'003 + d * 1'000 + s);
      if (round == 1 && s == 0 && in.on_forecast_trace) in.on_forecast_trace(trace);
      const sim::SimulationResult r = sim::simulate_in_parallel(configs, trace, in.threads);
      arrivals += r.arrivals;
      for (const auto& b : r.broken) throw std::logic_error("simulation broke an identity: " + b);
      for (const auto& f : r.figures)
        for (const auto& hf : f.hours()) table[f.shop_id()][d][hf.hour()].add(hf.figures());
      for (const auto& f : r.next_day)
        for (const auto& hf : f.hours())
          if (hf.hour() + 24 < static_cast<std::uint32_t>(day_hours)) table[f.shop_id()][d][hf.hour() + 24].add(hf.figures());
      if (progress)
        progress((static_cast<double>(d * in.seeds + s) + 1) / steps,
                 "round " + std::to_string(round) + ": " + in.days[d] + " seed " + std::to_string(s + 1) + "/" + std::to_string(in.seeds));
    }
  }
}

// Writes the round's figures into the rows; adds an agent to the weakest skill of each hour
// that fell short. Returns the hours that fell short.
std::vector<std::string> judge_round(const PlanInput& in, std::vector<ShopPlan>& plans, const SimTable& table, bool add,
                                     std::vector<bool>& changed, std::vector<std::string>& reply_bound) {
  reply_bound.clear();
  std::vector<std::string> short_hours;
  for (std::size_t i = 0; i < plans.size(); ++i) {
    ShopPlan& p = plans[i];
    changed[i] = false;
    for (std::size_t d = 0; d < p.days.size(); ++d) {
      ShopDay& day = p.days[d];
      std::vector<bool> replan(day.skills.size(), false);
      for (int hr = 0; hr < day_hours; ++hr) {
        const SimHour& s = table.at(p.shop_id)[d][static_cast<std::size_t>(hr)];
        HourRow& row = day.hours[static_cast<std::size_t>(hr)];
        row.sim_judged = s.judged;
        row.sim_rate = s.judged ? static_cast<double>(s.in_time) / static_cast<double>(s.judged) : 0;
        row.sim_rate_low = s.judged ? s.low : 0;
        row.sim_rate_high = s.judged ? s.high : 0;
        row.sim_connection = s.requests ? static_cast<double>(s.sessions) / static_cast<double>(s.requests) : 0;
        // Short: under the target by more than two standard errors of the pooled sessions.
        const double t = in.target.response_45s_rate;
        const double tolerance = s.judged ? 2 * std::sqrt(t * (1 - t) / static_cast<double>(s.judged)) : 0;
        if (s.judged < in.judged_min || row.sim_rate >= t - tolerance) continue;
        const auto h = static_cast<std::size_t>(hr);
        if (day.rate_when_added[h] >= 0 && row.sim_rate < day.rate_when_added[h] + 0.002) day.reply_bound[h] = true;
        row.reply_bound = day.reply_bound[h];
        char when[96];
        std::snprintf(when, sizeof when, "%s %s %02d:00 (%.3f)%s", p.shop_id.c_str(), day.date.c_str(), hr % 24, row.sim_rate,
                      row.reply_bound ? ": first replies, not waits: more agents do not help" : "");
        if (row.reply_bound) {
          reply_bound.push_back(when);
          continue;
        }
        short_hours.push_back(when);
        if (!add) continue;
        day.rate_when_added[h] = row.sim_rate;
        // The skill the model finds weakest at what is scheduled gets one more agent.
        std::size_t weakest = day.skills.size();
        double worst = 2;
        for (std::size_t k = 0; k < day.skills.size(); ++k) {
          const auto& sk = day.skills[k];
          const double a = sk.arrivals[static_cast<std::size_t>(hr)];
          if (a <= 0) continue;
          const double r = predict(sk.model, a, sk.shifts.scheduled[static_cast<std::size_t>(hr)], in.target.window, false).response_45s_rate;
          if (r < worst) worst = r, weakest = k;
        }
        if (weakest == day.skills.size()) continue;
        auto& sk = day.skills[weakest];
        sk.added[static_cast<std::size_t>(hr)] += 1;
        sk.required[static_cast<std::size_t>(hr)] = std::max(sk.required[static_cast<std::size_t>(hr)], sk.shifts.scheduled[static_cast<std::size_t>(hr)]) + 1;
        replan[weakest] = true;
      }
      for (std::size_t k = 0; k < day.skills.size(); ++k) {
        if (!replan[k]) continue;
        // Rounds only add: every hour keeps at least the agents it had, so an hour that held
        // cannot lose staff to a re-solved program and the rounds converge.
        auto& sk = day.skills[k];
        for (std::size_t h = 0; h < sk.required.size(); ++h) sk.required[h] = std::max(sk.required[h], sk.shifts.scheduled[h]);
        schedule(sk, day, in);
        changed[i] = true;
      }
    }
  }
  return short_hours;
}

}  // namespace

namespace {

Result<ShopPlan> plan_shop(const core::ShopConfig& shop, const ShopHistory& h, const PlanInput& in) {
  ShopPlan p;
  p.shop_id = shop.id;
  p.behaviour = h.skills;
  auto traffic = in.traffic.find(shop.id);
  if (traffic == in.traffic.end()) return invalid_argument("shop \"" + shop.id + "\" has no traffic = { ... } in the plan input");
  auto target = traffic->second.find(in.peak);
  if (target == traffic->second.end())
    return invalid_argument("shop \"" + shop.id + "\": no traffic target for the coming peak \"" + in.peak + "\"");
  auto f = forecast_shop(h, traffic->second, target->second, in.days.size());
  if (!f) return f.error();
  p.forecast = std::move(*f);
  for (std::size_t d = 0; d < in.days.size(); ++d) {
    ShopDay day;
    day.date = in.days[d];
    std::tie(day.open_h, day.close_h) = line_hours(shop, day.date);
    for (const auto& k : shop.skills) day.skills.push_back(staff_skill(k.name, shop, h, p.forecast.by_day[d], day, in));
    for (const auto& k : day.skills)
      if (!k.shifts.problem.empty()) return Error{switchboard::v1::ERROR_CODE_UNAVAILABLE, "shop \"" + shop.id + "\" " + day.date + ": " + k.shifts.problem};
    fill_rows(day, h, p.forecast.by_day[d], d, in);
    p.days.push_back(std::move(day));
  }
  for (const auto& [category, rate] : h.last_peak_conversion)
    if (shop.find_skill(category) != nullptr) p.targets.push_back(core::CategoryTarget{category, rate.rate()});
  return p;
}

void list_uncovered(ShopPlan& p) {
  p.uncovered.clear();
  for (const auto& day : p.days)
    for (const auto& k : day.skills)
      for (int hr = 0; hr < day_hours; ++hr)
        if (auto n = k.shifts.uncovered[static_cast<std::size_t>(hr)]; n > 0) {
          char buf[128];
          std::snprintf(buf, sizeof buf, "%s %02d:00 %s: %u agent%s short", day.date.c_str(), hr % 24, k.skill.c_str(), n, n == 1 ? "" : "s");
          p.uncovered.push_back(buf);
        }
}

}  // namespace

Result<CapacityPlan> make_plan(const PlanInput& in, const Progress& progress) {
  if (in.days.empty()) return invalid_argument("the coming peak has no days: [target] days = [\"YYYY-MM-DD\", ...]");
  for (const auto& d : in.days)
    if (!core::parse_date(d)) return invalid_argument("[target] days: \"" + d + "\" is not a date YYYY-MM-DD");
  auto history = learn_history(in.history, in.shops, in.target.window);
  if (!history) return history.error();
  CapacityPlan plan;
  plan.peak = in.peak;
  for (const auto& h : in.history) plan.history_peaks.push_back(h.name);
  if (in.history.size() >= 2) {
    auto b = backtest(*history, in.traffic);
    if (!b) return b.error();
    plan.backtest = std::move(*b);
  }
  for (const auto& shop : in.shops) {
    auto p = plan_shop(shop, history->at(shop.id), in);
    if (!p) return p.error();
    plan.shops.push_back(std::move(*p));
  }
  SimTable table;
  std::vector<bool> active(plan.shops.size(), true);
  for (std::uint32_t round = 1; in.seeds > 0 && round <= in.rounds_max; ++round) {
    simulate_round(in, plan.shops, *history, active, round, plan.simulated_arrivals, table, progress);
    plan.rounds = round;
    const bool last = round == in.rounds_max;
    plan.short_hours = judge_round(in, plan.shops, table, !last, active, plan.reply_bound_hours);
    if (plan.short_hours.empty()) {
      plan.holds = true;
      break;
    }
    if (last) break;
    for (std::size_t i = 0; i < plan.shops.size(); ++i)
      for (std::size_t d = 0; d < plan.shops[i].days.size(); ++d) fill_rows(plan.shops[i].days[d], history->at(in.shops[i].id), plan.shops[i].forecast.by_day[d], d, in);
  }
  for (auto& p : plan.shops) list_uncovered(p);
  return plan;
}

std::vector<core::AgentConfig> plan_agents(const ShopPlan& shop, std::uint32_t window, std::uint32_t daily_cap) {
  std::map<std::string, std::vector<core::AgentConfig>> by_skill;
  std::vector<std::string> order;
  for (const auto& day : shop.days) {
    const auto date = core::parse_date(day.date);
    for (const auto& k : day.skills) {
      auto& agents = by_skill[k.skill];
      if (std::find(order.begin(), order.end(), k.skill) == order.end()) order.push_back(k.skill);
      std::size_t head = 0;
      for (const auto& s : k.shifts.shifts)
        for (std::uint32_t n = 0; n < s.agents; ++n, ++head) {
          if (head == agents.size())
            agents.push_back(core::AgentConfig{shop.shop_id + "-" + k.skill + "-" + std::to_string(head + 1), {k.skill}, window,
                                               daily_cap > 0 ? daily_cap : 100'000, {}});
          // A shift starting after midnight is written on the next date, as a person reads it.
          const int next = s.start_h >= 24 ? 1 : 0;
          agents[head].shifts.push_back(core::AgentShift{date ? std::optional<core::DayNumber>(*date + next) : std::nullopt,
                                                         core::HoursSpan{(s.start_h - 24 * next) * 60, (s.start_h + s.length_h - 24 * next) * 60}});
        }
    }
  }
  std::vector<core::AgentConfig> out;
  for (const auto& skill : order)
    for (auto& a : by_skill[skill]) out.push_back(std::move(a));
  return out;
}

}  // namespace sb::plan
