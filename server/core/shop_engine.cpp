// The shop engine's switches: who joins and leaves, which rule a message or a timer goes to,
// and the helpers every rule shares (replies, deliveries, timers, ids).
#include "shop_engine.hpp"

#include <cassert>
#include <charconv>

#include "proto_time.hpp"

namespace sb::core {

namespace v1 = switchboard::v1;

namespace {

// Days of figures the API answers from memory; older ones come from PostgreSQL's views. Past
// every window that can still change a day (ratings 7 days at most, attribution 30 days).
constexpr DayNumber figures_days_kept = 62;

}  // namespace

ShopEngine::ShopEngine(ShopConfig config, std::uint32_t index, std::string id_prefix, CounterSink* sink)
    : config_(std::move(config)),
      index_(index),
      id_prefix_(std::move(id_prefix)),
      sink_(sink),
      book_(config_, sink_),
      history_(config_.id, config_.hours.zone()),
      agents_(config_.agents),
      clocks_(config_.thresholds),
      first_receivers_(config_.thresholds),
      attribution_(config_.thresholds) {
  assert(!config_.id.empty());
  assert(config_.find_skill(config_.default_skill) != nullptr);
  history_.set_id_prefix(id_prefix_);
}

// ------------------------------------------------------------------ helpers

std::string ShopEngine::external_id(char kind, std::uint64_t n) const { return id_prefix_ + kind + std::to_string(n); }

std::uint64_t ShopEngine::internal_id(char kind, const std::string& id) const {
  if (id.size() <= id_prefix_.size() + 1 || id.compare(0, id_prefix_.size(), id_prefix_) != 0 || id[id_prefix_.size()] != kind)
    return 0;
  std::uint64_t n = 0;
  const char* first = id.data() + id_prefix_.size() + 1;
  const char* last = id.data() + id.size();
  auto [ptr, ec] = std::from_chars(first, last, n);
  if (ec != std::errc{} || ptr != last) return 0;
  return n;
}

Session* ShopEngine::find_session(const std::string& id) { return sessions_.find(internal_id('s', id)); }

Chat* ShopEngine::find_chat(const std::string& member) {
  auto it = chats_.find(member);
  return it == chats_.end() ? nullptr : &it->second;
}

Origin ShopEngine::origin_of(TimeMs t, const std::string& skill) const {
  const LocalTime lt = config_.hours.zone().local(t);
  return Origin{lt.day, lt.hour(), skill};
}

std::shared_ptr<v1::ServerMessage> ShopEngine::make_message() { return std::make_shared<v1::ServerMessage>(); }

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

void ShopEngine::deliver(Output& out, v1::Role role, const std::string& id, std::shared_ptr<const v1::ServerMessage> msg) const {
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

void ShopEngine::supervisor_action(TimeMs now, const Actor& a, v1::SupervisorActionKind action, const std::string& session_id,
                                   const std::string& target, std::string detail, Output& out) {
  if (a.role != v1::ROLE_SUPERVISOR) return;
  if (auto* e = history_.add(out, now, nullptr)) {
    auto* s = e->mutable_supervisor_action();
    s->set_supervisor_id(a.person);
    s->set_action(action);
    s->set_session_id(session_id);
    s->set_agent_id(target);
    s->set_detail(std::move(detail));
  }
}

// ------------------------------------------------------------------ joining and leaving

void ShopEngine::start(TimeMs now, Output& out) {
  timer(out, config_.hours.zone().hour_row_end(now), TimerKind::hour_boundary, 0);
  refresh_gauges();
}

// A customer's hello: a new guest is named here, never by the client (ids are the shop's,
// like session ids); the tier is the token's. Returns whether it picked up a held chat.
bool ShopEngine::customer_joined(const Actor& a, std::string& person) {
  if (person.empty()) {
    assert(a.guest);
    person = external_id('g', next_id_++);
  }
  Chat& chat = chats_[person];
  if (chat.id == 0) {
    chat.id = next_chat_id_++;
    chat.member = person;
  }
  // A chat already queued or in session keeps the tier it began with.
  if (chat.state == ChatState::idle || chat.state == ChatState::entered)
    chat.tier = a.tier == v1::TIER_UNSPECIFIED ? v1::TIER_C : a.tier;
  ++chat.connections;
  if (!chat.detached) return false;
  chat.detached = false;
  ++chat.grace_generation;  // its grace timer now finds nothing to do
  detached_chats_.erase(chat.id);
  return true;
}

void ShopEngine::person_joined(TimeMs now, const Actor& given, Output& out, const v1::Hello* hello) {
  assert(given.shop == config_.id);
  Actor a = given;
  bool resumed = false;
  if (a.role == v1::ROLE_CUSTOMER) {
    resumed = customer_joined(given, a.person);
  } else if (a.role == v1::ROLE_AGENT) {
    AgentState* agent = agents_.find(a.person);
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
  } else if (a.role == v1::ROLE_SUPERVISOR) {
    ++supervisors_[a.person];
  } else {
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
  w->set_utc_offset_minutes(config_.hours.zone().offset_at(now));
  w->set_time_zone(config_.hours.zone().name());
  out.reply = std::move(m);
  send_resumed(a, hello, out);
  if (a.role == v1::ROLE_AGENT) {
    announce_agent(now, agents_.at(a.person), out);
    if (resumed) dispatch(now, out);  // it may take new sessions again
  }
}

void ShopEngine::person_left(TimeMs now, const Actor& a, Output& out, Departure how) {
  const bool hold = how == Departure::dropped && config_.thresholds.reconnect_grace_ms > 0;
  if (a.role == v1::ROLE_CUSTOMER) {
    Chat* chat = find_chat(a.person);
    if (chat == nullptr) return;
    assert(chat->connections > 0);
    if (--chat->connections > 0) return;
    if (hold && (chat->state == ChatState::queued || chat->state == ChatState::in_session)) return hold_customer(now, *chat, out);
    end_chat(now, *chat, out);
  } else if (a.role == v1::ROLE_AGENT) {
    AgentState* agent = agents_.find(a.person);
    if (agent == nullptr) return;
    assert(agent->connections > 0);
    if (--agent->connections > 0) return;
    if (hold && agent->status != v1::AGENT_STATUS_OFFLINE) return hold_agent(now, *agent, out);
    set_status(now, *agent, v1::AGENT_STATUS_OFFLINE, out);
  } else if (a.role == v1::ROLE_SUPERVISOR) {
    auto it = supervisors_.find(a.person);
    if (it == supervisors_.end() || --it->second > 0) return;
    supervisors_.erase(it);
    sessions_.each([&](Session& s) { s.watchers.erase(a.person); });
  }
}

// ------------------------------------------------------------------ the message switch

namespace {

// Who may send what (docs/protocol.md, "Who may do what"): the one place roles are checked.
constexpr unsigned customer = 1, agent = 2, supervisor = 4;

struct Permission {
  unsigned roles = 0;       // 0: not a message the shop handles (hello and ping are the connection's)
  const char* who = nullptr;
};

Permission permission(v1::ClientMessage::BodyCase body) {
  using B = v1::ClientMessage::BodyCase;
  switch (body) {
    case B::kEnter:
    case B::kCancel:
    case B::kRate:
    case B::kLeaveMessage: return {customer, "customers"};
    case B::kSendText: return {customer | agent, "customers and agents"};
    case B::kCloseSession: return {customer | agent | supervisor, "customers, agents and supervisors"};
    case B::kSetAgentStatus:
    case B::kTransfer:
    case B::kListLeftMessages:
    case B::kReplyLeftMessage: return {agent | supervisor, "agents and supervisors"};
    case B::kGetShopView:
    case B::kWatchSession:
    case B::kSetWindow: return {supervisor, "supervisors"};
    default: return {};
  }
}

unsigned role_bit(v1::Role role) {
  switch (role) {
    case v1::ROLE_CUSTOMER: return customer;
    case v1::ROLE_AGENT: return agent;
    case v1::ROLE_SUPERVISOR: return supervisor;
    default: return 0;
  }
}

// The message's name as the error says it ("send_text").
std::string body_name(const v1::ClientMessage& msg) {
  const auto* f = msg.GetDescriptor()->FindFieldByNumber(static_cast<int>(msg.body_case()));
  return f == nullptr ? std::string("message") : f->name();
}

}  // namespace

void ShopEngine::handle(TimeMs now, const Actor& a, const v1::ClientMessage& msg, Output& out) {
  assert(a.shop == config_.id);
  const Permission p = permission(msg.body_case());
  if (p.roles == 0) {
    // hello and ping are answered by the connection; anything else is unknown here.
    reply_error(out, v1::ERROR_CODE_UNKNOWN_MESSAGE, "the message has no body this server knows");
    return;
  }
  if ((p.roles & role_bit(a.role)) == 0) {
    reply_error(out, v1::ERROR_CODE_FORBIDDEN, body_name(msg) + " is for " + p.who);
    return;
  }
  using B = v1::ClientMessage::BodyCase;
  switch (msg.body_case()) {
    case B::kEnter: return on_enter(now, a, msg.enter(), out);
    case B::kSendText: return on_send_text(now, a, msg.send_text(), out);
    case B::kCancel: return on_cancel(now, a, out);
    case B::kRate: return on_rate(now, a, msg.rate(), out);
    case B::kLeaveMessage: return on_leave_message(now, a, msg.leave_message(), out);
    case B::kSetAgentStatus: return on_set_status(now, a, msg.set_agent_status(), out);
    case B::kTransfer: return on_transfer(now, a, msg.transfer(), out);
    case B::kCloseSession: return on_close(now, a, msg.close_session(), out);
    case B::kListLeftMessages: return on_list_left(msg.list_left_messages(), out);
    case B::kReplyLeftMessage: return on_reply_left(now, a, msg.reply_left_message(), out);
    case B::kGetShopView: {
      v1::ServerMessage m;
      *m.mutable_shop_view() = view(now);
      out.reply = std::move(m);
      return;
    }
    case B::kWatchSession: return on_watch(now, a, msg.watch_session(), out);
    case B::kSetWindow: return on_set_window(now, a, msg.set_window(), out);
    default: assert(false && "permission() names every body handled here");
  }
}

// ------------------------------------------------------------------ the timer switch

void ShopEngine::on_timer(TimeMs now, const TimerKey& key, Output& out) {
  assert(key.shop == index_);
  switch (key.kind) {
    case TimerKind::first_response_warning:
    case TimerKind::first_response_breach: return on_clock_timer(now, key, out);
    case TimerKind::customer_reconnect_grace:
    case TimerKind::agent_reconnect_grace: return on_grace_timer(now, key, out);
    case TimerKind::check_back: return on_check_back(now, key, out);
    case TimerKind::long_session: return on_long_session(now, key, out);
    case TimerKind::first_receiver_release:
    case TimerKind::overflow:
      if (queue_.find(key.id) == nullptr) return;
      dispatch(now, out);
      refresh_queue(out);
      return;
    case TimerKind::rating_window_close: return on_rating_window_close(now, key, out);
    case TimerKind::hour_boundary: return on_hour_boundary(now, out);
  }
}

// ------------------------------------------------------------------ bounds and figures

ShopEngine::Remembered ShopEngine::remembered() const {
  return Remembered{attribution_.order_ids(), first_receivers_.remembered(), attribution_.inquiring_members(),
                    attribution_.purchasing_members(), book_.days_kept()};
}

// Every remembered set has a bound: what no rule can use any more is dropped (hourly).
void ShopEngine::forget_expired(TimeMs now) {
  first_receivers_.forget_expired(now);
  attribution_.forget_expired(now);
  const DayNumber today = config_.hours.zone().local(now).day;
  book_.forget_days_before(today - figures_days_kept);
}

v1::ShopFigures ShopEngine::figures(DayNumber day, TimeMs now) const {
  FiguresBook::Running running;
  running.shop_since = online_.since();
  for (const AgentState* a : agents_.in_order())
    if (a->online_since >= 0) running.agents_since.emplace_back(a->id(), a->online_since);
  return book_.snapshot(day, now, running);
}

}  // namespace sb::core
