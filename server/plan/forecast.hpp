// The forecast of a coming peak (docs/planning.md): requests per day of the peak, hour and skill,
// from the shop's traffic target times its earlier ratio of requests to traffic, spread by the
// earlier peaks' shape (each peak's share per day, hour and skill, averaged). And its backtest:
// an earlier peak held out and forecast from the others, scored by WAPE.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "peak_history.hpp"

namespace sb::plan {

using DayDemand = std::map<std::string, std::vector<double>>;  // skill -> [hour] requests

struct ShopForecast {
  std::string shop_id;
  double requests_per_visit = 0;  // pooled over the earlier peaks used
  double requests = 0;            // over the whole coming peak
  std::vector<DayDemand> by_day;
};

// `traffic`: visitors per earlier peak name; every peak used needs one. `peaks_used`: the first
// this many of h.peaks (all when 0).
Result<ShopForecast> forecast_shop(const ShopHistory& h, const std::map<std::string, double>& traffic, double target_traffic,
                                   std::size_t days, std::size_t peaks_used = 0);

// Weighted absolute percentage error: sum |forecast - actual| / sum actual, over cells.
struct Wape {
  double abs_error = 0, actual = 0;
  double value() const { return actual == 0 ? 0 : abs_error / actual; }
  void add(double forecast, double real) {
    abs_error += forecast > real ? forecast - real : real - forecast;
    actual += real;
  }
};

struct Backtest {
  std::string held_out;                    // the peak forecast
  std::vector<std::string> from;           // the peaks it was forecast from
  Wape per_hour, per_day;                  // cells: (shop, day, hour) summed over skills; (shop, day)
  std::vector<double> forecast_by_hour, actual_by_hour;  // all shops, day-major: day * day_hours + hour
};

// Holds out the last earlier peak of every shop and forecasts it from the ones before, with the
// held-out peak's own traffic: the error the method would have had.
Result<Backtest> backtest(const std::map<std::string, ShopHistory>& history,
                          const std::map<std::string, std::map<std::string, double>>& traffic);

}  // namespace sb::plan
