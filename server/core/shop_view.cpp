// What supervisors see: the queues with every waiting customer and why it waits (Kuaishou's
// "agents at their reception limit"), the agents with status and load, the open sessions.
#include <algorithm>
#include <map>

#include "eligibility.hpp"
#include "proto_time.hpp"
#include "shop_engine.hpp"

namespace sb::core {

namespace v1 = switchboard::v1;

v1::AgentView ShopEngine::agent_view(TimeMs now, const AgentState& a) const {
  v1::AgentView v;
  v.set_agent_id(a.id());
  v.set_status(a.status);
  for (const auto& s : a.config->skills) v.add_skills(s);
  v.set_window(a.window);
  v.set_active_sessions(static_cast<std::uint32_t>(a.sessions.size()));
  v.set_sessions_today(sessions_today(a, now, config_.hours.zone()));
  v.set_daily_cap(a.config->daily_cap);
  v.set_connected(a.connections > 0);
  return v;
}

void ShopEngine::announce_agent(TimeMs now, const AgentState& a, Output& out) const {
  auto msg = make_message();
  *msg->mutable_agent_changed()->mutable_agent() = agent_view(now, a);
  deliver(out, v1::ROLE_AGENT, a.id(), msg);
  deliver_supervisors(out, msg);
}

v1::WaitReason ShopEngine::wait_reason(TimeMs now, const Request& r) const {
  if (r.held_at(now)) return v1::WAIT_REASON_HELD_FOR_FIRST_RECEIVER;
  const SkillConfig* sc = config_.find_skill(r.skill);
  const bool overflow_open = sc != nullptr && !sc->overflow_skill.empty() && now >= r.enqueued_at + sc->overflow_after_ms;
  bool any_online = false, any_window_room = false, any_eligible = false;
  for (const AgentState* a : agents_.in_order()) {
    const bool skilled = has_skill(*a->config, r.skill) || (overflow_open && has_skill(*a->config, sc->overflow_skill));
    if (!skilled || !a->online()) continue;
    any_online = true;
    if (a->sessions.size() >= a->window) continue;
    any_window_room = true;
    if (sessions_today(*a, now, config_.hours.zone()) < a->config->daily_cap) any_eligible = true;
  }
  if (!any_online) return v1::WAIT_REASON_NO_AGENT_WITH_SKILL_ONLINE;
  if (!any_window_room) return v1::WAIT_REASON_ALL_AT_WINDOW;
  if (!any_eligible) return v1::WAIT_REASON_DAILY_CAP_REACHED;
  return v1::WAIT_REASON_AHEAD_IN_QUEUE;
}

v1::ShopView ShopEngine::view(TimeMs now) const {
  v1::ShopView v;
  v.set_shop_id(config_.id);
  set_time(v.mutable_at(), now);
  v.set_open(config_.hours.is_open(now));
  for (const auto& target : config_.figure_targets) {
    auto* ft = v.add_targets();
    ft->set_name(target.name);
    ft->set_at_least(target.at_least);
  }
  std::map<std::string, v1::QueueView*> queues;
  for (const auto& s : config_.skills) {
    auto* q = v.add_queues();
    q->set_skill(s.name);
    queues[s.name] = q;
  }
  queue_.each([&](const Request& r) {
    v1::QueueView* q = queues.at(r.skill);
    auto* w = q->add_waiting();
    w->set_request_id(r.session == 0 ? external_id('r', r.id) : external_id('s', r.session));
    w->set_member_id(r.member);
    w->set_tier(r.tier);
    w->set_position(static_cast<std::uint32_t>(q->waiting_size()));
    const auto wait = static_cast<std::uint32_t>(now - r.enqueued_at);
    w->set_wait_ms(wait);
    w->set_reason(wait_reason(now, r));
    if (w->reason() == v1::WAIT_REASON_HELD_FOR_FIRST_RECEIVER) w->set_held_for_agent_id(r.held_for);
    q->set_longest_wait_ms(std::max(q->longest_wait_ms(), wait));
  });
  for (const AgentState* a : agents_.in_order()) *v.add_agents() = agent_view(now, *a);
  std::vector<const Session*> open;
  sessions_.each([&](const Session& s) {
    if (s.open()) open.push_back(&s);
  });
  std::sort(open.begin(), open.end(), [](const Session* a, const Session* b) { return a->id < b->id; });
  for (const Session* s : open) {
    auto* sv = v.add_sessions();
    sv->set_session_id(external_id('s', s->id));
    sv->set_member_id(s->member);
    sv->set_agent_id(s->current_agent());
    sv->set_skill(s->skill);
    set_time(sv->mutable_started_at(), s->connected_at);
    sv->set_first_reply_pending(s->clock != 0 || s->waiting());
    sv->set_legs(static_cast<std::uint32_t>(s->legs.size()));
  }
  return v;
}

}  // namespace sb::core
