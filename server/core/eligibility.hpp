// Who may take a chat now (DOMAIN.md, Qianniu's order): an agent online (not paused, not held
// for a reconnect) with room in its window and under its daily session cap (单人最高日服务量);
// for a queued request also the skill (or the overflow skill once the request has waited long
// enough) and the first receiver's hold. Agents' status and window changes live here too.
#pragma once

#include <string>

#include "agents.hpp"
#include "waiting_queue.hpp"

namespace sb::core {

// Sessions the agent took on the local day of `now` (its cap counts per day).
std::uint32_t sessions_today(const AgentState& a, TimeMs now, const TimeZone& zone);
void count_session_today(AgentState& a, TimeMs now, const TimeZone& zone);
// The one test of "can this agent take a session now".
bool can_take(const AgentState& a, TimeMs now, const TimeZone& zone);
// Why not, for an error a person reads: "paused, 3 of 3 in window, 12 of 150 today".
std::string why_not(const AgentState& a, TimeMs now, const TimeZone& zone);
bool has_skill(const AgentConfig& a, const std::string& skill);
// Whether this agent may take this queued request now.
bool eligible(const AgentState& a, const Request& r, TimeMs now, const ShopConfig& config);
// The request's own rules (its hold, its skill or overflow skill), for an agent that can_take now.
bool takes(const AgentState& a, const Request& r, TimeMs now, const ShopConfig& config);

}  // namespace sb::core
