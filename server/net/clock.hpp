// The server's time source: the system clock, or a manual clock that stands still until an
// admin call advances it (for exact, repeatable scripted days over real sockets).
#pragma once

#include <atomic>
#include <chrono>

#include "core/time.hpp"

namespace sb::net {

class Clock {
 public:
  static Clock system() { return Clock(false, 0); }
  static Clock manual(core::TimeMs start) { return Clock(true, start); }

  bool is_manual() const { return manual_; }
  core::TimeMs now() const {
    if (!manual_) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    }
    return manual_now_.load(std::memory_order_acquire);
  }
  // Manual clock only; time never goes backwards.
  void set(core::TimeMs t) { manual_now_.store(t, std::memory_order_release); }

  Clock(const Clock& o) : manual_(o.manual_), manual_now_(o.manual_now_.load()) {}
  Clock& operator=(const Clock& o) {
    manual_ = o.manual_;
    manual_now_.store(o.manual_now_.load());
    return *this;
  }

 private:
  Clock(bool manual, core::TimeMs start) : manual_(manual), manual_now_(start) {}
  bool manual_;
  std::atomic<core::TimeMs> manual_now_;
};

}  // namespace sb::net
