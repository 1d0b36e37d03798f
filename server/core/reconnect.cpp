// Reconnects: a dropped customer keeps its place in the queue or its open session, a dropped
// agent its status and sessions (but gets no new ones), for the shop's reconnect grace; coming
// back, each is told where things stand and given the chat messages it has not seen. Not
// coming back counts as leaving at the end of the grace.
#include <cassert>

#include "proto_time.hpp"
#include "shop_engine.hpp"

namespace sb::core {

namespace v1 = switchboard::v1;

void ShopEngine::hold_customer(TimeMs now, Chat& chat, Output& out) {
  assert(chat.connections == 0 && !chat.detached);
  chat.detached = true;
  ++chat.grace_generation;
  detached_chats_[chat.id] = chat.member;
  timer(out, now + config_.thresholds.reconnect_grace_ms, TimerKind::customer_reconnect_grace, chat.id, chat.grace_generation);
}

void ShopEngine::hold_agent(TimeMs now, AgentState& agent, Output& out) {
  assert(agent.connections == 0 && !agent.detached);
  agent.detached = true;  // keeps status and sessions; routing skips it
  ++agent.grace_generation;
  timer(out, now + config_.thresholds.reconnect_grace_ms, TimerKind::agent_reconnect_grace, agent.order, agent.grace_generation);
}

void ShopEngine::end_chat(TimeMs now, Chat& chat, Output& out) {
  // The departure counts from now: the server cannot know earlier that the customer is gone.
  if (chat.state == ChatState::queued) abandon(now, chat, out);
  if (chat.state == ChatState::in_session) close_session(now, sessions_.at(chat.session), v1::CLOSE_REASON_CUSTOMER_LEFT, out);
  const std::string member = chat.member;  // erasing the chat destroys it
  detached_chats_.erase(chat.id);
  chats_.erase(member);
}

void ShopEngine::on_grace_timer(TimeMs now, const TimerKey& key, Output& out) {
  if (key.kind == TimerKind::customer_reconnect_grace) {
    auto it = detached_chats_.find(key.id);
    if (it == detached_chats_.end()) return;
    Chat& chat = chats_.at(it->second);
    if (!chat.detached || chat.grace_generation != key.generation) return;
    end_chat(now, chat, out);
    return;
  }
  assert(key.id < agents_.size());
  AgentState& agent = agents_.at_order(key.id);
  if (!agent.detached || agent.grace_generation != key.generation) return;
  agent.detached = false;
  set_status(now, agent, v1::AGENT_STATUS_OFFLINE, out);  // its sessions go back to the queue
}

v1::Assigned ShopEngine::assigned_view(const Session& s, std::uint64_t seen_seq) const {
  v1::Assigned as;
  as.set_session_id(external_id('s', s.id));
  as.set_agent_id(s.current_agent());
  as.set_member_id(s.member);
  as.set_skill(s.skill);
  as.set_tier(s.tier);
  as.set_transfer(s.legs.size() > 1);
  set_time(as.mutable_clock_started_at(), s.legs.back().clock_start);
  for (const auto& m : s.transcript)
    if (m.seq() > seen_seq) *as.add_history() = m;
  return as;
}

void ShopEngine::send_resumed(const Actor& a, const v1::Hello* hello, Output& out) {
  auto seen = [&](const Session& s) -> std::uint64_t {
    if (hello == nullptr) return 0;
    auto it = hello->seen().find(external_id('s', s.id));
    return it == hello->seen().end() ? 0 : it->second;
  };
  auto msg = std::make_shared<v1::ServerMessage>();
  auto* r = msg->mutable_resumed();
  auto add_queued = [&](const Request& req) {
    const auto place = queue_.place_of(req);
    auto* q = r->mutable_queued();
    q->set_request_id(req.session == 0 ? external_id('r', req.id) : external_id('s', req.session));
    q->set_skill(req.skill);
    q->set_position(place.position);
    q->set_queue_length(place.length);
    q->set_expected_wait_s(expected_wait_.seconds(req.skill, place.position));
  };
  if (a.role == v1::ROLE_CUSTOMER) {
    const Chat& chat = chats_.at(a.person);
    if (chat.state == ChatState::queued) {
      add_queued(queue_.at(chat.request));
    } else if (chat.state == ChatState::in_session) {
      const Session& s = sessions_.at(chat.session);
      if (s.waiting()) add_queued(queue_.at(s.waiting_request));
      *r->add_sessions() = assigned_view(s, seen(s));
    } else {
      return;  // nothing going: a plain welcome
    }
  } else if (a.role == v1::ROLE_AGENT) {
    const AgentState* agent = agents_.find(a.person);
    if (agent == nullptr || agent->sessions.empty()) return;
    for (std::uint64_t id : agent->sessions) *r->add_sessions() = assigned_view(sessions_.at(id), seen(sessions_.at(id)));
  } else {
    return;
  }
  deliver(out, a.role, a.person, msg);
}

}  // namespace sb::core
