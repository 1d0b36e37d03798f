// Deadlines the core asked for, in due order. The core never sleeps: whoever drives it
// (Asio in the server, a loop in tests and the simulator) pops what is due and hands it back.
//
// Most timers of one kind are asked for at a fixed delay from an ever later `now` (the 30-s
// warning, the 45-s breach, the rating window), so they come due in the order they were
// asked for: each kind has a FIFO lane, and only a timer that would go before the back of its
// lane goes to a heap. Popping compares the lanes' fronts and the heap's top: the same order
// (due, then asked-for order) as one heap, at a fraction of the cost on a peak day.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
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
constexpr std::size_t timer_kinds = 10;
static_assert(static_cast<std::size_t>(TimerKind::agent_reconnect_grace) + 1 == timer_kinds, "a lane per kind");

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

struct SnapshotCodec;  // snapshot.cpp: writes and loads the state

class TimerQueue {
  friend struct SnapshotCodec;

 public:
  explicit TimerQueue(std::size_t timers_max) : timers_max_(timers_max) {}

  // False when the queue is at its bound; the caller must treat that as a broken invariant.
  bool push(TimeMs due, TimerKey key);
  std::optional<TimeMs> next_due() const;
  std::optional<Timer> pop_due(TimeMs now);
  std::size_t size() const { return size_; }
  // A shop leaving the engine: removes its timers and returns them in firing order; the
  // shops after it move down one index, their timers with them.
  std::vector<Timer> take_shop(std::uint32_t shop);

 private:
  struct Later {
    bool operator()(const Timer& a, const Timer& b) const {
      return a.due != b.due ? a.due > b.due : a.order > b.order;
    }
  };
  // The first timer in due order: a lane's front, or the heap's top (nullptr: none).
  const Timer* first() const;

  std::array<std::deque<Timer>, timer_kinds> lanes_;
  std::priority_queue<Timer, std::vector<Timer>, Later> heap_;  // those out of their lane's order
  std::size_t size_ = 0;
  std::uint64_t order_next_ = 0;
  std::size_t timers_max_;
};

}  // namespace sb::core
