#include "timer_queue.hpp"

namespace sb::core {

bool TimerQueue::push(TimeMs due, TimerKey key) {
  if (heap_.size() >= timers_max_) return false;
  heap_.push(Timer{due, order_next_++, key});
  return true;
}

std::optional<TimeMs> TimerQueue::next_due() const {
  if (heap_.empty()) return std::nullopt;
  return heap_.top().due;
}

std::optional<Timer> TimerQueue::pop_due(TimeMs now) {
  if (heap_.empty() || heap_.top().due > now) return std::nullopt;
  Timer t = heap_.top();
  heap_.pop();
  return t;
}

}  // namespace sb::core
