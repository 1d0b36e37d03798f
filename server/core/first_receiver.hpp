// The first receiver stays responsible (首位接待负责制): a returning customer is held for the
// agent who last served it, if that was within the look-back (72 h) and the agent is online,
// for the first-receiver wait (20 s) before anyone else may take it. A hand-back can hold a
// chat for the agent it came from the same way (shops.handback). Memory beyond the look-back
// is forgotten.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "shop_config.hpp"

namespace sb::core {

struct SnapshotCodec;  // snapshot.cpp: writes and loads the state

class FirstReceivers {
  friend struct SnapshotCodec;

 public:
  explicit FirstReceivers(const Thresholds& t) : t_(t) {}
  void served(const std::string& member, const std::string& agent, TimeMs at);
  // The agent the member should be held for now, if any (whether online is the caller's check).
  std::optional<std::string> holder(const std::string& member, TimeMs now) const;
  void forget_expired(TimeMs now);
  std::size_t remembered() const { return last_.size(); }

  // The member's sessions, for the agent who takes the next one (newest first, at most
  // earlier_kept_max, within the look-back). Not in snapshots: display only.
  struct Earlier {
    std::string session_id, agent, skill;
    TimeMs at = 0;
  };
  static constexpr std::size_t earlier_kept_max = 5;
  void session_started(const std::string& member, Earlier e);
  std::vector<Earlier> earlier(const std::string& member, TimeMs now) const;

 private:
  struct Served {
    std::string agent;
    TimeMs at = 0;
  };
  const Thresholds& t_;
  std::unordered_map<std::string, Served> last_;
  std::deque<std::pair<TimeMs, std::string>> by_age_;  // (served at, member), oldest first
  // member -> sessions, oldest first; a vector (at most earlier_kept_max): a deque's first block
  // alone is half a kilobyte, for every customer of the day
  std::unordered_map<std::string, std::vector<Earlier>> earlier_;
};

}  // namespace sb::core
