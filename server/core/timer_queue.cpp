#include "timer_queue.hpp"

#include <algorithm>
#include <cassert>

namespace sb::core {

bool TimerQueue::push(TimeMs due, TimerKey key) {
  if (size_ >= timers_max_) return false;
  const auto lane = static_cast<std::size_t>(key.kind);
  assert(lane < timer_kinds);
  const Timer t{due, order_next_++, key};
  if (lanes_[lane].empty() || lanes_[lane].back().due <= due) lanes_[lane].push_back(t);
  else heap_.push(t);
  ++size_;
  return true;
}

const Timer* TimerQueue::first() const {
  const Timer* best = heap_.empty() ? nullptr : &heap_.top();
  for (const auto& lane : lanes_)
    if (!lane.empty() && (best == nullptr || Later{}(*best, lane.front()))) best = &lane.front();
  return best;
}

std::optional<TimeMs> TimerQueue::next_due() const {
  const Timer* t = first();
  if (t == nullptr) return std::nullopt;
  return t->due;
}

std::optional<Timer> TimerQueue::pop_due(TimeMs now) {
  const Timer* t = first();
  if (t == nullptr || t->due > now) return std::nullopt;
  const Timer out = *t;
  --size_;
  if (!heap_.empty() && t == &heap_.top()) {
    heap_.pop();
    return out;
  }
  lanes_[static_cast<std::size_t>(out.key.kind)].pop_front();
  return out;
}

std::vector<Timer> TimerQueue::take_shop(std::uint32_t shop) {
  std::vector<Timer> taken, kept;
  auto sort_out = [&](Timer t, auto&& keep) {
    if (t.key.shop == shop) return taken.push_back(t);
    if (t.key.shop > shop) --t.key.shop;
    keep(t);
  };
  for (auto& lane : lanes_) {  // what is left of a lane in order is still in order
    std::deque<Timer> next;
    for (const Timer& t : lane) sort_out(t, [&](const Timer& k) { next.push_back(k); });
    lane = std::move(next);
  }
  for (; !heap_.empty(); heap_.pop()) sort_out(heap_.top(), [&](const Timer& k) { kept.push_back(k); });
  for (const Timer& t : kept) heap_.push(t);
  size_ -= taken.size();
  std::sort(taken.begin(), taken.end(), [](const Timer& a, const Timer& b) { return Later{}(b, a); });
  return taken;
}

}  // namespace sb::core
