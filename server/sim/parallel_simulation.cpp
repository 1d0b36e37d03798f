#include "parallel_simulation.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <thread>

namespace sb::sim {

SimulationResult simulate_in_parallel(const std::vector<core::ShopConfig>& shops, const Trace& trace,
                                            unsigned threads, SimulationOptions options) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = std::min<unsigned>(threads, static_cast<unsigned>(std::max<std::size_t>(1, shops.size())));
  // Balance the groups by each shop's arrivals (the work), largest first.
  std::map<std::string, std::size_t> load;
  for (const auto& r : trace.records)
    if (r.has_arrival()) ++load[r.arrival().shop_id()];
  std::vector<const core::ShopConfig*> order;
  for (const auto& s : shops) order.push_back(&s);
  std::stable_sort(order.begin(), order.end(), [&](auto* a, auto* b) { return load[a->id] > load[b->id]; });
  std::vector<std::vector<core::ShopConfig>> groups(threads);
  std::vector<std::size_t> group_load(threads, 0);
  for (const auto* s : order) {
    const auto g = static_cast<std::size_t>(std::min_element(group_load.begin(), group_load.end()) - group_load.begin());
    groups[g].push_back(*s);
    group_load[g] += load[s->id] + 1;
  }
  std::vector<SimulationResult> results(threads);
  std::vector<std::thread> workers;
  for (unsigned g = 1; g < threads; ++g)
    workers.emplace_back([&, g] { results[g] = simulate(groups[g], trace, options); });
  results[0] = simulate(groups[0], trace, options);
  for (auto& w : workers) w.join();

  SimulationResult merged;
  std::map<std::string, switchboard::v1::ShopFigures> by_shop, next_day;
  std::set<std::string> notes;
  for (auto& r : results) {
    merged.arrivals += r.arrivals;
    merged.engine_calls += r.engine_calls;
    merged.steps_skipped += r.steps_skipped;
    merged.snapshots += r.snapshots;
    merged.broken.insert(merged.broken.end(), r.broken.begin(), r.broken.end());
    merged.near_misses.insert(merged.near_misses.end(), r.near_misses.begin(), r.near_misses.end());
    for (auto& f : r.figures) by_shop[f.shop_id()] = std::move(f);
    for (auto& f : r.next_day) next_day[f.shop_id()] = std::move(f);
    merged.legs.insert(merged.legs.end(), r.legs.begin(), r.legs.end());
    merged.gave_up.insert(merged.gave_up.end(), r.gave_up.begin(), r.gave_up.end());
    merged.shops_on_plan_shifts.insert(merged.shops_on_plan_shifts.end(), r.shops_on_plan_shifts.begin(), r.shops_on_plan_shifts.end());
    for (auto& n : r.notes)
      if (notes.insert(n).second) merged.notes.push_back(std::move(n));
  }
  for (const auto& id : trace.header.shop_ids()) {
    auto it = by_shop.find(id);
    if (it == by_shop.end()) merged.shops_missing.push_back(id);
    else merged.figures.push_back(std::move(it->second));
    if (auto n = next_day.find(id); n != next_day.end()) merged.next_day.push_back(std::move(n->second));
  }
  return merged;
}

}  // namespace sb::sim
