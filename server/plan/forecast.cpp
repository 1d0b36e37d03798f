#include "forecast.hpp"

#include <cassert>

namespace sb::plan {

Result<ShopForecast> forecast_shop(const ShopHistory& h, const std::map<std::string, double>& traffic, double target_traffic,
                                   std::size_t days, std::size_t peaks_used) {
  const std::size_t n = peaks_used == 0 ? h.peaks.size() : std::min(peaks_used, h.peaks.size());
  if (n == 0) return invalid_argument("shop \"" + h.shop_id + "\": no earlier peak to forecast from");
  if (target_traffic <= 0) return invalid_argument("shop \"" + h.shop_id + "\": the coming peak's traffic must be above 0");
  double requests = 0, visits = 0;
  for (std::size_t p = 0; p < n; ++p) {
    auto t = traffic.find(h.peaks[p].peak);
    if (t == traffic.end() || t->second <= 0)
      return invalid_argument("shop \"" + h.shop_id + "\": no traffic for earlier peak \"" + h.peaks[p].peak +
                              "\" (traffic = { \"" + h.peaks[p].peak + "\" = visitors })");
    requests += h.peaks[p].requests;
    visits += t->second;
  }
  ShopForecast f;
  f.shop_id = h.shop_id;
  f.requests_per_visit = requests / visits;
  f.requests = target_traffic * f.requests_per_visit;
  f.by_day.resize(days);
  double share_total = 0;
  for (std::size_t d = 0; d < days; ++d) {
    std::size_t contributing = 0;
    for (std::size_t p = 0; p < n; ++p)
      if (d < h.peaks[p].by_day.size() && h.peaks[p].requests > 0) ++contributing;
    if (contributing == 0)
      return invalid_argument("shop \"" + h.shop_id + "\": the coming peak has " + std::to_string(days) +
                              " days but no earlier peak has a day " + std::to_string(d + 1));
    for (std::size_t p = 0; p < n; ++p) {
      if (d >= h.peaks[p].by_day.size() || h.peaks[p].requests == 0) continue;
      for (const auto& [skill, hours] : h.peaks[p].by_day[d]) {
        auto& out = f.by_day[d][skill];
        out.resize(day_hours, 0.0);
        for (int hr = 0; hr < day_hours; ++hr) {
          const double share = hours[static_cast<std::size_t>(hr)] / h.peaks[p].requests / static_cast<double>(contributing);
          out[static_cast<std::size_t>(hr)] += share;
          share_total += share;
        }
      }
    }
  }
  assert(share_total > 0);
  for (auto& day : f.by_day)
    for (auto& [skill, hours] : day)
      for (double& v : hours) v *= f.requests / share_total;
  return f;
}

Result<Backtest> backtest(const std::map<std::string, ShopHistory>& history,
                          const std::map<std::string, std::map<std::string, double>>& traffic) {
  Backtest b;
  for (const auto& [id, h] : history) {
    if (h.peaks.size() < 2) return invalid_argument("a backtest needs at least two earlier peaks: one to hold out, one to forecast it from");
    const PeakDemand& held = h.peaks.back();
    b.held_out = held.peak;
    b.from.clear();
    for (std::size_t p = 0; p + 1 < h.peaks.size(); ++p) b.from.push_back(h.peaks[p].peak);
    auto t = traffic.find(id);
    if (t == traffic.end() || t->second.count(held.peak) == 0)
      return invalid_argument("shop \"" + id + "\": no traffic for the held-out peak \"" + held.peak + "\"");
    auto f = forecast_shop(h, t->second, t->second.at(held.peak), held.by_day.size(), h.peaks.size() - 1);
    if (!f) return f.error();
    const std::size_t cells = held.by_day.size() * day_hours;
    if (b.actual_by_hour.size() < cells) {
      b.actual_by_hour.resize(cells, 0.0);
      b.forecast_by_hour.resize(cells, 0.0);
    }
    for (std::size_t d = 0; d < held.by_day.size(); ++d) {
      double fd = 0, ad = 0;
      for (int hr = 0; hr < day_hours; ++hr) {
        double fh = 0, ah = 0;
        for (const auto& [skill, hours] : f->by_day[d]) fh += hours[static_cast<std::size_t>(hr)];
        for (const auto& [skill, hours] : held.by_day[d]) ah += hours[static_cast<std::size_t>(hr)];
        if (fh == 0 && ah == 0) continue;
        b.per_hour.add(fh, ah);
        b.forecast_by_hour[d * day_hours + static_cast<std::size_t>(hr)] += fh;
        b.actual_by_hour[d * day_hours + static_cast<std::size_t>(hr)] += ah;
        fd += fh;
        ad += ah;
      }
      b.per_day.add(fd, ad);
    }
  }
  return b;
}

}  // namespace sb::plan
