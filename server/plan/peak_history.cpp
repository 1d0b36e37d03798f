#include "peak_history.hpp"

#include <algorithm>
#include <set>

#include "sim/trace_player.hpp"

namespace sb::plan {

namespace v1 = switchboard::v1;

namespace {

// The requests of one trace day per shop, skill and hour (arrivals inside the shop's hours).
void count_demand(const sim::Trace& t, const std::map<std::string, const core::ShopConfig*>& shops,
                  std::map<std::string, ShopHistory>& out, std::size_t peak, std::size_t day) {
  const auto date = core::parse_date(t.header.day()).value_or(0);
  for (const auto& r : t.records) {
    if (!r.has_arrival()) continue;
    const auto& a = r.arrival();
    auto s = shops.find(a.shop_id());
    if (s == shops.end() || !s->second->hours.is_open(a.at_ms())) continue;
    const core::TimeMs midnight = s->second->hours.zone().day_start(date);
    const auto hour = (a.at_ms() - midnight) / core::ms_per_hour;
    if (hour < 0 || hour >= day_hours) continue;
    const std::string skill = a.skill().empty() ? s->second->default_skill : a.skill();
    auto& d = out[a.shop_id()].peaks[peak];
    auto& hours = d.by_day[day][skill];
    hours.resize(day_hours, 0.0);
    hours[static_cast<std::size_t>(hour)] += 1;
    d.requests += 1;
  }
}

// The shops as the trace staffed them: every agent it names, with every skill of the shop.
std::vector<core::ShopConfig> as_staffed(const sim::Trace& t, const std::vector<core::ShopConfig>& shops, std::uint32_t window) {
  std::map<std::string, std::set<std::string>> agents;
  for (const auto& r : t.records)
    if (r.has_agent_status()) agents[r.agent_status().shop_id()].insert(r.agent_status().agent_id());
  std::vector<core::ShopConfig> out;
  for (auto s : shops) {
    s.agents.clear();
    std::vector<std::string> skills;
    for (const auto& k : s.skills) skills.push_back(k.name);
    for (const auto& id : agents[s.id]) s.agents.push_back(core::AgentConfig{id, skills, window, 100'000, {}});
    out.push_back(std::move(s));
  }
  return out;
}

// Scripted first replies and transfers of the last peak's arrivals.
void learn_scripts(const sim::Trace& t, const std::map<std::string, const core::ShopConfig*>& shops, std::map<std::string, ShopHistory>& out) {
  for (const auto& r : t.records) {
    if (!r.has_arrival()) continue;
    const auto& a = r.arrival();
    auto s = shops.find(a.shop_id());
    if (s == shops.end()) continue;
    ShopHistory& h = out[a.shop_id()];
    const std::string skill = a.skill().empty() ? s->second->default_skill : a.skill();
    SkillBehaviour& b = h.skills[skill];
    b.samples.push_back(static_cast<std::uint32_t>(h.arrivals.size()));
    h.arrivals.push_back(a);
    ++b.arrivals;
    b.reply_share.resize(reply_bins + 1, 0.0);
    for (const auto& leg : a.legs()) {
      int first = reply_bins;
      for (const auto& st : leg.steps())
        if (st.kind() == v1::TraceStep::KIND_AGENT_TEXT) first = std::min<int>(first, static_cast<int>(st.after_ms() / 1000));
        else if (st.kind() == v1::TraceStep::KIND_TRANSFER && !st.to_skill().empty() && &leg == &a.legs(0)) b.transfer_to = st.to_skill();
      b.reply_share[static_cast<std::size_t>(std::min(first, reply_bins))] += 1;
    }
    if (a.legs_size() > 1) ++b.transferred;
  }
}

// Handle times by concurrency, waits and give-ups, from the last peak replayed as it was staffed.
void learn_played(const sim::Trace& t, const std::vector<core::ShopConfig>& staffed, const std::map<std::string, const core::ShopConfig*>& shops,
                  std::map<std::string, ShopHistory>& out) {
  sim::SimulationOptions o;
  o.record_legs = true;
  const sim::SimulationResult r = sim::simulate(staffed, t, o);
  for (const auto& leg : r.legs) {
    SkillBehaviour& b = out[leg.shop_id].skills[leg.skill];
    const double s = static_cast<double>(leg.ended_ms - leg.assigned_ms) / 1000.0;
    ++b.legs;
    b.handle_s += s;
    if (b.handle_s_by_chats.size() < leg.agent_chats) {
      b.handle_s_by_chats.resize(leg.agent_chats, 0.0);
      b.legs_by_chats.resize(leg.agent_chats, 0);
    }
    b.handle_s_by_chats[leg.agent_chats - 1] += s;
    ++b.legs_by_chats[leg.agent_chats - 1];
    if (leg.leg == 0) b.exposure_s += static_cast<double>(leg.assigned_ms - leg.clock_start_ms) / 1000.0;
  }
  for (const auto& g : r.gave_up) {
    const auto& a = t.records[g.record].arrival();
    auto shop = shops.find(a.shop_id());
    if (shop == shops.end()) continue;
    SkillBehaviour& b = out[a.shop_id()].skills[a.skill().empty() ? shop->second->default_skill : a.skill()];
    ++b.gave_up;
    b.exposure_s += static_cast<double>(g.waited_ms) / 1000.0;
  }
}

void finish(SkillBehaviour& b) {
  if (b.legs > 0) b.handle_s /= static_cast<double>(b.legs);
  for (std::size_t k = 0; k < b.handle_s_by_chats.size(); ++k)
    if (b.legs_by_chats[k] > 0) b.handle_s_by_chats[k] /= static_cast<double>(b.legs_by_chats[k]);
  double total = 0;
  for (double v : b.reply_share) total += v;
  if (total > 0)
    for (double& v : b.reply_share) v /= total;
  b.patience_s = b.gave_up > 0 ? b.exposure_s / static_cast<double>(b.gave_up) : 0;
  b.transfer_share = b.arrivals > 0 ? static_cast<double>(b.transferred) / static_cast<double>(b.arrivals) : 0;
}

void learn_conversion(const std::vector<const sim::Trace*>& days, std::map<std::string, ShopHistory>& out) {
  for (const sim::Trace* t : days)
    for (const auto& f : t->figures) {
      auto it = out.find(f.shop_id());
      if (it == out.end()) continue;
      for (const auto& c : f.categories()) {
        auto& rate = it->second.last_peak_conversion[c.category()];
        rate.converted += c.conversion().numerator();
        rate.inquiring += c.conversion().denominator();
      }
    }
}

}  // namespace

Result<std::map<std::string, ShopHistory>> learn_history(const std::vector<HistoryPeak>& peaks, const std::vector<core::ShopConfig>& shops,
                                                         std::uint32_t window) {
  if (peaks.empty()) return invalid_argument("no earlier peak to learn from: give at least one [[history]] with its traces");
  std::map<std::string, const core::ShopConfig*> by_id;
  std::map<std::string, ShopHistory> out;
  for (const auto& s : shops) {
    by_id[s.id] = &s;
    out[s.id].shop_id = s.id;
  }
  for (std::size_t p = 0; p < peaks.size(); ++p) {
    if (peaks[p].days.empty()) return invalid_argument("earlier peak \"" + peaks[p].name + "\" has no traces");
    for (auto& [id, h] : out) {
      PeakDemand d;
      d.peak = peaks[p].name;
      for (const auto* t : peaks[p].days) d.days.push_back(t->header.day());
      d.by_day.resize(peaks[p].days.size());
      h.peaks.push_back(std::move(d));
    }
    for (std::size_t day = 0; day < peaks[p].days.size(); ++day) count_demand(*peaks[p].days[day], by_id, out, p, day);
  }
  for (auto& [id, h] : out)
    if (h.peaks.back().requests == 0)
      return invalid_argument("shop \"" + id + "\" has no requests in the last earlier peak \"" + peaks.back().name +
                              "\": nothing to learn its chats' behaviour from");
  for (const sim::Trace* t : peaks.back().days) {
    learn_scripts(*t, by_id, out);
    learn_played(*t, as_staffed(*t, shops, window), by_id, out);
  }
  for (auto& [id, h] : out)
    for (auto& [name, b] : h.skills) finish(b);
  learn_conversion(peaks.back().days, out);
  return out;
}

double reply_later_than(const SkillBehaviour& b, int s) {
  double later = 0;
  for (std::size_t i = static_cast<std::size_t>(std::max(0, s)); i < b.reply_share.size(); ++i) later += b.reply_share[i];
  return later;
}

}  // namespace sb::plan
