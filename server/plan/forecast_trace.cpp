#include "forecast_trace.hpp"

#include <algorithm>
#include <random>

namespace sb::plan {

namespace v1 = switchboard::v1;

sim::Trace forecast_trace(const std::vector<ForecastShop>& shops, const std::string& date, std::uint64_t seed) {
  sim::Trace t;
  const auto day = core::parse_date(date).value_or(0);
  core::TimeMs start = 0, end = 0;
  bool first = true;
  std::uint64_t n = 0;
  for (const auto& s : shops) {
    const core::TimeMs midnight = s.config->hours.zone().day_start(day);
    start = first ? midnight : std::min(start, midnight);
    end = first ? midnight + (day_hours + 2) * core::ms_per_hour : std::max(end, midnight + (day_hours + 2) * core::ms_per_hour);
    first = false;
    t.header.add_shop_ids(s.config->id);
    // Each shop draws from its own stream: a shop's day is the same whether or not others are in the trace.
    std::seed_seq seq{seed, static_cast<std::uint64_t>(std::hash<std::string>{}(s.config->id))};
    std::mt19937_64 rng(seq);
    for (const auto& [skill, hours] : *s.demand) {
      auto b = s.history->skills.find(skill);
      if (b == s.history->skills.end() || b->second.samples.empty()) continue;  // never seen: no behaviour to draw
      const auto& samples = b->second.samples;
      for (int h = 0; h < day_hours; ++h) {
        const double mean = hours[static_cast<std::size_t>(h)];
        if (mean <= 0) continue;
        const auto count = std::poisson_distribution<std::uint64_t>(mean)(rng);
        for (std::uint64_t i = 0; i < count; ++i) {
          const core::TimeMs at = midnight + h * core::ms_per_hour + std::uniform_int_distribution<core::TimeMs>(0, core::ms_per_hour - 1)(rng);
          if (!s.config->hours.is_open(at)) continue;
          const auto pick = samples[std::uniform_int_distribution<std::size_t>(0, samples.size() - 1)(rng)];
          v1::TraceRecord r;
          auto* a = r.mutable_arrival();
          *a = s.history->arrivals[pick];
          a->set_at_ms(at);
          a->set_member_id("f" + std::to_string(seed) + "-" + s.config->id + "-" + std::to_string(++n));
          a->set_skill(skill);
          a->clear_left_message();  // inside hours: a chat, not a message left
          t.records.push_back(std::move(r));
        }
      }
    }
  }
  std::stable_sort(t.records.begin(), t.records.end(),
                   [](const v1::TraceRecord& x, const v1::TraceRecord& y) { return sim::record_time(x) < sim::record_time(y); });
  t.header.set_format("switchboard.trace.v1");
  t.header.set_day(date);
  t.header.set_source("forecast seed=" + std::to_string(seed));
  t.header.set_start_ms(start);
  t.header.set_end_ms(end);
  return t;
}

}  // namespace sb::plan
