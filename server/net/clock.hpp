// The server's time source: the system clock; a manual clock that stands still until an admin
// call advances it (for exact, repeatable scripted days over real sockets); or a scaled clock
// that runs N times faster than real time from a given start (live replays of a past day at N×:
// every threshold, 45 s included, scales with it).
#pragma once

#include <atomic>
#include <chrono>

#include "core/time.hpp"

namespace sb::net {

class Clock {
 public:
  static Clock system() { return Clock(false, 0, 1.0); }
  static Clock manual(core::TimeMs start) { return Clock(true, start, 1.0); }
  static Clock scaled(core::TimeMs start, double speed) { return Clock(false, start, speed); }

  bool is_manual() const { return manual_; }
  double speed() const { return speed_; }
  core::TimeMs now() const {
    if (manual_) return manual_now_.load(std::memory_order_acquire);
    if (speed_ != 1.0) {
      const auto real = std::chrono::steady_clock::now() - origin_;
      return manual_now_.load(std::memory_order_relaxed) +
             static_cast<core::TimeMs>(std::chrono::duration<double, std::milli>(real).count() * speed_);
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  }
  // Real time until `virtual_ms` of this clock's time have passed.
  std::chrono::milliseconds real_delay(core::TimeMs virtual_ms) const {
    return std::chrono::milliseconds(static_cast<std::int64_t>(static_cast<double>(virtual_ms) / speed_));
  }
  // Manual clock only; time never goes backwards.
  void set(core::TimeMs t) { manual_now_.store(t, std::memory_order_release); }
  // After a crash, before any thread reads the clock: a manual or scaled clock continues from
  // the last journaled time `t` (not from its configured start); the system clock is the
  // system's (the shards never let the core's time go back).
  void resume_at(core::TimeMs t) {
    if (!manual_ && speed_ == 1.0) return;
    manual_now_.store(t);
    origin_ = std::chrono::steady_clock::now();
  }

  Clock(const Clock& o) : manual_(o.manual_), speed_(o.speed_), origin_(o.origin_), manual_now_(o.manual_now_.load()) {}
  Clock& operator=(const Clock& o) {
    manual_ = o.manual_;
    speed_ = o.speed_;
    origin_ = o.origin_;
    manual_now_.store(o.manual_now_.load());
    return *this;
  }

 private:
  Clock(bool manual, core::TimeMs start, double speed)
      : manual_(manual), speed_(speed), origin_(std::chrono::steady_clock::now()), manual_now_(start) {}
  bool manual_;
  double speed_;                                   // scaled clock: virtual ms per real ms
  std::chrono::steady_clock::time_point origin_;   // scaled clock: real time of `start`
  std::atomic<core::TimeMs> manual_now_;           // manual: now; scaled: the start
};

}  // namespace sb::net
