#include "shop_engine.hpp"

#include <algorithm>
#include <cassert>
#include <charconv>

#include "proto_time.hpp"

namespace sb::core {

namespace v1 = switchboard::v1;

namespace {

constexpr std::uint32_t window_sessions_max = 50;
constexpr std::size_t left_messages_list_max = 1000;
// Days of figures the API answers from memory; older ones come from PostgreSQL's views. Past
// every window that can still change a day (ratings 7 days at most, attribution 30 days).
constexpr DayNumber figures_days_kept = 62;

std::shared_ptr<v1::ServerMessage> make_msg() { return std::make_shared<v1::ServerMessage>(); }

const char* status_name(v1::AgentStatus s) {
  switch (s) {
    case v1::AGENT_STATUS_ONLINE: return "online";
    case v1::AGENT_STATUS_PAUSED: return "paused";
    default: return "offline";
  }
}

}  // namespace

ShopEngine::ShopEngine(ShopConfig config, std::uint32_t index, std::string id_prefix, CounterSink* sink)
    : config_(std::move(config)), index_(index), id_prefix_(std::move(id_prefix)), sink_(sink), book_(config_, sink_) {
  assert(!config_.id.empty());
  assert(config_.find_skill(config_.default_skill) != nullptr);
  std::size_t order = 0;
  for (const auto& ac : config_.agents) {
    Agent a;
    a.config = &ac;
    a.window = ac.window;
    a.order = order++;
    auto [it, inserted] = agents_.emplace(ac.id, a);
    assert(inserted);
    agents_in_order_.push_back(&it->second);
  }
}

// ------------------------------------------------------------------ helpers

std::string ShopEngine::external_id(char kind, std::uint64_t n) const {
  return id_prefix_ + kind + std::to_string(n);
}

std::uint64_t ShopEngine::internal_id(char kind, const std::string& id) const {
  if (id.size() <= id_prefix_.size() + 1 || id.compare(0, id_prefix_.size(), id_prefix_) != 0 ||
      id[id_prefix_.size()] != kind)
    return 0;
  std::uint64_t n = 0;
  const char* first = id.data() + id_prefix_.size() + 1;
  const char* last = id.data() + id.size();
  auto [ptr, ec] = std::from_chars(first, last, n);
  if (ec != std::errc{} || ptr != last) return 0;
  return n;
}

ShopEngine::Session* ShopEngine::find_session(const std::string& id) {
  auto it = sessions_.find(internal_id('s', id));
  return it == sessions_.end() ? nullptr : &it->second;
}

ShopEngine::Agent* ShopEngine::find_agent(const std::string& id) {
  auto it = agents_.find(id);
  return it == agents_.end() ? nullptr : &it->second;
}

Origin ShopEngine::origin_of(TimeMs t, const std::string& skill) const {
  const LocalTime lt = to_local(t, config_.hours.utc_offset_minutes());
  return Origin{lt.day, lt.hour(), skill};
}

void ShopEngine::reply_error(Output& out, v1::ErrorCode code, std::string text) const {
  v1::ServerMessage m;
  m.mutable_error()->set_code(code);
  m.mutable_error()->set_message(std::move(text));
  out.reply = std::move(m);
}

void ShopEngine::reply_ack(Output& out, std::string id) const {
  v1::ServerMessage m;
  m.mutable_ack()->set_id(std::move(id));
  out.reply = std::move(m);
}

void ShopEngine::deliver(Output& out, v1::Role role, const std::string& id,
                         std::shared_ptr<const v1::ServerMessage> msg) const {
  assert(!id.empty());
  out.deliveries.push_back(Delivery{config_.id, PersonKey{role, id}, std::move(msg)});
}

void ShopEngine::deliver_supervisors(Output& out, std::shared_ptr<const v1::ServerMessage> msg) const {
  deliver(out, v1::ROLE_SUPERVISOR, all_supervisors, std::move(msg));
}

void ShopEngine::deliver_watchers(Output& out, const Session& s, std::shared_ptr<const v1::ServerMessage> msg) const {
  for (const auto& w : s.watchers) deliver(out, v1::ROLE_SUPERVISOR, w, msg);
}

void ShopEngine::timer(Output& out, TimeMs due, TimerKind kind, std::uint64_t id, std::uint64_t generation) const {
  out.timers.push_back(TimerRequest{due, TimerKey{index_, kind, id, generation}});
}

v1::AgentView ShopEngine::agent_view(TimeMs now, const Agent& a) const {
  v1::AgentView v;
  v.set_agent_id(a.config->id);
  v.set_status(a.status);
  for (const auto& s : a.config->skills) v.add_skills(s);
  v.set_window(a.window);
  v.set_active_sessions(static_cast<std::uint32_t>(a.sessions.size()));
  v.set_sessions_today(sessions_today(now, a));
  v.set_daily_cap(a.config->daily_cap);
  v.set_connected(a.connections > 0);
  return v;
}

void ShopEngine::announce_agent(TimeMs now, const Agent& a, Output& out) const {
  auto msg = make_msg();
  *msg->mutable_agent_changed()->mutable_agent() = agent_view(now, a);
  deliver(out, v1::ROLE_AGENT, a.config->id, msg);
  deliver_supervisors(out, msg);
}

v1::HistoryEvent& ShopEngine::event(Output& out, TimeMs now, v1::EventKind kind, const Origin* origin) {
  if (!record_history_) {
    scratch_event_.Clear();
    return scratch_event_;
  }
  v1::HistoryEvent& e = out.events.emplace_back();
  e.set_event_id(external_id('e', next_event_++));
  e.set_shop_id(config_.id);
  e.set_kind(kind);
  e.set_at_ms(now);
  if (origin != nullptr) {
    e.set_day(format_date(origin->day));
    e.set_hour(static_cast<std::uint32_t>(origin->hour));
    e.set_skill(origin->skill);
  }
  return e;
}

void ShopEngine::supervisor_action(TimeMs now, const Actor& a, const char* action, const std::string& session_id,
                                   const std::string& target, std::string detail, Output& out) {
  if (a.role != v1::ROLE_SUPERVISOR) return;
  auto& e = event(out, now, v1::EVENT_KIND_SUPERVISOR_ACTION);
  e.set_agent_id(a.person);
  e.set_ref_id(action);
  e.set_session_id(session_id);
  e.set_target_id(target);
  e.set_text(std::move(detail));
}

void ShopEngine::accrue_online(TimeMs from, TimeMs to, Output& out) {
  for (const auto& [day, ms] : book_.online(from, to)) {
    auto& e = event(out, to, v1::EVENT_KIND_SHOP_ONLINE);
    e.set_day(format_date(day));
    e.set_at2_ms(ms);
  }
}

void ShopEngine::online_changed(TimeMs now, int delta, Output& out) {
  const int before = agents_online_;
  agents_online_ += delta;
  assert(agents_online_ >= 0 && agents_online_ <= static_cast<int>(agents_.size()));
  if (before == 0 && agents_online_ > 0) online_since_ = now;
  if (before > 0 && agents_online_ == 0) {
    accrue_online(online_since_, now, out);
    online_since_ = -1;
  }
}

// ------------------------------------------------------------------ lifecycle entry points

void ShopEngine::start(TimeMs now, Output& out) {
  const int offset_ms = config_.hours.utc_offset_minutes() * 60'000;
  const TimeMs next = ((now + offset_ms) / ms_per_hour + 1) * ms_per_hour - offset_ms;
  timer(out, next, TimerKind::hour_boundary, 0);
  refresh_gauges();
}

void ShopEngine::person_joined(TimeMs now, const Actor& given, Output& out, const v1::Hello* hello) {
  assert(given.shop == config_.id);
  Actor a = given;
  bool resumed = false;
  switch (a.role) {
    case v1::ROLE_CUSTOMER: {
      // A new guest is named here, never by the client: ids are the shop's, like session ids.
      if (a.person.empty()) {
        assert(a.guest);
        a.person = external_id('g', next_id_++);
      }
      Chat& chat = chats_[a.person];
      if (chat.id == 0) {
        chat.id = next_chat_id_++;
        chat.member = a.person;
      }
      // The tier is the token's; a chat already queued or in session keeps the one it began with.
      if (chat.state == ChatState::idle || chat.state == ChatState::entered)
        chat.tier = a.tier == v1::TIER_UNSPECIFIED ? v1::TIER_C : a.tier;
      ++chat.connections;
      if (chat.detached) {
        chat.detached = false;
        ++chat.grace_generation;  // its grace timer now finds nothing to do
        detached_chats_.erase(chat.id);
        resumed = true;
      }
      break;
    }
    case v1::ROLE_AGENT: {
      Agent* agent = find_agent(a.person);
      if (agent == nullptr) {
        reply_error(out, v1::ERROR_CODE_NOT_FOUND, "agent " + a.person + " is not configured in shop " + config_.id);
        return;
      }
      ++agent->connections;
      if (agent->detached) {
        agent->detached = false;
        ++agent->grace_generation;
        resumed = true;
      }
      break;
    }
    case v1::ROLE_SUPERVISOR: ++supervisors_[a.person]; break;
    default:
      reply_error(out, v1::ERROR_CODE_INVALID_ARGUMENT, "hello.role must be customer, agent or supervisor");
      return;
  }
  v1::ServerMessage m;
  auto* w = m.mutable_welcome();
  w->set_role(a.role);
  w->set_shop_id(config_.id);
  w->set_person_id(a.person);
  set_time(w->mutable_server_time(), now);
  w->set_protocol("switchboard.v1");
  w->set_resumed(resumed);
  out.reply = std::move(m);
  send_resumed(a, hello, out);
  if (a.role == v1::ROLE_AGENT) {
    announce_agent(now, *find_agent(a.person), out);
    if (resumed) dispatch(now, out);  // it may take new sessions again
  }
}

void ShopEngine::person_left(TimeMs now, const Actor& a, Output& out, Departure how) {
  const bool hold = how == Departure::dropped && config_.thresholds.reconnect_grace_ms > 0;
  if (a.role == v1::ROLE_CUSTOMER) {
    auto it = chats_.find(a.person);
    if (it == chats_.end()) return;
    Chat& chat = it->second;
    assert(chat.connections > 0);
    if (--chat.connections > 0) return;
    if (hold && (chat.state == ChatState::queued || chat.state == ChatState::in_session)) {
      hold_customer(now, chat, out);
      return;
    }
    end_chat(now, chat, out);
  } else if (a.role == v1::ROLE_AGENT) {
    Agent* agent = find_agent(a.person);
    if (agent == nullptr) return;
    assert(agent->connections > 0);
    if (--agent->connections > 0) return;
    if (hold && agent->status != v1::AGENT_STATUS_OFFLINE) {
      hold_agent(now, *agent, out);
      return;
    }
    set_status(now, *agent, v1::AGENT_STATUS_OFFLINE, out);
  } else if (a.role == v1::ROLE_SUPERVISOR) {
    auto it = supervisors_.find(a.person);
    if (it == supervisors_.end() || --it->second > 0) return;
    supervisors_.erase(it);
    for (auto& [id, s] : sessions_) s.watchers.erase(a.person);
  }
}

void ShopEngine::handle(TimeMs now, const Actor& a, const v1::ClientMessage& msg, Output& out) {
  assert(a.shop == config_.id);
  const bool customer = a.role == v1::ROLE_CUSTOMER, agent = a.role == v1::ROLE_AGENT,
             supervisor = a.role == v1::ROLE_SUPERVISOR;
  auto forbid = [&](const char* what, const char* who) {
    reply_error(out, v1::ERROR_CODE_FORBIDDEN, std::string(what) + " is for " + who);
  };
  switch (msg.body_case()) {
    case v1::ClientMessage::kEnter:
      customer ? on_enter(now, a, msg.enter(), out) : forbid("enter", "customers");
      break;
    case v1::ClientMessage::kSendText:
      (customer || agent) ? on_send_text(now, a, msg.send_text(), out) : forbid("send_text", "customers and agents");
      break;
    case v1::ClientMessage::kCancel: customer ? on_cancel(now, a, out) : forbid("cancel", "customers"); break;
    case v1::ClientMessage::kRate: customer ? on_rate(now, a, msg.rate(), out) : forbid("rate", "customers"); break;
    case v1::ClientMessage::kLeaveMessage:
      customer ? on_leave_message(now, a, msg.leave_message(), out) : forbid("leave_message", "customers");
      break;
    case v1::ClientMessage::kSetAgentStatus:
      (agent || supervisor) ? on_set_status(now, a, msg.set_agent_status(), out)
                            : forbid("set_agent_status", "agents and supervisors");
      break;
    case v1::ClientMessage::kTransfer:
      (agent || supervisor) ? on_transfer(now, a, msg.transfer(), out) : forbid("transfer", "agents and supervisors");
      break;
    case v1::ClientMessage::kCloseSession: on_close(now, a, msg.close_session(), out); break;
    case v1::ClientMessage::kListLeftMessages:
      (agent || supervisor) ? on_list_left(msg.list_left_messages(), out)
                            : forbid("list_left_messages", "agents and supervisors");
      break;
    case v1::ClientMessage::kReplyLeftMessage:
      (agent || supervisor) ? on_reply_left(now, a, msg.reply_left_message(), out)
                            : forbid("reply_left_message", "agents and supervisors");
      break;
    case v1::ClientMessage::kGetShopView:
      if (supervisor) {
        v1::ServerMessage m;
        *m.mutable_shop_view() = view(now);
        out.reply = std::move(m);
      } else {
        forbid("get_shop_view", "supervisors");
      }
      break;
    case v1::ClientMessage::kWatchSession:
      supervisor ? on_watch(now, a, msg.watch_session(), out) : forbid("watch_session", "supervisors");
      break;
    case v1::ClientMessage::kSetWindow:
      supervisor ? on_set_window(now, a, msg.set_window(), out) : forbid("set_window", "supervisors");
      break;
    default:
      reply_error(out, v1::ERROR_CODE_UNKNOWN_MESSAGE, "the message has no body this server knows");
      break;
  }
}

// ------------------------------------------------------------------ customer commands

void ShopEngine::on_enter(TimeMs now, const Actor& a, const v1::Enter& m, Output& out) {
  auto it = chats_.find(a.person);
  if (it == chats_.end()) {
    reply_error(out, v1::ERROR_CODE_NOT_AUTHENTICATED, "member " + a.person + " has no connection to shop " + config_.id);
    return;
  }
  Chat& chat = it->second;
  if (chat.state == ChatState::queued) {
    reply_error(out, v1::ERROR_CODE_INVALID_STATE, "already queued as request " + external_id('r', chat.request));
    return;
  }
  if (chat.state == ChatState::in_session) {
    reply_error(out, v1::ERROR_CODE_INVALID_STATE, "already in session " + external_id('s', chat.session));
    return;
  }
  const std::string skill = m.skill().empty() ? config_.default_skill : m.skill();
  if (config_.find_skill(skill) == nullptr) {
    std::string known;
    for (const auto& s : config_.skills) known += (known.empty() ? "" : ", ") + s.name;
    reply_error(out, v1::ERROR_CODE_NOT_FOUND, "shop " + config_.id + " has no skill \"" + skill + "\" (skills: " + known + ")");
    return;
  }
  chat.state = ChatState::entered;
  chat.skill = skill;
  reply_ack(out);
  auto msg = make_msg();
  auto* g = msg->mutable_greeting();
  g->set_text(config_.greeting);
  set_time(g->mutable_at(), now);
  g->set_shop_open(config_.hours.is_open(now));
  g->set_agents_online(agents_online_ > 0);
  deliver(out, v1::ROLE_CUSTOMER, a.person, msg);
}

void ShopEngine::on_send_text(TimeMs now, const Actor& a, const v1::SendText& m, Output& out) {
  if (m.text().empty()) {
    reply_error(out, v1::ERROR_CODE_INVALID_ARGUMENT, "send_text.text is empty");
    return;
  }
  if (m.text().size() > config_.limits.text_bytes_max) {
    reply_error(out, v1::ERROR_CODE_INVALID_ARGUMENT, "send_text.text is " + std::to_string(m.text().size()) +
                                                         " bytes; the limit is " +
                                                         std::to_string(config_.limits.text_bytes_max));
    return;
  }
  if (a.role == v1::ROLE_AGENT) {
    on_agent_text(now, a, m, out);
    return;
  }
  auto it = chats_.find(a.person);
  if (it == chats_.end() || it->second.state == ChatState::idle) {
    reply_error(out, v1::ERROR_CODE_INVALID_STATE, "send enter before the first message");
    return;
  }
  on_customer_text(now, a, it->second, m, out);
}

void ShopEngine::on_customer_text(TimeMs now, const Actor& a, Chat& chat, const v1::SendText& m, Output& out) {
  const bool in_session = chat.state == ChatState::in_session;
  if (!m.session_id().empty() && (!in_session || internal_id('s', m.session_id()) != chat.session)) {
    reply_error(out, v1::ERROR_CODE_NOT_FOUND, "member " + a.person + " has no open session " + m.session_id());
    return;
  }
  v1::ChatMessage cm;
  cm.set_sender(v1::SENDER_CUSTOMER);
  cm.set_sender_id(a.person);
  cm.set_text(m.text());
  set_time(cm.mutable_at(), now);
  if (chat.state == ChatState::entered) {
    begin_request(now, a, chat, cm, out);
    return;
  }
  if (chat.state == ChatState::queued) {
    Request& r = requests_.at(chat.request);
    if (r.pending.size() < config_.limits.transcript_messages_max) r.pending.push_back(cm);
    reply_ack(out, external_id('r', r.id));
    return;
  }
  Session& s = sessions_.at(chat.session);
  assert(s.open());
  cm.set_session_id(external_id('s', s.id));
  s.customer_wrote = true;
  if (s.customer_waiting_since < 0) {
    s.customer_waiting_since = now;
    ++s.check_back_generation;
    timer(out, now + config_.thresholds.check_back_ms, TimerKind::check_back, s.id, s.check_back_generation);
  }
  append(s, cm, out, false, s.waiting_request == 0);
  mark_valid_if_both_wrote(now, s, out);
  reply_ack(out, cm.session_id());
}

void ShopEngine::begin_request(TimeMs now, const Actor& a, Chat& chat, const v1::ChatMessage& first, Output& out) {
  auto unavailable = [&](v1::UnavailableReason reason) {
    auto msg = make_msg();
    auto* u = msg->mutable_unavailable();
    u->set_reason(reason);
    u->set_can_leave_message(true);
    u->set_hours_today(config_.hours.describe_day(now));
    deliver(out, v1::ROLE_CUSTOMER, a.person, msg);
  };
  if (!config_.hours.is_open(now)) {
    book_.request_outside_hours();
    auto& e = event(out, now, v1::EVENT_KIND_REQUEST_OUTSIDE_HOURS);
    e.set_member_id(a.person);
    e.set_skill(chat.skill);
    reply_ack(out);
    unavailable(v1::UNAVAILABLE_REASON_OUTSIDE_HOURS);
    return;
  }
  const Origin origin = origin_of(now, chat.skill);
  book_.request_begun(origin);
  const std::uint64_t request_id = next_id_++;
  {
    auto& e = event(out, now, v1::EVENT_KIND_REQUEST_BEGUN, &origin);
    e.set_request_id(external_id('r', request_id));
    e.set_member_id(a.person);
    e.set_tier(static_cast<std::uint32_t>(chat.tier));
  }
  auto unconnected = [&](int reason) {
    auto& e = event(out, now, v1::EVENT_KIND_REQUEST_UNCONNECTED, &origin);
    e.set_request_id(external_id('r', request_id));
    e.set_member_id(a.person);
    e.set_number(reason);
  };
  if (agents_online_ == 0) {
    book_.request_no_agent(origin);
    unconnected(1);
    reply_ack(out, external_id('r', request_id));
    unavailable(v1::UNAVAILABLE_REASON_NO_AGENT_ONLINE);
    return;
  }
  std::uint32_t in_skill = 0;
  for (const auto& [tier, seq, id] : waiting_) in_skill += requests_.at(id).skill == chat.skill ? 1 : 0;
  if (in_skill >= config_.limits.queue_requests_max) {
    book_.request_no_agent(origin);
    unconnected(3);
    reply_ack(out, external_id('r', request_id));
    unavailable(v1::UNAVAILABLE_REASON_QUEUE_FULL);
    return;
  }
  Request r;
  r.id = request_id;
  r.member = a.person;
  r.skill = chat.skill;
  r.tier = chat.tier;
  r.origin = origin;
  r.begun_at = r.enqueued_at = now;
  r.seq = r.id;
  r.pending.push_back(first);
  r.clock = next_id_++;
  clocks_.emplace(r.clock, Clock{now, r.id, 0, false, false});
  timer(out, now + config_.thresholds.first_response_warning_ms, TimerKind::first_response_warning, r.clock);
  timer(out, now + config_.thresholds.first_response_threshold_ms, TimerKind::first_response_breach, r.clock);
  if (auto ls = last_served_.find(a.person); ls != last_served_.end() &&
                                             now - ls->second.at <= config_.thresholds.first_receiver_lookback_ms) {
    const Agent* fr = find_agent(ls->second.agent);
    if (fr != nullptr && fr->status == v1::AGENT_STATUS_ONLINE) {
      r.held_for = fr->config->id;
      r.hold_until = now + config_.thresholds.first_receiver_wait_ms;
      timer(out, r.hold_until, TimerKind::first_receiver_release, r.id);
    }
  }
  if (const SkillConfig* sc = config_.find_skill(r.skill); sc != nullptr && !sc->overflow_skill.empty())
    timer(out, now + sc->overflow_after_ms, TimerKind::overflow, r.id);
  chat.state = ChatState::queued;
  chat.request = r.id;
  const std::string rid = external_id('r', r.id);
  auto [it, inserted] = requests_.emplace(r.id, std::move(r));
  assert(inserted);
  enqueue(it->second);
  reply_ack(out, rid);
  dispatch(now, out);
  refresh_queue(out);
}

void ShopEngine::abandon(TimeMs now, Chat& chat, Output& out) {
  assert(chat.state == ChatState::queued);
  Request& r = requests_.at(chat.request);
  assert(r.session == 0);
  book_.request_abandoned(r.origin);
  auto& e = event(out, now, v1::EVENT_KIND_REQUEST_UNCONNECTED, &r.origin);
  e.set_request_id(external_id('r', r.id));
  e.set_member_id(r.member);
  e.set_number(2);
  clocks_.erase(r.clock);
  dequeue(r);
  requests_.erase(r.id);
  chat.state = ChatState::entered;
  chat.request = 0;
  refresh_queue(out);
}

void ShopEngine::on_cancel(TimeMs now, const Actor& a, Output& out) {
  auto it = chats_.find(a.person);
  if (it == chats_.end() || it->second.state != ChatState::queued) {
    reply_error(out, v1::ERROR_CODE_INVALID_STATE, "nothing to cancel: member " + a.person + " is not queued");
    return;
  }
  abandon(now, it->second, out);
  reply_ack(out);
}

void ShopEngine::on_rate(TimeMs now, const Actor& a, const v1::Rate& m, Output& out) {
  if (m.score() < 1 || m.score() > 5) {
    reply_error(out, v1::ERROR_CODE_INVALID_ARGUMENT, "rate.score must be 1 to 5, got " + std::to_string(m.score()));
    return;
  }
  Session* s = find_session(m.session_id());
  if (s == nullptr || s->member != a.person) {
    reply_error(out, v1::ERROR_CODE_NOT_FOUND,
                "member " + a.person + " has no session \"" + m.session_id() + "\" that can be rated");
    return;
  }
  if (!s->valid) {
    reply_error(out, v1::ERROR_CODE_INVALID_STATE,
                "session " + m.session_id() + " is not valid: a rating counts only once both the customer and an agent have written");
    return;
  }
  assert(s->open() || now <= s->closed_at + config_.thresholds.rating_window_ms);
  s->rating = m.score();
  reply_ack(out, m.session_id());
}

void ShopEngine::on_leave_message(TimeMs now, const Actor& a, const v1::LeaveMessage& m, Output& out) {
  if (m.text().empty() || m.text().size() > config_.limits.text_bytes_max) {
    reply_error(out, v1::ERROR_CODE_INVALID_ARGUMENT,
                "leave_message.text must be 1 to " + std::to_string(config_.limits.text_bytes_max) + " bytes");
    return;
  }
  if (left_messages_.size() >= config_.limits.left_messages_kept_max) {
    auto replied = std::find_if(left_messages_.begin(), left_messages_.end(),
                                [](const auto& kv) { return kv.second.message.replied(); });
    if (replied == left_messages_.end()) {
      reply_error(out, v1::ERROR_CODE_UNAVAILABLE, "shop " + config_.id + " holds " +
                                                       std::to_string(left_messages_.size()) +
                                                       " unanswered messages, its limit; try again later");
      return;
    }
    left_messages_.erase(replied);
  }
  const std::uint64_t id = next_id_++;
  LeftMessage lm;
  lm.left_at = now;
  lm.message.set_message_id(external_id('m', id));
  lm.message.set_member_id(a.person);
  lm.message.set_text(m.text());
  set_time(lm.message.mutable_left_at(), now);
  left_messages_.emplace(id, lm);
  book_.message_left(now);
  {
    const Origin o = origin_of(now, "");
    auto& e = event(out, now, v1::EVENT_KIND_MESSAGE_LEFT, &o);
    e.set_ref_id(external_id('m', id));
    e.set_member_id(a.person);
    e.set_text(m.text());
  }
  reply_ack(out, external_id('m', id));
}

// ------------------------------------------------------------------ agent and supervisor commands

void ShopEngine::on_agent_text(TimeMs now, const Actor& a, const v1::SendText& m, Output& out) {
  Session* s = find_session(m.session_id());
  if (s == nullptr || !s->open()) {
    reply_error(out, v1::ERROR_CODE_NOT_FOUND, "no open session \"" + m.session_id() + "\" in shop " + config_.id);
    return;
  }
  if (s->waiting_request != 0 || s->agent() != a.person) {
    reply_error(out, v1::ERROR_CODE_FORBIDDEN, "session " + m.session_id() + " is not agent " + a.person + "'s");
    return;
  }
  Leg& leg = s->legs.back();
  if (leg.first_reply_at < 0) {
    leg.first_reply_at = now;
    if (sink_ != nullptr)
      sink_->observe(config_.id, s->origin.skill, Histogram::first_response_seconds,
                     static_cast<double>(now - leg.clock_start) / 1000.0);
    stop_clock(*s);
    auto& e = event(out, now, v1::EVENT_KIND_LEG_FIRST_REPLY, &s->origin);
    e.set_session_id(m.session_id());
    e.set_number(static_cast<std::int32_t>(s->legs.size()));
    e.set_agent_id(a.person);
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

void ShopEngine::on_set_status(TimeMs now, const Actor& a, const v1::SetAgentStatus& m, Output& out) {
  std::string target = m.agent_id();
  if (a.role == v1::ROLE_AGENT) {
    if (!target.empty() && target != a.person) {
      reply_error(out, v1::ERROR_CODE_FORBIDDEN, "agent " + a.person + " may set only its own status");
      return;
    }
    target = a.person;
  }
  Agent* agent = find_agent(target);
  if (agent == nullptr) {
    reply_error(out, v1::ERROR_CODE_NOT_FOUND, "no agent \"" + target + "\" in shop " + config_.id);
    return;
  }
  if (m.status() == v1::AGENT_STATUS_UNSPECIFIED) {
    reply_error(out, v1::ERROR_CODE_INVALID_ARGUMENT, "set_agent_status.status is missing");
    return;
  }
  supervisor_action(now, a, "set_agent_status", "", target, v1::AgentStatus_Name(m.status()), out);
  set_status(now, *agent, m.status(), out);
  reply_ack(out);
}

void ShopEngine::set_status(TimeMs now, Agent& agent, v1::AgentStatus status, Output& out) {
  if (agent.status == status) return;
  if (status == v1::AGENT_STATUS_OFFLINE && agent.detached) {
    agent.detached = false;  // set offline while away (by a supervisor): nothing left to hold
    ++agent.grace_generation;
  }
  if (agent.status == v1::AGENT_STATUS_ONLINE) online_changed(now, -1, out);
  if (status == v1::AGENT_STATUS_ONLINE) {
    online_changed(now, +1, out);
    agent.idle_since = now;
  }
  agent.status = status;
  {
    auto& e = event(out, now, v1::EVENT_KIND_AGENT_STATUS);
    e.set_agent_id(agent.config->id);
    e.set_number(status);
  }
  if (status == v1::AGENT_STATUS_OFFLINE) {
    // An agent who leaves hands its chats back: each goes to the front of its queue, held for
    // the agent for the first-receiver wait if the shop says so.
    const std::set<std::uint64_t> open = agent.sessions;
    for (std::uint64_t id : open) {
      Session& s = sessions_.at(id);
      requeue(now, s, s.skill, out);
      if (config_.handback == Handback::first_receiver_wait && config_.thresholds.first_receiver_wait_ms > 0) {
        Request& r = requests_.at(s.waiting_request);
        r.held_for = agent.config->id;
        r.hold_until = now + config_.thresholds.first_receiver_wait_ms;
        timer(out, r.hold_until, TimerKind::first_receiver_release, r.id);
      }
    }
  }
  announce_agent(now, agent, out);
  dispatch(now, out);
  refresh_queue(out);
}

void ShopEngine::on_transfer(TimeMs now, const Actor& a, const v1::Transfer& m, Output& out) {
  Session* s = find_session(m.session_id());
  if (s == nullptr || !s->open()) {
    reply_error(out, v1::ERROR_CODE_NOT_FOUND, "no open session \"" + m.session_id() + "\" in shop " + config_.id);
    return;
  }
  if (s->waiting_request != 0) {
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
    supervisor_action(now, a, "transfer", m.session_id(), s->agent(), "to skill " + m.to_skill(), out);
    requeue(now, *s, m.to_skill(), out);
    reply_ack(out, m.session_id());
    dispatch(now, out);
    refresh_queue(out);
    return;
  }
  Agent* target = find_agent(m.to_agent_id());
  if (target == nullptr) {
    reply_error(out, v1::ERROR_CODE_NOT_FOUND, "no agent \"" + m.to_agent_id() + "\" in shop " + config_.id);
    return;
  }
  if (target->config->id == s->agent()) {
    reply_error(out, v1::ERROR_CODE_INVALID_ARGUMENT, "session " + m.session_id() + " is already with agent " + s->agent());
    return;
  }
  if (target->status != v1::AGENT_STATUS_ONLINE || target->sessions.size() >= target->window ||
      sessions_today(now, *target) >= target->config->daily_cap) {
    reply_error(out, v1::ERROR_CODE_INVALID_STATE,
                "agent " + target->config->id + " cannot take a session now: " + status_name(target->status) + ", " +
                    std::to_string(target->sessions.size()) + " of " + std::to_string(target->window) + " in window, " +
                    std::to_string(sessions_today(now, *target)) + " of " + std::to_string(target->config->daily_cap) +
                    " today");
    return;
  }
  const std::string from = s->agent();
  supervisor_action(now, a, "transfer", m.session_id(), from, "to agent " + target->config->id, out);
  end_leg(now, *s, true, out);
  stop_clock(*s);
  const std::uint64_t clock = next_id_++;
  clocks_.emplace(clock, Clock{now, 0, s->id, false, false});
  timer(out, now + config_.thresholds.first_response_warning_ms, TimerKind::first_response_warning, clock);
  timer(out, now + config_.thresholds.first_response_threshold_ms, TimerKind::first_response_breach, clock);
  auto msg = make_msg();
  auto* t = msg->mutable_transferred();
  t->set_session_id(m.session_id());
  t->set_from_agent_id(from);
  t->set_to_agent_id(target->config->id);
  deliver(out, v1::ROLE_CUSTOMER, s->member, msg);
  deliver(out, v1::ROLE_AGENT, from, msg);
  deliver_watchers(out, *s, msg);
  start_leg(now, *s, *target, now, clock, out);
  reply_ack(out, m.session_id());
  announce_agent(now, *find_agent(from), out);
  dispatch(now, out);
  refresh_queue(out);
}

void ShopEngine::requeue(TimeMs now, Session& s, const std::string& skill, Output& out) {
  assert(s.open() && s.waiting_request == 0);
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
  r.clock = next_id_++;
  clocks_.emplace(r.clock, Clock{now, r.id, s.id, false, false});
  timer(out, now + config_.thresholds.first_response_warning_ms, TimerKind::first_response_warning, r.clock);
  timer(out, now + config_.thresholds.first_response_threshold_ms, TimerKind::first_response_breach, r.clock);
  if (const SkillConfig* sc = config_.find_skill(skill); sc != nullptr && !sc->overflow_skill.empty())
    timer(out, now + sc->overflow_after_ms, TimerKind::overflow, r.id);
  s.waiting_request = r.id;
  s.skill = skill;
  auto msg = make_msg();
  auto* t = msg->mutable_transferred();
  t->set_session_id(external_id('s', s.id));
  t->set_from_agent_id(from);
  t->set_to_skill(skill);
  deliver(out, v1::ROLE_CUSTOMER, s.member, msg);
  deliver(out, v1::ROLE_AGENT, from, msg);
  deliver_watchers(out, s, msg);
  auto [it, inserted] = requests_.emplace(r.id, std::move(r));
  assert(inserted);
  enqueue(it->second);
}

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
  if (a.role == v1::ROLE_AGENT && (s->waiting_request != 0 || s->agent() != a.person)) {
    reply_error(out, v1::ERROR_CODE_FORBIDDEN, "session " + m.session_id() + " is not agent " + a.person + "'s");
    return;
  }
  const v1::CloseReason reason = a.role == v1::ROLE_AGENT      ? v1::CLOSE_REASON_AGENT
                                 : a.role == v1::ROLE_CUSTOMER ? v1::CLOSE_REASON_CUSTOMER
                                                               : v1::CLOSE_REASON_SUPERVISOR;
  supervisor_action(now, a, "close_session", m.session_id(), s->waiting_request == 0 ? s->agent() : std::string(), "", out);
  close_session(now, *s, reason, out);
  reply_ack(out, m.session_id());
}

void ShopEngine::close_session(TimeMs now, Session& s, v1::CloseReason reason, Output& out) {
  assert(s.open());
  std::string agent;
  bool responded = false;
  if (s.waiting_request != 0) {
    // Closed while waiting for its next leg: judged unanswered, on no agent.
    Request& r = requests_.at(s.waiting_request);
    clocks_.erase(r.clock);
    dequeue(r);
    requests_.erase(r.id);
    s.waiting_request = 0;
  } else {
    const Leg& leg = s.legs.back();
    agent = leg.agent;
    responded = leg.first_reply_at >= 0 &&
                leg.first_reply_at - leg.clock_start < config_.thresholds.first_response_threshold_ms;
    end_leg(now, s, false, out);
    stop_clock(s);
  }
  book_.session_judged(s.origin, agent, responded);
  if (s.valid) book_.agent_session_valid(s.origin, agent);
  {
    auto& e = event(out, now, v1::EVENT_KIND_SESSION_CLOSED, &s.origin);
    e.set_session_id(external_id('s', s.id));
    e.set_number(reason);
    e.set_agent_id(agent);
    e.set_flag(responded);
    e.set_member_id(s.member);
  }
  s.closed_at = now;
  --sessions_open_;
  if (auto it = chats_.find(s.member); it != chats_.end() && it->second.session == s.id) {
    it->second.state = ChatState::entered;
    it->second.session = 0;
  }
  auto msg = make_msg();
  auto* c = msg->mutable_session_closed();
  c->set_session_id(external_id('s', s.id));
  c->set_reason(reason);
  set_time(c->mutable_at(), now);
  c->set_rating_window_s(static_cast<std::uint32_t>(config_.thresholds.rating_window_ms / 1000));
  deliver(out, v1::ROLE_CUSTOMER, s.member, msg);
  if (!agent.empty()) deliver(out, v1::ROLE_AGENT, agent, msg);
  deliver_watchers(out, s, msg);
  s.watchers.clear();
  timer(out, now + config_.thresholds.rating_window_ms, TimerKind::rating_window_close, s.id);
  if (!agent.empty()) announce_agent(now, *find_agent(agent), out);
  dispatch(now, out);
  refresh_queue(out);
}

void ShopEngine::end_leg(TimeMs now, Session& s, bool transferred_out, Output& out) {
  Leg& leg = s.legs.back();
  leg.transferred_out = transferred_out;
  auto& e = event(out, now, v1::EVENT_KIND_LEG_ENDED, &s.origin);
  e.set_session_id(external_id('s', s.id));
  e.set_number(static_cast<std::int32_t>(s.legs.size()));
  e.set_agent_id(leg.agent);
  e.set_flag(transferred_out);
  Agent& agent = agents_.at(leg.agent);
  const auto erased = agent.sessions.erase(s.id);
  assert(erased == 1);
  (void)erased;
}

void ShopEngine::start_leg(TimeMs now, Session& s, Agent& agent, TimeMs clock_start, std::uint64_t clock, Output& out) {
  assert(agent.status == v1::AGENT_STATUS_ONLINE);
  s.legs.push_back(Leg{agent.config->id, now, clock_start, -1, false});
  s.clock = clock;
  agent.sessions.insert(s.id);
  agent.idle_since = now;
  const DayNumber today = to_local(now, config_.hours.utc_offset_minutes()).day;
  if (agent.cap_day != today) {
    agent.cap_day = today;
    agent.sessions_today = 0;
  }
  ++agent.sessions_today;
  book_.leg_started(s.origin, agent.config->id);
  last_served_[s.member] = Served{agent.config->id, now};
  {
    auto& e = event(out, now, v1::EVENT_KIND_LEG_STARTED, &s.origin);
    e.set_session_id(external_id('s', s.id));
    e.set_number(static_cast<std::int32_t>(s.legs.size()));
    e.set_agent_id(agent.config->id);
    e.set_at2_ms(clock_start);
  }

  const std::string sid = external_id('s', s.id);
  v1::Assigned as;
  as.set_session_id(sid);
  as.set_agent_id(agent.config->id);
  as.set_member_id(s.member);
  as.set_skill(s.skill);
  as.set_tier(s.tier);
  as.set_transfer(s.legs.size() > 1);
  set_time(as.mutable_clock_started_at(), clock_start);
  auto to_customer = make_msg();
  *to_customer->mutable_assigned() = as;
  for (const auto& m : s.transcript) *as.add_history() = m;
  auto to_agent = make_msg();
  *to_agent->mutable_assigned() = std::move(as);
  deliver(out, v1::ROLE_CUSTOMER, s.member, to_customer);
  deliver(out, v1::ROLE_AGENT, agent.config->id, to_agent);
  deliver_watchers(out, s, to_agent);

  Clock& c = clocks_.at(clock);
  if (!c.warned && now >= c.start + config_.thresholds.first_response_warning_ms) {
    c.warned = true;
    auto w = make_msg();
    w->mutable_first_response_warning()->set_session_id(sid);
    w->mutable_first_response_warning()->set_elapsed_ms(static_cast<std::uint32_t>(now - c.start));
    w->mutable_first_response_warning()->set_threshold_ms(
        static_cast<std::uint32_t>(config_.thresholds.first_response_threshold_ms));
    deliver(out, v1::ROLE_AGENT, agent.config->id, w);
  }
  announce_agent(now, agent, out);
}

void ShopEngine::stop_clock(Session& s) {
  if (s.clock == 0) return;
  clocks_.erase(s.clock);
  s.clock = 0;
}

void ShopEngine::append(Session& s, v1::ChatMessage m, Output& out, bool to_customer, bool to_agent) {
  m.set_seq(++s.message_seq);
  s.transcript.push_back(m);
  while (s.transcript.size() > config_.limits.transcript_messages_max) s.transcript.pop_front();
  {
    auto& e = event(out, time_of(m.at()), v1::EVENT_KIND_CHAT_MESSAGE, &s.origin);
    e.set_session_id(m.session_id());
    e.set_number(m.sender());
    (m.sender() == v1::SENDER_CUSTOMER ? e.mutable_member_id() : e.mutable_agent_id())->assign(m.sender_id());
    e.set_text(m.text());
  }
  auto msg = make_msg();
  *msg->mutable_chat_message() = m;
  if (to_customer) deliver(out, v1::ROLE_CUSTOMER, s.member, msg);
  if (to_agent) deliver(out, v1::ROLE_AGENT, s.agent(), msg);
  deliver_watchers(out, s, msg);
}

void ShopEngine::mark_valid_if_both_wrote(TimeMs now, Session& s, Output& out) {
  if (s.valid || !s.customer_wrote || !s.agent_wrote) return;
  s.valid = true;
  const std::string agent = s.waiting_request == 0 ? s.agent() : std::string();
  book_.session_valid(s.origin, agent, s.member);
  {
    auto& e = event(out, now, v1::EVENT_KIND_SESSION_VALID, &s.origin);
    e.set_session_id(external_id('s', s.id));
    e.set_member_id(s.member);
    e.set_agent_id(agent);
  }
  const Inquiry inquiry{s.connected_at, s.origin, agent};
  const DurationMs window = config_.thresholds.attribution_window_ms;
  auto& list = inquiries_[s.member];
  std::erase_if(list, [&](const Inquiry& i) { return i.connected_at + window < now; });
  list.push_back(inquiry);
  if (auto it = purchases_.find(s.member); it != purchases_.end()) {
    for (const auto& p : it->second)
      if (p.at >= inquiry.connected_at && p.at <= inquiry.connected_at + window) attribute(now, inquiry, s.member, p, out);
  }
}

void ShopEngine::attribute(TimeMs now, const Inquiry& inquiry, const std::string& member, const Purchase& purchase,
                           Output& out) {
  book_.member_converted(inquiry.origin, inquiry.agent, member, purchase.category);
  auto& e = event(out, now, v1::EVENT_KIND_MEMBER_CONVERTED, &inquiry.origin);
  e.set_member_id(member);
  e.set_agent_id(inquiry.agent);
  e.set_category(purchase.category);
}

OrderResult ShopEngine::order(TimeMs now, const v1::Order& o, Output& out) {
  OrderResult r;
  if (o.order_id().empty()) {
    r.error = "the order is missing its order_id";
    return r;
  }
  if (o.member_id().empty()) {
    r.error = "order " + o.order_id() + " is missing its member_id";
    return r;
  }
  if (o.shop_id() != config_.id) {
    r.error = "order " + o.order_id() + " names shop \"" + o.shop_id() + "\", not " + config_.id;
    return r;
  }
  if (!(o.amount() >= 0)) {
    r.error = "order " + o.order_id() + " has a negative or invalid amount";
    return r;
  }
  r.ok = true;
  r.duplicate = !order_ids_.insert(o.order_id()).second;
  if (!r.duplicate) order_ids_by_age_.emplace_back(now, o.order_id());
  book_.order(r.duplicate);
  if (r.duplicate) return r;
  const std::size_t order_event = out.events.size();
  {
    auto& e = event(out, now, v1::EVENT_KIND_ORDER);
    e.set_ref_id(o.order_id());
    e.set_member_id(o.member_id());
    e.set_amount(o.amount());
    e.set_category(o.category());
  }
  const DurationMs window = config_.thresholds.attribution_window_ms;
  const Purchase p{now, o.category()};
  auto& bought = purchases_[o.member_id()];
  std::erase_if(bought, [&](const Purchase& q) { return q.at + window < now; });
  bought.push_back(p);
  if (auto it = inquiries_.find(o.member_id()); it != inquiries_.end()) {
    for (const auto& i : it->second) {
      if (i.connected_at <= now && now <= i.connected_at + window) {
        attribute(now, i, o.member_id(), p, out);
        r.attributed = true;
      }
    }
  }
  if (record_history_) out.events[order_event].set_flag(r.attributed);
  return r;
}

void ShopEngine::on_list_left(const v1::ListLeftMessages& m, Output& out) {
  v1::ServerMessage reply;
  auto* list = reply.mutable_left_messages();
  for (const auto& [id, lm] : left_messages_) {
    if (lm.message.replied() && !m.include_replied()) continue;
    if (static_cast<std::size_t>(list->messages_size()) >= left_messages_list_max) break;
    *list->add_messages() = lm.message;
  }
  out.reply = std::move(reply);
}

void ShopEngine::on_reply_left(TimeMs now, const Actor& a, const v1::ReplyLeftMessage& m, Output& out) {
  auto it = left_messages_.find(internal_id('m', m.message_id()));
  if (it == left_messages_.end()) {
    reply_error(out, v1::ERROR_CODE_NOT_FOUND, "no left message \"" + m.message_id() + "\" in shop " + config_.id);
    return;
  }
  auto& lm = it->second.message;
  if (lm.replied()) {
    reply_error(out, v1::ERROR_CODE_INVALID_STATE, "message " + m.message_id() + " was already answered by " + lm.replied_by());
    return;
  }
  if (m.text().empty() || m.text().size() > config_.limits.text_bytes_max) {
    reply_error(out, v1::ERROR_CODE_INVALID_ARGUMENT,
                "reply_left_message.text must be 1 to " + std::to_string(config_.limits.text_bytes_max) + " bytes");
    return;
  }
  lm.set_replied(true);
  lm.set_reply_text(m.text());
  lm.set_replied_by(a.person);
  set_time(lm.mutable_replied_at(), now);
  book_.message_replied(it->second.left_at);
  {
    auto& e = event(out, now, v1::EVENT_KIND_MESSAGE_REPLIED);
    e.set_ref_id(m.message_id());
    e.set_agent_id(a.person);
    e.set_text(m.text());
    e.set_at2_ms(it->second.left_at);
  }
  reply_ack(out, m.message_id());
  auto msg = make_msg();
  *msg->mutable_left_message_replied()->mutable_message() = lm;
  deliver(out, v1::ROLE_CUSTOMER, lm.member_id(), msg);
}

void ShopEngine::on_watch(TimeMs now, const Actor& a, const v1::WatchSession& m, Output& out) {
  Session* s = find_session(m.session_id());
  if (s == nullptr || !s->open()) {
    reply_error(out, v1::ERROR_CODE_NOT_FOUND, "no open session \"" + m.session_id() + "\" in shop " + config_.id);
    return;
  }
  if (m.stop()) {
    if (s->watchers.erase(a.person) > 0) supervisor_action(now, a, "stop_watching", m.session_id(), s->agent(), "", out);
    reply_ack(out, m.session_id());
    return;
  }
  if (s->watchers.insert(a.person).second) supervisor_action(now, a, "watch_session", m.session_id(), s->agent(), "", out);
  reply_ack(out, m.session_id());
  for (const auto& cm : s->transcript) {
    auto msg = make_msg();
    *msg->mutable_chat_message() = cm;
    deliver(out, v1::ROLE_SUPERVISOR, a.person, msg);
  }
}

void ShopEngine::on_set_window(TimeMs now, const Actor& a, const v1::SetWindow& m, Output& out) {
  Agent* agent = find_agent(m.agent_id());
  if (agent == nullptr) {
    reply_error(out, v1::ERROR_CODE_NOT_FOUND, "no agent \"" + m.agent_id() + "\" in shop " + config_.id);
    return;
  }
  if (m.window() < 1 || m.window() > static_cast<std::int32_t>(window_sessions_max)) {
    reply_error(out, v1::ERROR_CODE_INVALID_ARGUMENT,
                "set_window.window must be 1 to " + std::to_string(window_sessions_max) + ", got " + std::to_string(m.window()));
    return;
  }
  supervisor_action(now, a, "set_window", "", m.agent_id(),
                    std::to_string(agent->window) + " -> " + std::to_string(m.window()), out);
  agent->window = static_cast<std::uint32_t>(m.window());
  reply_ack(out);
  announce_agent(now, *agent, out);
  dispatch(now, out);
  refresh_queue(out);
}

// ------------------------------------------------------------------ timers

void ShopEngine::on_timer(TimeMs now, const TimerKey& key, Output& out) {
  assert(key.shop == index_);
  switch (key.kind) {
    case TimerKind::first_response_warning:
    case TimerKind::first_response_breach: on_clock_timer(now, key, out); break;
    case TimerKind::customer_reconnect_grace:
    case TimerKind::agent_reconnect_grace: on_grace_timer(now, key, out); break;
    case TimerKind::check_back: {
      auto it = sessions_.find(key.id);
      if (it == sessions_.end()) return;
      Session& s = it->second;
      if (!s.open() || s.check_back_generation != key.generation || s.customer_waiting_since < 0) return;
      if (s.waiting_request == 0) {
        auto msg = make_msg();
        msg->mutable_check_back_reminder()->set_session_id(external_id('s', s.id));
        msg->mutable_check_back_reminder()->set_customer_waiting_ms(
            static_cast<std::uint32_t>(now - s.customer_waiting_since));
        deliver(out, v1::ROLE_AGENT, s.agent(), msg);
      }
      timer(out, now + config_.thresholds.check_back_ms, TimerKind::check_back, s.id, s.check_back_generation);
      break;
    }
    case TimerKind::long_session: {
      auto it = sessions_.find(key.id);
      if (it == sessions_.end() || !it->second.open()) return;
      const Session& s = it->second;
      auto msg = make_msg();
      auto* l = msg->mutable_long_session_alert();
      l->set_session_id(external_id('s', s.id));
      l->set_agent_id(s.waiting_request == 0 ? s.agent() : std::string());
      l->set_duration_ms(static_cast<std::uint32_t>(now - s.connected_at));
      deliver_supervisors(out, msg);
      break;
    }
    case TimerKind::first_receiver_release:
    case TimerKind::overflow:
      if (requests_.count(key.id) == 0) return;
      dispatch(now, out);
      refresh_queue(out);
      break;
    case TimerKind::rating_window_close: {
      auto it = sessions_.find(key.id);
      assert(it != sessions_.end() && !it->second.open());
      const Session& s = it->second;
      if (s.valid && s.rating > 0) {
        const Leg& last = s.legs.back();
        book_.rating_final(s.origin, last.transferred_out ? std::string() : last.agent, s.rating);
        auto& e = event(out, now, v1::EVENT_KIND_RATING_FINAL, &s.origin);
        e.set_session_id(external_id('s', s.id));
        e.set_number(s.rating);
        e.set_agent_id(last.transferred_out ? std::string() : last.agent);
      }
      sessions_.erase(it);
      break;
    }
    case TimerKind::hour_boundary:
      if (online_since_ >= 0) {
        accrue_online(online_since_, now, out);
        online_since_ = now;
      }
      forget_expired(now);
      timer(out, now + ms_per_hour, TimerKind::hour_boundary, 0);
      break;
  }
}

ShopEngine::Remembered ShopEngine::remembered() const {
  return Remembered{order_ids_.size(), last_served_.size(), inquiries_.size(), purchases_.size(), book_.days_kept()};
}

void ShopEngine::forget_expired(TimeMs now) {
  const auto& t = config_.thresholds;
  std::erase_if(last_served_, [&](const auto& kv) { return now - kv.second.at > t.first_receiver_lookback_ms; });
  for (auto& [member, list] : inquiries_)
    std::erase_if(list, [&](const Inquiry& i) { return i.connected_at + t.attribution_window_ms < now; });
  std::erase_if(inquiries_, [](const auto& kv) { return kv.second.empty(); });
  for (auto& [member, list] : purchases_)
    std::erase_if(list, [&](const Purchase& p) { return p.at + t.attribution_window_ms < now; });
  std::erase_if(purchases_, [](const auto& kv) { return kv.second.empty(); });
  while (!order_ids_by_age_.empty() && order_ids_by_age_.front().first + t.attribution_window_ms < now) {
    order_ids_.erase(order_ids_by_age_.front().second);
    order_ids_by_age_.pop_front();
  }
  const DayNumber today = to_local(now, config_.hours.utc_offset_minutes()).day;
  book_.forget_days_before(today - figures_days_kept);
}

void ShopEngine::on_clock_timer(TimeMs now, const TimerKey& key, Output& out) {
  auto it = clocks_.find(key.id);
  if (it == clocks_.end()) return;  // answered, or the leg ended
  Clock& c = it->second;
  std::string agent;
  std::string session_id;
  Origin origin;
  if (c.request != 0) {
    const Request& r = requests_.at(c.request);
    origin = r.origin;
  }
  if (c.session != 0) {
    const Session& s = sessions_.at(c.session);
    origin = s.origin;
    session_id = external_id('s', s.id);
    if (s.waiting_request == 0) agent = s.agent();
  }
  const auto threshold = static_cast<std::uint32_t>(config_.thresholds.first_response_threshold_ms);
  if (key.kind == TimerKind::first_response_warning) {
    if (c.warned || agent.empty()) return;
    c.warned = true;
    auto msg = make_msg();
    auto* w = msg->mutable_first_response_warning();
    w->set_session_id(session_id);
    w->set_elapsed_ms(static_cast<std::uint32_t>(now - c.start));
    w->set_threshold_ms(threshold);
    deliver(out, v1::ROLE_AGENT, agent, msg);
    return;
  }
  if (c.breached) return;
  c.breached = true;
  book_.breach(origin, agent);
  {
    auto& e = event(out, now, v1::EVENT_KIND_BREACH, &origin);
    e.set_session_id(session_id);
    if (c.request != 0) e.set_request_id(external_id('r', c.request));
    e.set_agent_id(agent);
  }
  auto msg = make_msg();
  auto* b = msg->mutable_first_response_breach();
  b->set_session_id(session_id);
  if (c.request != 0) b->set_request_id(external_id('r', c.request));
  b->set_agent_id(agent);
  b->set_threshold_ms(threshold);
  deliver_supervisors(out, msg);
  if (!agent.empty()) deliver(out, v1::ROLE_AGENT, agent, msg);
}

}  // namespace sb::core
