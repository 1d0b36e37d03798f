// The expected wait a queued customer is told (docs/protocol.md, `queued.expectedWaitS`): the
// position times the mean gap between the skill queue's last assignments — how fast this queue
// has been moving — so it needs no model and follows the day as it goes. Unknown (0) until the
// queue has served twice. Not saved in snapshots: after a restart it is learned again.
#pragma once

#include <deque>
#include <map>
#include <string>

#include "time.hpp"

namespace sb::core {

class ExpectedWait {
 public:
  static constexpr std::size_t assignments_kept_max = 20;

  void assigned_from_queue(const std::string& skill, TimeMs now);
  // Seconds, rounded up; 0: not known yet.
  std::uint32_t seconds(const std::string& skill, std::uint32_t position) const;

 private:
  std::map<std::string, std::deque<TimeMs>> recent_;  // per skill: the last assignments' times
};

}  // namespace sb::core
