// Routing half of ShopEngine: who waits where, who may take whom, and the supervisor's view.
#include <algorithm>
#include <cassert>

#include "proto_time.hpp"
#include "shop_engine.hpp"

namespace sb::core {

namespace v1 = switchboard::v1;

namespace {

bool has_skill(const AgentConfig& a, const std::string& skill) {
  return std::find(a.skills.begin(), a.skills.end(), skill) != a.skills.end();
}

}  // namespace

std::uint32_t ShopEngine::sessions_today(TimeMs now, const Agent& agent) const {
  return agent.cap_day == to_local(now, config_.hours.utc_offset_minutes()).day ? agent.sessions_today : 0;
}

void ShopEngine::enqueue(Request& r) {
  const auto inserted = waiting_.emplace(static_cast<int>(r.tier), r.seq, r.id).second;
  assert(inserted);
  (void)inserted;
}

void ShopEngine::dequeue(const Request& r) {
  const auto erased = waiting_.erase({static_cast<int>(r.tier), r.seq, r.id});
  assert(erased == 1);
  (void)erased;
}

bool ShopEngine::eligible(TimeMs now, const Agent& agent, const Request& r) const {
  if (agent.status != v1::AGENT_STATUS_ONLINE || agent.detached || agent.sessions.size() >= agent.window) return false;
  if (sessions_today(now, agent) >= agent.config->daily_cap) return false;
  if (!r.held_for.empty() && now < r.hold_until) return agent.config->id == r.held_for;
  if (has_skill(*agent.config, r.skill)) return true;
  const SkillConfig* sc = config_.find_skill(r.skill);
  return sc != nullptr && !sc->overflow_skill.empty() && now >= r.enqueued_at + sc->overflow_after_ms &&
         has_skill(*agent.config, sc->overflow_skill);
}

ShopEngine::Agent* ShopEngine::pick_agent(TimeMs now, const Request& r) {
  const std::size_t n = agents_in_order_.size();
  if (config_.strategy == Strategy::round_robin) {
    for (std::size_t i = 0; i < n; ++i) {
      Agent* a = agents_in_order_[(round_robin_next_ + i) % n];
      if (eligible(now, *a, r)) {
        round_robin_next_ = (a->order + 1) % n;
        return a;
      }
    }
    return nullptr;
  }
  Agent* best = nullptr;
  for (Agent* a : agents_in_order_) {
    if (!eligible(now, *a, r)) continue;
    if (best == nullptr) {
      best = a;
      continue;
    }
    if (config_.strategy == Strategy::fewest_active && a->sessions.size() != best->sessions.size()) {
      if (a->sessions.size() < best->sessions.size()) best = a;
      continue;
    }
    if (a->idle_since < best->idle_since) best = a;  // ties keep config order
  }
  return best;
}

void ShopEngine::dispatch(TimeMs now, Output& out) {
  // Each pass assigns the first waiting request (highest tier, then oldest) some agent can take.
  for (;;) {
    const bool any_room = std::any_of(agents_in_order_.begin(), agents_in_order_.end(), [&](const Agent* a) {
      return a->status == v1::AGENT_STATUS_ONLINE && a->sessions.size() < a->window &&
             sessions_today(now, *a) < a->config->daily_cap;
    });
    if (!any_room) return;
    bool assigned = false;
    for (const auto& [tier, seq, id] : waiting_) {
      Request& r = requests_.at(id);
      if (Agent* agent = pick_agent(now, r)) {
        assign(now, r, *agent, out);
        assigned = true;
        break;
      }
    }
    if (!assigned) return;
  }
}

void ShopEngine::assign(TimeMs now, Request& r, Agent& agent, Output& out) {
  dequeue(r);
  Clock& clock = clocks_.at(r.clock);
  if (r.session == 0) {
    Session s;
    s.id = next_id_++;
    s.member = r.member;
    s.skill = r.skill;
    s.tier = r.tier;
    s.origin = r.origin;
    s.begun_at = r.begun_at;
    s.connected_at = now;
    s.customer_wrote = true;  // the first message started the request
    for (auto& m : r.pending) {
      // Written while queued: part of the transcript from the session's first moment.
      m.set_session_id(external_id('s', s.id));
      auto& e = event(out, time_of(m.at()), v1::EVENT_KIND_CHAT_MESSAGE, &s.origin);
      e.set_session_id(m.session_id());
      e.set_number(m.sender());
      e.set_member_id(m.sender_id());
      e.set_text(m.text());
      m.set_seq(++s.message_seq);
      s.transcript.push_back(std::move(m));
    }
    s.customer_waiting_since = r.begun_at;
    s.check_back_generation = 1;
    ++sessions_open_;
    book_.session_connected(s.origin);
    auto& e = event(out, now, v1::EVENT_KIND_SESSION_CONNECTED, &s.origin);
    e.set_session_id(external_id('s', s.id));
    e.set_request_id(external_id('r', r.id));
    e.set_member_id(s.member);
    e.set_agent_id(agent.config->id);
    e.set_tier(static_cast<std::uint32_t>(s.tier));
    e.set_at2_ms(r.begun_at);
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
    sessions_.emplace(s.id, std::move(s));
  } else {
    // Messages the customer wrote while the session waited are already in its transcript.
    sessions_.at(r.session).waiting_request = 0;
  }
  Session& s = sessions_.at(r.session);
  clock.request = 0;
  clock.session = s.id;
  const TimeMs clock_start = clock.start;
  const std::uint64_t clock_id = r.clock;
  requests_.erase(r.id);
  start_leg(now, s, agent, clock_start, clock_id, out);
}

void ShopEngine::refresh_queue(Output& out) {
  std::map<std::string, std::uint32_t> length;
  for (const auto& [tier, seq, id] : waiting_) ++length[requests_.at(id).skill];
  std::map<std::string, std::uint32_t> position;
  for (const auto& [tier, seq, id] : waiting_) {
    Request& r = requests_.at(id);
    const std::uint32_t pos = ++position[r.skill];
    if (pos == r.last_position_sent) continue;
    r.last_position_sent = pos;
    auto msg = std::make_shared<v1::ServerMessage>();
    auto* q = msg->mutable_queued();
    q->set_request_id(r.session == 0 ? external_id('r', r.id) : external_id('s', r.session));
    q->set_skill(r.skill);
    q->set_position(pos);
    q->set_queue_length(length[r.skill]);
    deliver(out, v1::ROLE_CUSTOMER, r.member, msg);
  }
  refresh_gauges();
}

void ShopEngine::refresh_gauges() {
  if (sink_ == nullptr) return;
  std::map<std::string, std::pair<std::uint32_t, TimeMs>> queues;  // length, oldest enqueue
  for (const auto& s : config_.skills) queues[s.name] = {0, 0};
  for (const auto& [tier, seq, id] : waiting_) {
    const Request& r = requests_.at(id);
    auto& q = queues[r.skill];
    ++q.first;
    if (q.second == 0 || r.enqueued_at < q.second) q.second = r.enqueued_at;
  }
  for (const auto& [skill, q] : queues) {
    sink_->set(config_.id, skill, Gauge::queue_length, q.first);
    sink_->set(config_.id, skill, Gauge::queue_oldest_enqueued_ms, static_cast<double>(q.second));
  }
  int paused = 0;
  for (const Agent* a : agents_in_order_) paused += a->status == v1::AGENT_STATUS_PAUSED ? 1 : 0;
  sink_->set(config_.id, "", Gauge::agents_online, agents_online_);
  sink_->set(config_.id, "", Gauge::agents_paused, paused);
  sink_->set(config_.id, "", Gauge::sessions_open, static_cast<double>(sessions_open_));
}

v1::WaitReason ShopEngine::wait_reason(TimeMs now, const Request& r) const {
  if (!r.held_for.empty() && now < r.hold_until) return v1::WAIT_REASON_HELD_FOR_FIRST_RECEIVER;
  const SkillConfig* sc = config_.find_skill(r.skill);
  const bool overflow_open = sc != nullptr && !sc->overflow_skill.empty() && now >= r.enqueued_at + sc->overflow_after_ms;
  bool any_online = false, any_window_room = false, any_eligible = false;
  for (const Agent* a : agents_in_order_) {
    const bool skilled = has_skill(*a->config, r.skill) || (overflow_open && has_skill(*a->config, sc->overflow_skill));
    if (!skilled || a->status != v1::AGENT_STATUS_ONLINE) continue;
    any_online = true;
    if (a->sessions.size() >= a->window) continue;
    any_window_room = true;
    if (sessions_today(now, *a) < a->config->daily_cap) any_eligible = true;
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
  std::map<std::string, v1::QueueView*> queues;
  for (const auto& s : config_.skills) {
    auto* q = v.add_queues();
    q->set_skill(s.name);
    queues[s.name] = q;
  }
  for (const auto& [tier, seq, id] : waiting_) {
    const Request& r = requests_.at(id);
    v1::QueueView* q = queues.at(r.skill);
    auto* w = q->add_waiting();
    w->set_request_id(external_id(r.session == 0 ? 'r' : 's', r.session == 0 ? r.id : r.session));
    w->set_member_id(r.member);
    w->set_tier(r.tier);
    w->set_position(static_cast<std::uint32_t>(q->waiting_size()));
    const auto wait = static_cast<std::uint32_t>(now - r.enqueued_at);
    w->set_wait_ms(wait);
    w->set_reason(wait_reason(now, r));
    if (w->reason() == v1::WAIT_REASON_HELD_FOR_FIRST_RECEIVER) w->set_held_for_agent_id(r.held_for);
    q->set_longest_wait_ms(std::max(q->longest_wait_ms(), wait));
  }
  for (const Agent* a : agents_in_order_) *v.add_agents() = agent_view(now, *a);
  std::vector<const Session*> open;
  for (const auto& [id, s] : sessions_)
    if (s.open()) open.push_back(&s);
  std::sort(open.begin(), open.end(), [](const Session* a, const Session* b) { return a->id < b->id; });
  for (const Session* s : open) {
    auto* sv = v.add_sessions();
    sv->set_session_id(external_id('s', s->id));
    sv->set_member_id(s->member);
    sv->set_agent_id(s->waiting_request == 0 ? s->agent() : std::string());
    sv->set_skill(s->skill);
    set_time(sv->mutable_started_at(), s->connected_at);
    sv->set_first_reply_pending(s->clock != 0 || s->waiting_request != 0);
    sv->set_legs(static_cast<std::uint32_t>(s->legs.size()));
  }
  return v;
}

v1::ShopFigures ShopEngine::figures(DayNumber day, TimeMs now) const { return book_.snapshot(day, now, online_since_); }

bool ShopEngine::check_invariants(std::string& why) const {
  auto fail = [&](std::string text) {
    why = config_.id + ": " + std::move(text);
    return false;
  };
  if (waiting_.size() != requests_.size()) return fail("waiting set and requests differ in size");
  for (const auto& [tier, seq, id] : waiting_) {
    auto it = requests_.find(id);
    if (it == requests_.end()) return fail("waiting entry without request");
    if (clocks_.count(it->second.clock) == 0) return fail("waiting request without running clock");
  }
  std::size_t open = 0;
  for (const auto& [id, s] : sessions_) {
    if (!s.open()) continue;
    ++open;
    if (s.legs.empty()) return fail("open session without leg");
    if (s.waiting_request != 0) {
      if (requests_.count(s.waiting_request) == 0) return fail("session waits on a missing request");
    } else if (agents_.at(s.agent()).sessions.count(id) == 0) {
      return fail("session missing from its agent's set");
    }
  }
  if (open != sessions_open_) return fail("sessions_open_ is " + std::to_string(sessions_open_) + ", counted " + std::to_string(open));
  int online = 0;
  for (const auto& [aid, a] : agents_) {
    online += a.status == v1::AGENT_STATUS_ONLINE ? 1 : 0;
    for (std::uint64_t sid : a.sessions) {
      auto it = sessions_.find(sid);
      if (it == sessions_.end() || !it->second.open() || it->second.waiting_request != 0 || it->second.agent() != aid)
        return fail("agent " + aid + " holds a session that is not its own");
    }
    if (a.status == v1::AGENT_STATUS_OFFLINE && !a.sessions.empty()) return fail("offline agent " + aid + " holds sessions");
    if (a.detached && (a.connections > 0 || a.status == v1::AGENT_STATUS_OFFLINE))
      return fail("agent " + aid + " is held for a reconnect while connected or offline");
  }
  std::size_t detached = 0;
  for (const auto& [member, c] : chats_) {
    if (c.member != member) return fail("chat of " + member + " names " + c.member);
    if (c.detached) {
      ++detached;
      if (c.connections > 0) return fail("chat of " + member + " is held for a reconnect while connected");
      if (detached_chats_.count(c.id) == 0) return fail("held chat of " + member + " has no grace entry");
    } else if (c.connections == 0) {
      return fail("chat of " + member + " has no connection and is not held");
    }
  }
  if (detached != detached_chats_.size()) return fail("grace entries without a held chat");
  if (online != agents_online_) return fail("agents_online_ mismatch");
  if ((agents_online_ > 0) != (online_since_ >= 0)) return fail("online interval bookkeeping mismatch");
  return true;
}

}  // namespace sb::core
