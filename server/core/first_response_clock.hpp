// The 45-second clock (DOMAIN.md): one per leg, started at the request's first message (queue
// time included) for the first leg and at the transfer for a later one; stopped by the first
// message that leg's agent types. A reply strictly under the threshold is within; the warning
// fires at 30 s, the breach at exactly 45 s, once per clock. Timers are never cancelled: a
// clock that has stopped simply is not found when its timer fires.
#pragma once

#include <cstdint>
#include <unordered_map>

#include "output.hpp"
#include "shop_config.hpp"

namespace sb::core {

struct Clock {
  TimeMs start = 0;
  std::uint64_t request = 0;  // set while the customer waits in a queue
  std::uint64_t session = 0;  // set once assigned (or transferred to an agent)
  bool warned = false;
  bool breached = false;
};

struct SnapshotCodec;  // snapshot.cpp: writes and loads the state

class FirstResponseClocks {
  friend struct SnapshotCodec;

 public:
  explicit FirstResponseClocks(const Thresholds& t) : t_(t) {}

  // Starts clock `id` at `start` and asks for its warning and breach timers.
  void start(std::uint64_t id, TimeMs start, std::uint64_t request, std::uint64_t session, std::uint32_t shop_index,
             Output& out);
  Clock* find(std::uint64_t id);
  const Clock* find(std::uint64_t id) const;
  Clock& at(std::uint64_t id);
  void stop(std::uint64_t id);
  std::size_t running() const { return clocks_.size(); }

  // The judgement of a leg: its first human reply came strictly within the threshold.
  bool within(TimeMs clock_start, TimeMs first_reply_at) const {
    return first_reply_at >= 0 && first_reply_at - clock_start < t_.first_response_threshold_ms;
  }
  // A leg assigned after its warning moment hears the warning at once.
  bool warning_due(const Clock& c, TimeMs now) const { return !c.warned && now >= c.start + t_.first_response_warning_ms; }
  std::uint32_t threshold_ms() const { return static_cast<std::uint32_t>(t_.first_response_threshold_ms); }

  template <class F>
  void each(F&& f) const {
    for (const auto& [id, c] : clocks_) f(id, c);
  }

 private:
  const Thresholds& t_;
  std::unordered_map<std::uint64_t, Clock> clocks_;
};

}  // namespace sb::core
