// Online time: the shop's (union of its agents') and each agent's own, in pieces per hour.
#include "online_time.hpp"

#include <cassert>

#include "shop_engine.hpp"

namespace sb::core {

std::pair<TimeMs, TimeMs> OnlineTime::changed(TimeMs now, int delta) {
  const int before = online_;
  online_ += delta;
  assert(online_ >= 0);
  if (before == 0 && online_ > 0) since_ = now;
  if (before > 0 && online_ == 0) {
    const TimeMs from = since_;
    since_ = -1;
    return {from, now};
  }
  return {-1, -1};
}

std::pair<TimeMs, TimeMs> OnlineTime::cut(TimeMs now) {
  if (since_ < 0) return {-1, -1};
  const TimeMs from = since_;
  since_ = now;
  return {from, now};
}

void ShopEngine::accrue_online(TimeMs from, TimeMs to, Output& out) {
  for (const auto& piece : book_.online(from, to)) {
    if (auto* e = history_.add(out, to, &piece.origin)) e->mutable_shop_online()->set_ms(piece.ms);
  }
}

void ShopEngine::accrue_agent_online(AgentState& agent, TimeMs to, Output& out) {
  if (agent.online_since < 0) return;
  for (const auto& piece : book_.agent_online(agent.id(), agent.online_since, to)) {
    if (auto* e = history_.add(out, to, &piece.origin)) {
      e->mutable_agent_online()->set_agent_id(agent.id());
      e->mutable_agent_online()->set_ms(piece.ms);
    }
  }
  agent.online_since = to;
}

void ShopEngine::online_changed(TimeMs now, AgentState& agent, bool online, Output& out) {
  if (online) {
    agent.online_since = now;
  } else {
    accrue_agent_online(agent, now, out);
    agent.online_since = -1;
  }
  const auto [from, to] = online_.changed(now, online ? +1 : -1);
  assert(online_.agents_online() <= static_cast<int>(agents_.size()));
  if (from >= 0) accrue_online(from, to, out);
}

void ShopEngine::on_hour_boundary(TimeMs now, Output& out) {
  if (const auto [from, to] = online_.cut(now); from >= 0) accrue_online(from, to, out);
  for (AgentState* a : agents_.in_order())
    if (a->online()) accrue_agent_online(*a, now, out);
  forget_expired(now);
  timer(out, config_.hours.zone().hour_row_end(now), TimerKind::hour_boundary, 0);
}

}  // namespace sb::core
