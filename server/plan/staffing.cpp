#include "staffing.hpp"

#include <algorithm>
#include <cmath>

#include "erlang_a.hpp"

namespace sb::plan {

SkillModel skill_model(const SkillBehaviour& b, std::uint32_t window, double threshold_s) {
  SkillModel m;
  m.threshold_s = threshold_s;
  // The handle time seen at a full window when enough legs show it: at a peak agents are full.
  const std::size_t k = window - 1;
  if (k < b.legs_by_chats.size() && b.legs_by_chats[k] >= 30) m.handle_s = b.handle_s_by_chats[k];
  else if (b.legs > 0) m.handle_s = b.handle_s;
  m.handle_s = std::max(m.handle_s, 1.0);
  m.patience_s = b.patience_s;
  m.reply_share = b.reply_share;
  if (m.reply_share.empty()) m.reply_share = {1.0};
  return m;
}

namespace {

// The 45-s rate among the served: the wait plus the first reply (bin midpoints) under the threshold.
double rate_of(const ErlangA& q, const SkillModel& m, double threshold_s) {
  const double served = 1.0 - q.abandon_probability();
  if (served <= 0) return 0;
  double in_time = 0;
  for (std::size_t s = 0; s < m.reply_share.size(); ++s) {
    const double left = threshold_s - (static_cast<double>(s) + 0.5);
    if (left <= 0 || s + 1 == m.reply_share.size()) continue;  // the last bin: no reply in time
    in_time += m.reply_share[s] * q.served_within(left);
  }
  return std::clamp(in_time / served, 0.0, 1.0);
}

struct SlotFigures {
  double rate, abandon;
};

SlotFigures at_slots(const SkillModel& m, double lambda, int slots, double threshold_s, bool erlang_c) {
  ErlangA q(slots, lambda, m.handle_s, erlang_c ? 0 : m.patience_s, threshold_s);
  return {rate_of(q, m, threshold_s), q.abandon_probability()};
}

}  // namespace

Prediction predict(const SkillModel& m, double arrivals_per_hour, std::uint32_t agents, std::uint32_t window, bool erlang_c) {
  const double lambda = arrivals_per_hour / 3600.0;
  const int slots = static_cast<int>(agents * window);
  ErlangA q(slots, lambda, m.handle_s, erlang_c ? 0 : m.patience_s, m.threshold_s);
  Prediction p;
  p.response_45s_rate = rate_of(q, m, m.threshold_s);
  p.abandon = q.abandon_probability();
  p.wait_s = q.mean_wait_s();
  p.occupancy = slots == 0 ? 0 : erlang_c ? std::min(1.0, lambda * m.handle_s / slots) : q.occupancy();
  return p;
}

Requirement required_agents(const SkillModel& m, double arrivals_per_hour, const StaffingTarget& t, bool erlang_c) {
  Requirement r;
  if (arrivals_per_hour <= 0) return r;
  const double lambda = arrivals_per_hour / 3600.0, load = lambda * m.handle_s;
  // The best any staffing can do: every reply that comes in time, with no wait at all.
  double ceiling = 0;
  for (std::size_t s = 0; s + 1 < m.reply_share.size() && s + 0.5 < m.threshold_s; ++s) ceiling += m.reply_share[s];
  double target = t.response_45s_rate;
  if (target > ceiling - 0.002) {
    r.rate_reachable = false;
    target = ceiling - 0.005;
  }
  auto meets = [&](const SlotFigures& f) { return f.rate >= target && (erlang_c || f.abandon <= t.abandon_max); };
  int c = std::max(1, static_cast<int>(std::floor(load * 0.7)));
  SlotFigures f = at_slots(m, lambda, c, m.threshold_s, erlang_c);
  while (c > 1 && meets(f)) f = at_slots(m, lambda, --c, m.threshold_s, erlang_c);
  while (!meets(f)) f = at_slots(m, lambda, ++c, m.threshold_s, erlang_c);
  // c is the fewest slots; interpolate on the binding target between c - 1 and c.
  const SlotFigures below = c > 1 ? at_slots(m, lambda, c - 1, m.threshold_s, erlang_c) : SlotFigures{0, 1};
  auto part = [](double lo, double hi, double want) { return hi > lo ? std::clamp((want - lo) / (hi - lo), 0.0, 1.0) : 1.0; };
  double frac = part(below.rate, f.rate, target);
  if (!erlang_c) frac = std::max(frac, part(-below.abandon, -f.abandon, -t.abandon_max));
  r.fractional = (c - 1 + frac) / t.window;
  r.agents = static_cast<std::uint32_t>((c + t.window - 1) / t.window);
  r.at = predict(m, arrivals_per_hour, r.agents, t.window, erlang_c);
  return r;
}

}  // namespace sb::plan
