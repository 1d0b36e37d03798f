// Sessions and legs: the first assignment opens a session; each agent's part is a leg with its
// own 45-second clock; texts both ways (the agent's first one stops its leg's clock); transfers
// to an agent (a new leg at once) or to a skill (the session waits at the front of its tier);
// the close, and the judgement of the last leg; check-back reminders and long-session alerts.
#include "session_lifecycle.hpp"

#include <cassert>

#include "eligibility.hpp"
#include "proto_time.hpp"
#include "shop_engine.hpp"

namespace sb::core {

namespace v1 = switchboard::v1;

Session& Sessions::add(Session s) {
  ++open_;
  const std::uint64_t id = s.id;
  auto [it, inserted] = sessions_.emplace(id, std::move(s));
  assert(inserted);
  return it->second;
}

Session* Sessions::find(std::uint64_t id) {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : &it->second;
}

const Session* Sessions::find(std::uint64_t id) const {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : &it->second;
}

Session& Sessions::at(std::uint64_t id) {
  Session* s = find(id);
  assert(s != nullptr);
  return *s;
}

const Session& Sessions::at(std::uint64_t id) const {
  const Session* s = find(id);
  assert(s != nullptr);
  return *s;
}

// ------------------------------------------------------------------ assignment and legs

// A new chat's first assignment: the session begins with what the customer wrote while queued.
Session& ShopEngine::open_session(TimeMs now, Request& r, AgentState& agent, Output& out) {
  Session s;
  s.id = next_id_++;
  s.member = r.member;
  s.skill = r.skill;
  s.tier = r.tier;
  s.origin = r.origin;
  s.begun_at = r.begun_at;
  s.connected_at = now;
  s.customer_wrote = true;  // the first message started the request
  for (auto& m : r.pending) {  // already in history, kept when they were acknowledged
    m.set_session_id(external_id('s', s.id));
    m.set_seq(++s.message_seq);
    s.transcript.push_back(std::move(m));
  }
  s.customer_waiting_since = r.begun_at;
  s.check_back_generation = 1;
  book_.session_connected(s.origin);
  if (auto* e = history_.add(out, now, &s.origin)) {
    auto* c = e->mutable_session_connected();
    c->set_session_id(external_id('s', s.id));
    c->set_request_id(external_id('r', r.id));
    c->set_member_id(s.member);
    c->set_agent_id(agent.id());
    c->set_tier(s.tier);
    c->set_begun_at_ms(r.begun_at);
  }
  if (sink_ != nullptr)
    sink_->observe(config_.id, s.origin.skill, Histogram::queue_wait_seconds, static_cast<double>(now - r.begun_at) / 1000.0);
  Chat& chat = chats_.at(r.member);
  assert(chat.state == ChatState::queued && chat.request == r.id);
  chat.state = ChatState::in_session;
  chat.request = 0;
  chat.session = s.id;
  timer(out, now + config_.thresholds.long_session_ms, TimerKind::long_session, s.id);
  timer(out, r.begun_at + config_.thresholds.check_back_ms, TimerKind::check_back, s.id, s.check_back_generation);
  r.session = s.id;
  return sessions_.add(std::move(s));
}

void ShopEngine::assign(TimeMs now, Request& r, AgentState& agent, Output& out) {
  Clock& clock = clocks_.at(r.clock);
  // Messages the customer wrote while a transferred session waited are already in its transcript.
  Session& s = r.session == 0 ? open_session(now, r, agent, out) : sessions_.at(r.session);
  s.waiting_request = 0;
  clock.request = 0;
  clock.session = s.id;
  const TimeMs clock_start = clock.start;
  const std::uint64_t clock_id = r.clock;
  expected_wait_.assigned_from_queue(r.skill, now);
  queue_.remove(r.id);
  start_leg(now, s, agent, clock_start, clock_id, out);
}

void ShopEngine::start_leg(TimeMs now, Session& s, AgentState& agent, TimeMs clock_start, std::uint64_t clock, Output& out) {
  assert(agent.online() && !agent.detached);
  s.legs.push_back(Leg{agent.id(), now, clock_start, -1, false});
  s.clock = clock;
  agent.sessions.insert(s.id);
  agent.idle_since = now;
  count_session_today(agent, now, config_.hours.zone());
  book_.leg_started(s.origin, agent.id());
  first_receivers_.served(s.member, agent.id(), now);
  const std::string sid = external_id('s', s.id);
  if (auto* e = history_.add(out, now, &s.origin)) {
    auto* l = e->mutable_leg_started();
    l->set_session_id(sid);
    l->set_leg(static_cast<std::uint32_t>(s.legs.size()));
    l->set_agent_id(agent.id());
    l->set_clock_started_at_ms(clock_start);
  }
  v1::Assigned as;
  as.set_session_id(sid);
  as.set_agent_id(agent.id());
  as.set_member_id(s.member);
  as.set_skill(s.skill);
  as.set_tier(s.tier);
  as.set_transfer(s.legs.size() > 1);
  set_time(as.mutable_clock_started_at(), clock_start);
  auto to_customer = make_message();
  *to_customer->mutable_assigned() = as;
  for (const auto& m : s.transcript) *as.add_history() = m;
  for (const auto& e : first_receivers_.earlier(s.member, now)) {
    if (e.session_id == sid) continue;  // this session's own earlier leg
    auto* es = as.add_earlier_sessions();
    es->set_session_id(e.session_id);
    es->set_agent_id(e.agent);
    es->set_skill(e.skill);
    set_time(es->mutable_started_at(), e.at);
  }
  if (s.legs.size() == 1) first_receivers_.session_started(s.member, {sid, agent.id(), s.skill, now});
  auto to_agent = make_message();
  *to_agent->mutable_assigned() = std::move(as);
  deliver(out, v1::ROLE_CUSTOMER, s.member, to_customer);
  deliver(out, v1::ROLE_AGENT, agent.id(), to_agent);
  deliver_watchers(out, s, to_agent);
  Clock& c = clocks_.at(clock);
  if (clocks_.warning_due(c, now)) send_warning(now, c, sid, agent.id(), out);
  announce_agent(now, agent, out);
}

void ShopEngine::end_leg(TimeMs now, Session& s, bool transferred_out, Output& out) {
  Leg& leg = s.legs.back();
  leg.transferred_out = transferred_out;
  if (auto* e = history_.add(out, now, &s.origin)) {
    auto* l = e->mutable_leg_ended();
    l->set_session_id(external_id('s', s.id));
    l->set_leg(static_cast<std::uint32_t>(s.legs.size()));
    l->set_agent_id(leg.agent);
    l->set_transferred_out(transferred_out);
  }
  const auto erased = agents_.at(leg.agent).sessions.erase(s.id);
  assert(erased == 1);
  (void)erased;
}

void ShopEngine::stop_clock(Session& s) {
  if (s.clock == 0) return;
  clocks_.stop(s.clock);
  s.clock = 0;
}

// ------------------------------------------------------------------ texts

void ShopEngine::append(Session& s, v1::ChatMessage m, Output& out, bool to_customer, bool to_agent) {
  m.set_seq(++s.message_seq);
  if (config_.limits.transcript_messages_max > 0) {  // none kept: the simulator's case
    s.transcript.push_back(m);
    while (s.transcript.size() > config_.limits.transcript_messages_max) s.transcript.pop_front();
  }
  if (auto* e = history_.add(out, time_of(m.at()), &s.origin)) {
    auto* c = e->mutable_chat_message();
    c->set_session_id(m.session_id());
    c->set_sender(m.sender());
    c->set_sender_id(m.sender_id());
    c->set_text(m.text());
  }
  auto msg = make_message();
  *msg->mutable_chat_message() = std::move(m);
  if (to_customer) deliver(out, v1::ROLE_CUSTOMER, s.member, msg);
  if (to_agent) deliver(out, v1::ROLE_AGENT, s.agent(), msg);
  deliver_watchers(out, s, msg);
}

void ShopEngine::on_agent_text(TimeMs now, const Actor& a, const v1::SendText& m, Output& out) {
  Session* s = find_session(m.session_id());
  if (s == nullptr || !s->open()) {
    reply_error(out, v1::ERROR_CODE_NOT_FOUND, "no open session \"" + m.session_id() + "\" in shop " + config_.id);
    return;
  }
  if (s->waiting() || s->agent() != a.person) {
    reply_error(out, v1::ERROR_CODE_FORBIDDEN, "session " + m.session_id() + " is not agent " + a.person + "'s");
    return;
  }
  Leg& leg = s->legs.back();
  if (leg.first_reply_at < 0) {  // the first human reply of this leg stops its clock
    leg.first_reply_at = now;
    if (sink_ != nullptr)
      sink_->observe(config_.id, s->origin.skill, Histogram::first_response_seconds,
                     static_cast<double>(now - leg.clock_start) / 1000.0);
    stop_clock(*s);
    if (auto* e = history_.add(out, now, &s->origin)) {
      auto* r = e->mutable_leg_first_reply();
      r->set_session_id(m.session_id());
      r->set_leg(static_cast<std::uint32_t>(s->legs.size()));
      r->set_agent_id(a.person);
    }
  }
  s->agent_wrote = true;
  s->customer_waiting_since = -1;
  v1::ChatMessage cm;
  cm.set_session_id(m.session_id());
  cm.set_sender(v1::SENDER_AGENT);
  cm.set_sender_id(a.person);
  cm.set_text(m.text());
  set_time(cm.mutable_at(), now);
  append(*s, cm, out, true, false);
  mark_valid_if_both_wrote(now, *s, out);
  reply_ack(out, m.session_id());
}

// ------------------------------------------------------------------ transfers

void ShopEngine::on_transfer(TimeMs now, const Actor& a, const v1::Transfer& m, Output& out) {
  Session* s = find_session(m.session_id());
  if (s == nullptr || !s->open()) {
    reply_error(out, v1::ERROR_CODE_NOT_FOUND, "no open session \"" + m.session_id() + "\" in shop " + config_.id);
    return;
  }
  if (s->waiting()) {
    reply_error(out, v1::ERROR_CODE_INVALID_STATE, "session " + m.session_id() + " is already waiting in the " + s->skill + " queue");
    return;
  }
  if (a.role == v1::ROLE_AGENT && s->agent() != a.person) {
    reply_error(out, v1::ERROR_CODE_FORBIDDEN, "session " + m.session_id() + " is not agent " + a.person + "'s");
    return;
  }
  if (m.to_agent_id().empty() == m.to_skill().empty()) {
    reply_error(out, v1::ERROR_CODE_INVALID_ARGUMENT, "transfer needs exactly one of to_agent_id and to_skill");
    return;
  }
  if (!m.to_skill().empty()) {
    if (config_.find_skill(m.to_skill()) == nullptr) {
      reply_error(out, v1::ERROR_CODE_NOT_FOUND, "shop " + config_.id + " has no skill \"" + m.to_skill() + "\"");
      return;
    }
    supervisor_action(now, a, v1::SUPERVISOR_ACTION_KIND_TRANSFER, m.session_id(), s->agent(), "to skill " + m.to_skill(), out);
    requeue(now, *s, m.to_skill(), out);
    reply_ack(out, m.session_id());
    dispatch(now, out);
    refresh_queue(out);
    return;
  }
  AgentState* target = agents_.find(m.to_agent_id());
  if (target == nullptr) {
    reply_error(out, v1::ERROR_CODE_NOT_FOUND, "no agent \"" + m.to_agent_id() + "\" in shop " + config_.id);
    return;
  }
  if (target->id() == s->agent()) {
    reply_error(out, v1::ERROR_CODE_INVALID_ARGUMENT, "session " + m.session_id() + " is already with agent " + s->agent());
    return;
  }
  if (!can_take(*target, now, config_.hours.zone())) {
    reply_error(out, v1::ERROR_CODE_INVALID_STATE,
                "agent " + target->id() + " cannot take a session now: " + why_not(*target, now, config_.hours.zone()));
    return;
  }
  transfer_to_agent(now, a, *s, *target, out);
  reply_ack(out, m.session_id());
}

// To a named agent: the leg ends (transferred out) and the next starts at once with a new clock.
void ShopEngine::transfer_to_agent(TimeMs now, const Actor& a, Session& s, AgentState& target, Output& out) {
  const std::string from = s.agent();
  const std::string sid = external_id('s', s.id);
  supervisor_action(now, a, v1::SUPERVISOR_ACTION_KIND_TRANSFER, sid, from, "to agent " + target.id(), out);
  end_leg(now, s, true, out);
  stop_clock(s);
  const std::uint64_t clock = start_clock(now, 0, s.id, out);
  auto msg = make_message();
  auto* t = msg->mutable_transferred();
  t->set_session_id(sid);
  t->set_from_agent_id(from);
  t->set_to_agent_id(target.id());
  deliver(out, v1::ROLE_CUSTOMER, s.member, msg);
  deliver(out, v1::ROLE_AGENT, from, msg);
  deliver_watchers(out, s, msg);
  start_leg(now, s, target, now, clock, out);
  announce_agent(now, agents_.at(from), out);
  dispatch(now, out);
  refresh_queue(out);
}

// To a skill, or handed back: the leg ends and the session waits at the front of its tier.
void ShopEngine::requeue(TimeMs now, Session& s, const std::string& skill, Output& out) {
  assert(s.open() && !s.waiting());
  const std::string from = s.agent();
  end_leg(now, s, true, out);
  stop_clock(s);
  Request r;
  r.id = next_id_++;
  r.member = s.member;
  r.skill = skill;
  r.tier = s.tier;
  r.origin = s.origin;
  r.begun_at = s.begun_at;
  r.enqueued_at = now;
  r.seq = 0;  // handed-back and transferred chats go to the front of their tier
  r.session = s.id;
  r.clock = start_clock(now, r.id, s.id, out);
  if (const SkillConfig* sc = config_.find_skill(skill); sc != nullptr && !sc->overflow_skill.empty())
    timer(out, now + sc->overflow_after_ms, TimerKind::overflow, r.id);
  s.waiting_request = r.id;
  s.skill = skill;
  auto msg = make_message();
  auto* t = msg->mutable_transferred();
  t->set_session_id(external_id('s', s.id));
  t->set_from_agent_id(from);
  t->set_to_skill(skill);
  deliver(out, v1::ROLE_CUSTOMER, s.member, msg);
  deliver(out, v1::ROLE_AGENT, from, msg);
  deliver_watchers(out, s, msg);
  queue_.add(std::move(r));
}

// ------------------------------------------------------------------ the close

void ShopEngine::on_close(TimeMs now, const Actor& a, const v1::CloseSession& m, Output& out) {
  Session* s = find_session(m.session_id());
  if (s == nullptr || (a.role == v1::ROLE_CUSTOMER && s->member != a.person)) {
    reply_error(out, v1::ERROR_CODE_NOT_FOUND, "no session \"" + m.session_id() + "\" to close");
    return;
  }
  if (!s->open()) {
    reply_error(out, v1::ERROR_CODE_INVALID_STATE, "session " + m.session_id() + " is already closed");
    return;
  }
  if (a.role == v1::ROLE_AGENT && (s->waiting() || s->agent() != a.person)) {
    reply_error(out, v1::ERROR_CODE_FORBIDDEN, "session " + m.session_id() + " is not agent " + a.person + "'s");
    return;
  }
  const v1::CloseReason reason = a.role == v1::ROLE_AGENT      ? v1::CLOSE_REASON_AGENT
                                 : a.role == v1::ROLE_CUSTOMER ? v1::CLOSE_REASON_CUSTOMER
                                                               : v1::CLOSE_REASON_SUPERVISOR;
  supervisor_action(now, a, v1::SUPERVISOR_ACTION_KIND_CLOSE_SESSION, m.session_id(), s->current_agent(), "", out);
  close_session(now, *s, reason, out);
  reply_ack(out, m.session_id());
}

// Judged once, here, on the last leg: a session closed while waiting for its next leg is
// judged unanswered, on no agent.
void ShopEngine::close_session(TimeMs now, Session& s, v1::CloseReason reason, Output& out) {
  assert(s.open());
  std::string agent;
  bool responded = false;
  if (s.waiting()) {
    Request& r = queue_.at(s.waiting_request);
    clocks_.stop(r.clock);
    queue_.remove(r.id);
    s.waiting_request = 0;
  } else {
    const Leg& leg = s.legs.back();
    agent = leg.agent;
    responded = clocks_.within(leg.clock_start, leg.first_reply_at);
    end_leg(now, s, false, out);
    stop_clock(s);
  }
  book_.session_judged(s.origin, agent, responded);
  if (bug_ == InjectedBug::judge_transferred_twice && s.legs.size() > 1) book_.session_judged(s.origin, agent, responded);
  if (s.valid) book_.agent_session_valid(s.origin, agent);
  if (auto* e = history_.add(out, now, &s.origin)) {
    auto* c = e->mutable_session_closed();
    c->set_session_id(external_id('s', s.id));
    c->set_member_id(s.member);
    c->set_reason(reason);
    c->set_judged_agent_id(agent);
    c->set_responded_45s(responded);
  }
  s.closed_at = now;
  sessions_.closed();
  if (Chat* chat = find_chat(s.member); chat != nullptr && chat->session == s.id) {
    chat->state = ChatState::entered;
    chat->session = 0;
  }
  auto msg = make_message();
  auto* c = msg->mutable_session_closed();
  c->set_session_id(external_id('s', s.id));
  c->set_reason(reason);
  set_time(c->mutable_at(), now);
  c->set_rating_window_s(static_cast<std::uint32_t>(config_.thresholds.rating_window_ms / 1000));
  deliver(out, v1::ROLE_CUSTOMER, s.member, msg);
  if (!agent.empty()) deliver(out, v1::ROLE_AGENT, agent, msg);
  deliver_watchers(out, s, msg);
  s.watchers.clear();
  // Only an open session is resumed or watched: its transcript is not read again, and a peak
  // day holds thousands of closed sessions through their rating windows.
  std::deque<v1::ChatMessage>().swap(s.transcript);
  timer(out, now + config_.thresholds.rating_window_ms, TimerKind::rating_window_close, s.id);
  if (!agent.empty()) announce_agent(now, agents_.at(agent), out);
  dispatch(now, out);
  refresh_queue(out);
}

// ------------------------------------------------------------------ listening in, reminders, alerts

void ShopEngine::on_watch(TimeMs now, const Actor& a, const v1::WatchSession& m, Output& out) {
  Session* s = find_session(m.session_id());
  if (s == nullptr || !s->open()) {
    reply_error(out, v1::ERROR_CODE_NOT_FOUND, "no open session \"" + m.session_id() + "\" in shop " + config_.id);
    return;
  }
  if (m.stop()) {
    if (s->watchers.erase(a.person) > 0)
      supervisor_action(now, a, v1::SUPERVISOR_ACTION_KIND_STOP_WATCHING, m.session_id(), s->current_agent(), "", out);
    reply_ack(out, m.session_id());
    return;
  }
  if (s->watchers.insert(a.person).second)
    supervisor_action(now, a, v1::SUPERVISOR_ACTION_KIND_WATCH_SESSION, m.session_id(), s->current_agent(), "", out);
  reply_ack(out, m.session_id());
  for (const auto& cm : s->transcript) {
    auto msg = make_message();
    *msg->mutable_chat_message() = cm;
    deliver(out, v1::ROLE_SUPERVISOR, a.person, msg);
  }
}

// The customer has waited for the agent's next message longer than check_back_s: remind the
// agent, and again every check_back_s while it waits (the training manuals' 3 minutes).
void ShopEngine::on_check_back(TimeMs now, const TimerKey& key, Output& out) {
  Session* s = sessions_.find(key.id);
  if (s == nullptr || !s->open() || s->check_back_generation != key.generation || s->customer_waiting_since < 0) return;
  if (!s->waiting()) {
    auto msg = make_message();
    msg->mutable_check_back_reminder()->set_session_id(external_id('s', s->id));
    msg->mutable_check_back_reminder()->set_customer_waiting_ms(static_cast<std::uint32_t>(now - s->customer_waiting_since));
    deliver(out, v1::ROLE_AGENT, s->agent(), msg);
  }
  timer(out, now + config_.thresholds.check_back_ms, TimerKind::check_back, s->id, s->check_back_generation);
}

void ShopEngine::on_long_session(TimeMs now, const TimerKey& key, Output& out) {
  const Session* s = sessions_.find(key.id);
  if (s == nullptr || !s->open()) return;
  auto msg = make_message();
  auto* l = msg->mutable_long_session_alert();
  l->set_session_id(external_id('s', s->id));
  l->set_agent_id(s->current_agent());
  l->set_duration_ms(static_cast<std::uint32_t>(now - s->connected_at));
  deliver_supervisors(out, msg);
}

}  // namespace sb::core
