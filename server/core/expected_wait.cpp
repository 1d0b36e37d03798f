#include "expected_wait.hpp"

#include <cassert>

namespace sb::core {

void ExpectedWait::assigned_from_queue(const std::string& skill, TimeMs now) {
  auto& times = recent_[skill];
  assert(times.empty() || times.back() <= now);
  times.push_back(now);
  if (times.size() > assignments_kept_max) times.pop_front();
}

std::uint32_t ExpectedWait::seconds(const std::string& skill, std::uint32_t position) const {
  auto it = recent_.find(skill);
  if (it == recent_.end() || it->second.size() < 2 || position == 0) return 0;
  const auto& t = it->second;
  const double gap_ms = static_cast<double>(t.back() - t.front()) / static_cast<double>(t.size() - 1);
  const double wait_s = gap_ms * position / 1000.0;
  return wait_s <= 0 ? 1 : static_cast<std::uint32_t>(wait_s + 0.999);
}

}  // namespace sb::core
