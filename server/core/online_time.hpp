// Online duration (在线时长): how long in each natural day (and hour) at least one of the shop's
// agents was online — the union of their online time, not the sum; paused and offline agents do
// not count. Each agent's own online time is kept the same way, for supervisors. Accrued at
// the end of each interval and at every hour boundary, so every piece lies within one hour.
#pragma once

#include "time.hpp"

namespace sb::core {

struct SnapshotCodec;  // snapshot.cpp: writes and loads the state

class OnlineTime {
  friend struct SnapshotCodec;

 public:
  int agents_online() const { return online_; }
  TimeMs since() const { return since_; }  // -1 when nobody is online
  // One more (+1) or one fewer (-1) agent online at `now`; returns the interval that just
  // ended (from, to) when the last one went, else from = -1.
  std::pair<TimeMs, TimeMs> changed(TimeMs now, int delta);
  // At an hour boundary: the running interval's piece up to now, and a new piece from now.
  std::pair<TimeMs, TimeMs> cut(TimeMs now);

 private:
  int online_ = 0;
  TimeMs since_ = -1;
};

}  // namespace sb::core
