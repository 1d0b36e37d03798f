// The timer queue gives timers back in due order, ties in the order asked for, whether a timer
// went to its kind's FIFO lane or (asked for out of its lane's order) to the heap.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <tuple>
#include <vector>

#include "core/timer_queue.hpp"

using namespace sb::core;

TEST_CASE("timers come due in (due, asked-for order) across lanes and the heap", "[timer]") {
  std::mt19937_64 rng(7);
  TimerQueue q(1'000'000);
  struct Asked {
    TimeMs due;
    std::uint64_t order;
    TimerKind kind;
  };
  std::vector<Asked> asked;
  TimeMs now = 0;
  for (std::uint64_t i = 0; i < 20'000; ++i) {
    now += static_cast<TimeMs>(rng() % 50);
    const auto kind = static_cast<TimerKind>(rng() % timer_kinds);
    // Mostly a fixed delay per kind (lane order), sometimes an earlier one (to the heap).
    const TimeMs delay = rng() % 10 == 0 ? static_cast<TimeMs>(rng() % 1000) : 30'000 * (1 + static_cast<TimeMs>(kind));
    REQUIRE(q.push(now + delay, TimerKey{0, kind, i, 0}));
    asked.push_back({now + delay, i, kind});
  }
  REQUIRE(q.size() == asked.size());
  std::stable_sort(asked.begin(), asked.end(), [](const Asked& a, const Asked& b) { return a.due < b.due; });
  for (const auto& want : asked) {
    REQUIRE(q.next_due() == want.due);
    CHECK(!q.pop_due(want.due - 1));  // nothing is due before its time
    const auto t = q.pop_due(want.due);
    REQUIRE(t);
    CHECK(t->key.id == want.order);
    CHECK(t->key.kind == want.kind);
  }
  CHECK(q.size() == 0);
  CHECK(!q.next_due());
}

TEST_CASE("the timer queue refuses past its bound", "[timer]") {
  TimerQueue q(2);
  CHECK(q.push(10, TimerKey{0, TimerKind::check_back, 1, 0}));
  CHECK(q.push(5, TimerKey{0, TimerKind::check_back, 2, 0}));  // out of lane order: the heap
  CHECK(!q.push(1, TimerKey{0, TimerKind::overflow, 3, 0}));
  CHECK(q.pop_due(100)->key.id == 2);
  CHECK(q.pop_due(100)->key.id == 1);
}
