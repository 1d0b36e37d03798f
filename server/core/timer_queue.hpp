// Deadlines the core asked for, in due order. The core never sleeps: whoever drives it
// (Asio in the server, a loop in tests and the simulator) pops what is due and hands it back.
#pragma once

#include <cstdint>
#include <optional>
#include <queue>
#include <vector>

#include "time.hpp"

namespace sb::core {

enum class TimerKind : std::uint8_t {
  first_response_warning,
  first_response_breach,
  check_back,
  long_session,
  first_receiver_release,
  overflow,
  rating_window_close,
  hour_boundary,
  customer_reconnect_grace,  // id: chat id
  agent_reconnect_grace,     // id: agent's position in config
};

struct TimerKey {
  std::uint32_t shop = 0;  // index of the shop within its engine
  TimerKind kind = TimerKind::hour_boundary;
  std::uint64_t id = 0;     // clock, session or request id, by kind
  std::uint64_t generation = 0;
};

struct Timer {
  TimeMs due = 0;
  std::uint64_t order = 0;  // ties at the same due time fire in the order they were asked for
  TimerKey key;
};

class TimerQueue {
 public:
  explicit TimerQueue(std::size_t timers_max) : timers_max_(timers_max) {}

  // False when the queue is at its bound; the caller must treat that as a broken invariant.
  bool push(TimeMs due, TimerKey key);
  std::optional<TimeMs> next_due() const;
  std::optional<Timer> pop_due(TimeMs now);
  std::size_t size() const { return heap_.size(); }

 private:
  struct Later {
    bool operator()(const Timer& a, const Timer& b) const {
      return a.due != b.due ? a.due > b.due : a.order > b.order;
    }
  };
  std::priority_queue<Timer, std::vector<Timer>, Later> heap_;
  std::uint64_t order_next_ = 0;
  std::size_t timers_max_;
};

}  // namespace sb::core
