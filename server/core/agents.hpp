// The shop's agents as the rules see them: status, window, the sessions each holds, sessions
// today (the daily cap), when each last took a chat (longest idle), connections and the
// reconnect hold. Kept in config order, which breaks ties.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "shop_config.hpp"
#include "switchboard/v1/switchboard.pb.h"

namespace sb::core {

struct AgentState {
  const AgentConfig* config = nullptr;
  std::uint32_t window = 0;
  switchboard::v1::AgentStatus status = switchboard::v1::AGENT_STATUS_OFFLINE;
  std::set<std::uint64_t> sessions;  // open sessions whose current leg is this agent's
  TimeMs idle_since = 0;             // last assignment, or when it came online
  DayNumber cap_day = 0;             // the local day sessions_today counts
  std::uint32_t sessions_today = 0;
  std::uint32_t connections = 0;
  std::size_t order = 0;             // position in config: ties and round robin
  bool detached = false;             // dropped, within the reconnect grace: keeps sessions, gets no new ones
  std::uint64_t grace_generation = 0;
  TimeMs online_since = -1;          // while online: when it came online (its own online time)
  const std::string& id() const { return config->id; }
  bool online() const { return status == switchboard::v1::AGENT_STATUS_ONLINE; }
};

class Agents {
 public:
  explicit Agents(const std::vector<AgentConfig>& configs);
  Agents(const Agents&) = delete;  // in_order_ points into by_id_
  Agents& operator=(const Agents&) = delete;

  AgentState* find(const std::string& id);
  const AgentState* find(const std::string& id) const;
  AgentState& at(const std::string& id);
  AgentState& at_order(std::size_t order) { return *in_order_.at(order); }
  const std::vector<AgentState*>& in_order() const { return in_order_; }
  std::size_t size() const { return in_order_.size(); }

 private:
  std::map<std::string, AgentState> by_id_;
  std::vector<AgentState*> in_order_;
};

}  // namespace sb::core
