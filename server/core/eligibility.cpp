// Eligibility, and the agent's status and window that it rests on.
#include "eligibility.hpp"

#include <algorithm>
#include <cassert>

#include "shop_engine.hpp"

namespace sb::core {

namespace v1 = switchboard::v1;

namespace {

constexpr std::int32_t window_sessions_max = 50;

const char* status_name(v1::AgentStatus s) {
  switch (s) {
    case v1::AGENT_STATUS_ONLINE: return "online";
    case v1::AGENT_STATUS_PAUSED: return "paused";
    default: return "offline";
  }
}

}  // namespace

std::uint32_t sessions_today(const AgentState& a, TimeMs now, const TimeZone& zone) {
  return a.cap_day == zone.local(now).day ? a.sessions_today : 0;
}

void count_session_today(AgentState& a, TimeMs now, const TimeZone& zone) {
  const DayNumber today = zone.local(now).day;
  if (a.cap_day != today) {
    a.cap_day = today;
    a.sessions_today = 0;
  }
  ++a.sessions_today;
}

bool can_take(const AgentState& a, TimeMs now, const TimeZone& zone) {
  return a.online() && !a.detached && a.sessions.size() < a.window && sessions_today(a, now, zone) < a.config->daily_cap;
}

std::string why_not(const AgentState& a, TimeMs now, const TimeZone& zone) {
  return std::string(status_name(a.status)) + (a.detached ? " (disconnected, held for its reconnect)" : "") + ", " +
         std::to_string(a.sessions.size()) + " of " + std::to_string(a.window) + " in window, " +
         std::to_string(sessions_today(a, now, zone)) + " of " + std::to_string(a.config->daily_cap) + " today";
}

bool has_skill(const AgentConfig& a, const std::string& skill) {
  return std::find(a.skills.begin(), a.skills.end(), skill) != a.skills.end();
}

bool eligible(const AgentState& a, const Request& r, TimeMs now, const ShopConfig& config) {
  return can_take(a, now, config.hours.zone()) && takes(a, r, now, config);
}

bool takes(const AgentState& a, const Request& r, TimeMs now, const ShopConfig& config) {
  if (r.held_at(now)) return a.id() == r.held_for;
  if (has_skill(*a.config, r.skill)) return true;
  const SkillConfig* sc = config.find_skill(r.skill);
  return sc != nullptr && !sc->overflow_skill.empty() && now >= r.enqueued_at + sc->overflow_after_ms &&
         has_skill(*a.config, sc->overflow_skill);
}

// ------------------------------------------------------------------ status and window

void ShopEngine::on_set_status(TimeMs now, const Actor& a, const v1::SetAgentStatus& m, Output& out) {
  std::string target = m.agent_id();
  if (a.role == v1::ROLE_AGENT) {
    if (!target.empty() && target != a.person) {
      reply_error(out, v1::ERROR_CODE_FORBIDDEN, "agent " + a.person + " may set only its own status");
      return;
    }
    target = a.person;
  }
  AgentState* agent = agents_.find(target);
  if (agent == nullptr) {
    reply_error(out, v1::ERROR_CODE_NOT_FOUND, "no agent \"" + target + "\" in shop " + config_.id);
    return;
  }
  if (m.status() == v1::AGENT_STATUS_UNSPECIFIED) {
    reply_error(out, v1::ERROR_CODE_INVALID_ARGUMENT, "set_agent_status.status is missing");
    return;
  }
  supervisor_action(now, a, v1::SUPERVISOR_ACTION_KIND_SET_AGENT_STATUS, "", target, v1::AgentStatus_Name(m.status()), out);
  set_status(now, *agent, m.status(), out);
  reply_ack(out);
}

void ShopEngine::set_status(TimeMs now, AgentState& agent, v1::AgentStatus status, Output& out) {
  if (agent.status == status) return;
  if (status == v1::AGENT_STATUS_OFFLINE && agent.detached) {
    agent.detached = false;  // set offline while away (by a supervisor): nothing left to hold
    ++agent.grace_generation;
  }
  if (agent.online()) online_changed(now, agent, false, out);
  if (status == v1::AGENT_STATUS_ONLINE) {
    online_changed(now, agent, true, out);
    agent.idle_since = now;
  }
  agent.status = status;
  if (auto* e = history_.add_at_own_hour(out, now)) {
    e->mutable_agent_status()->set_agent_id(agent.id());
    e->mutable_agent_status()->set_status(status);
  }
  if (status == v1::AGENT_STATUS_OFFLINE) hand_back(now, agent, out);
  announce_agent(now, agent, out);
  dispatch(now, out);
  refresh_queue(out);
}

// An agent who leaves hands its chats back: each goes to the front of its queue, held for the
// agent for the first-receiver wait if the shop says so (shops.handback).
void ShopEngine::hand_back(TimeMs now, AgentState& agent, Output& out) {
  const std::set<std::uint64_t> open = agent.sessions;
  for (std::uint64_t id : open) {
    Session& s = sessions_.at(id);
    requeue(now, s, s.skill, out);
    if (config_.handback == Handback::first_receiver_wait && config_.thresholds.first_receiver_wait_ms > 0)
      hold_for(now, queue_.at(s.waiting_request), agent.id(), out);
  }
}

void ShopEngine::on_set_window(TimeMs now, const Actor& a, const v1::SetWindow& m, Output& out) {
  AgentState* agent = agents_.find(m.agent_id());
  if (agent == nullptr) {
    reply_error(out, v1::ERROR_CODE_NOT_FOUND, "no agent \"" + m.agent_id() + "\" in shop " + config_.id);
    return;
  }
  if (m.window() < 1 || m.window() > window_sessions_max) {
    reply_error(out, v1::ERROR_CODE_INVALID_ARGUMENT,
                "set_window.window must be 1 to " + std::to_string(window_sessions_max) + ", got " + std::to_string(m.window()));
    return;
  }
  supervisor_action(now, a, v1::SUPERVISOR_ACTION_KIND_SET_WINDOW, "", m.agent_id(),
                    std::to_string(agent->window) + " -> " + std::to_string(m.window()), out);
  agent->window = static_cast<std::uint32_t>(m.window());
  reply_ack(out);
  announce_agent(now, *agent, out);
  dispatch(now, out);
  refresh_queue(out);
}

}  // namespace sb::core
