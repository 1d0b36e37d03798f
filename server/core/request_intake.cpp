// A request (诉求) begins when a customer sends its first message after opening the chat window
// (`enter` only greets). Outside service hours it is no request: the customer may leave a message.
// Inside hours it is counted, and not connected when no agent of the shop is online or the
// skill's queue is full; otherwise it waits in the queue with its 45-second clock running. A
// customer who cancels or goes away while queued is a request not connected (abandoned).
#include <cassert>

#include "proto_time.hpp"
#include "shop_engine.hpp"

namespace sb::core {

namespace v1 = switchboard::v1;

void ShopEngine::on_enter(TimeMs now, const Actor& a, const v1::Enter& m, Output& out) {
  Chat* chat = find_chat(a.person);
  if (chat == nullptr) {
    reply_error(out, v1::ERROR_CODE_NOT_AUTHENTICATED, "member " + a.person + " has no connection to shop " + config_.id);
    return;
  }
  if (chat->state == ChatState::queued) {
    reply_error(out, v1::ERROR_CODE_INVALID_STATE, "already queued as request " + external_id('r', chat->request));
    return;
  }
  if (chat->state == ChatState::in_session) {
    reply_error(out, v1::ERROR_CODE_INVALID_STATE, "already in session " + external_id('s', chat->session));
    return;
  }
  const std::string skill = m.skill().empty() ? config_.default_skill : m.skill();
  if (config_.find_skill(skill) == nullptr) {
    std::string known;
    for (const auto& s : config_.skills) known += (known.empty() ? "" : ", ") + s.name;
    reply_error(out, v1::ERROR_CODE_NOT_FOUND, "shop " + config_.id + " has no skill \"" + skill + "\" (skills: " + known + ")");
    return;
  }
  chat->state = ChatState::entered;
  chat->skill = skill;
  reply_ack(out);
  auto msg = make_message();
  auto* g = msg->mutable_greeting();
  g->set_text(config_.greeting);
  set_time(g->mutable_at(), now);
  g->set_shop_open(config_.hours.is_open(now));
  g->set_agents_online(online_.agents_online() > 0);
  deliver(out, v1::ROLE_CUSTOMER, a.person, msg);
}

void ShopEngine::on_send_text(TimeMs now, const Actor& a, const v1::SendText& m, Output& out) {
  if (m.text().empty()) {
    reply_error(out, v1::ERROR_CODE_INVALID_ARGUMENT, "send_text.text is empty");
    return;
  }
  if (m.text().size() > config_.limits.text_bytes_max) {
    reply_error(out, v1::ERROR_CODE_INVALID_ARGUMENT, "send_text.text is " + std::to_string(m.text().size()) +
                                                         " bytes; the limit is " + std::to_string(config_.limits.text_bytes_max));
    return;
  }
  if (a.role == v1::ROLE_AGENT) return on_agent_text(now, a, m, out);
  Chat* chat = find_chat(a.person);
  if (chat == nullptr || chat->state == ChatState::idle) {
    reply_error(out, v1::ERROR_CODE_INVALID_STATE, "send enter before the first message");
    return;
  }
  on_customer_text(now, a, *chat, m, out);
}

// Kept at once, so an acknowledged text survives a crash; shown to the agent on assignment.
void ShopEngine::keep_queued_text(TimeMs now, Request& r, v1::ChatMessage m, Output& out) {
  if (auto* e = history_.add(out, now, &r.origin)) {
    auto* c = e->mutable_chat_message();
    c->set_request_id(external_id('r', r.id));
    c->set_sender(v1::SENDER_CUSTOMER);
    c->set_sender_id(m.sender_id());
    c->set_text(m.text());
  }
  if (r.pending.size() < config_.limits.transcript_messages_max) r.pending.push_back(std::move(m));
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
  if (chat.state == ChatState::entered) return begin_request(now, a, chat, cm, out);
  if (chat.state == ChatState::queued) {
    Request& r = queue_.at(chat.request);
    keep_queued_text(now, r, std::move(cm), out);
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
  append(s, cm, out, false, !s.waiting());
  mark_valid_if_both_wrote(now, s, out);
  reply_ack(out, cm.session_id());
}

void ShopEngine::not_connected(TimeMs now, const Actor& a, const Origin& origin, std::uint64_t request, v1::UnconnectedReason why,
                               Output& out) {
  if (auto* e = history_.add(out, now, &origin)) {
    auto* u = e->mutable_request_unconnected();
    u->set_request_id(external_id('r', request));
    u->set_member_id(a.person);
    u->set_reason(why);
  }
}

void ShopEngine::begin_request(TimeMs now, const Actor& a, Chat& chat, const v1::ChatMessage& first, Output& out) {
  auto unavailable = [&](v1::UnavailableReason reason) {
    auto msg = make_message();
    auto* u = msg->mutable_unavailable();
    u->set_reason(reason);
    u->set_can_leave_message(true);
    u->set_hours_today(config_.hours.describe_day(now));
    deliver(out, v1::ROLE_CUSTOMER, a.person, msg);
  };
  if (!config_.hours.is_open(now)) {
    book_.request_outside_hours();
    if (auto* e = history_.add(out, now, nullptr)) {
      e->set_skill(chat.skill);
      e->mutable_request_outside_hours()->set_member_id(a.person);
    }
    reply_ack(out);
    return unavailable(v1::UNAVAILABLE_REASON_OUTSIDE_HOURS);
  }
  const Origin origin = origin_of(now, chat.skill);
  book_.request_begun(origin);
  const std::uint64_t request_id = next_id_++;
  if (auto* e = history_.add(out, now, &origin)) {
    auto* b = e->mutable_request_begun();
    b->set_request_id(external_id('r', request_id));
    b->set_member_id(a.person);
    b->set_tier(chat.tier);
  }
  const bool nobody = online_.agents_online() == 0;
  if (nobody || queue_.full(chat.skill, config_.limits.queue_requests_max)) {
    book_.request_no_agent(origin);
    not_connected(now, a, origin, request_id, nobody ? v1::UNCONNECTED_REASON_NO_AGENT : v1::UNCONNECTED_REASON_QUEUE_FULL, out);
    reply_ack(out, external_id('r', request_id));
    return unavailable(nobody ? v1::UNAVAILABLE_REASON_NO_AGENT_ONLINE : v1::UNAVAILABLE_REASON_QUEUE_FULL);
  }
  Request r;
  r.id = request_id;
  r.member = a.person;
  r.skill = chat.skill;
  r.tier = chat.tier;
  r.origin = origin;
  r.begun_at = r.enqueued_at = now;
  r.seq = r.id;
  r.clock = start_clock(now, r.id, 0, out);
  hold_for_first_receiver(now, r, out);
  if (const SkillConfig* sc = config_.find_skill(r.skill); sc != nullptr && !sc->overflow_skill.empty())
    timer(out, now + sc->overflow_after_ms, TimerKind::overflow, r.id);
  chat.state = ChatState::queued;
  chat.request = r.id;
  Request& queued = queue_.add(std::move(r));
  keep_queued_text(now, queued, first, out);
  reply_ack(out, external_id('r', request_id));
  dispatch(now, out);
  refresh_queue(out);
}

void ShopEngine::abandon(TimeMs now, Chat& chat, Output& out) {
  assert(chat.state == ChatState::queued);
  Request& r = queue_.at(chat.request);
  assert(r.session == 0);
  book_.request_abandoned(r.origin);
  if (auto* e = history_.add(out, now, &r.origin)) {
    auto* u = e->mutable_request_unconnected();
    u->set_request_id(external_id('r', r.id));
    u->set_member_id(r.member);
    u->set_reason(v1::UNCONNECTED_REASON_ABANDONED);
  }
  clocks_.stop(r.clock);
  queue_.remove(r.id);
  chat.state = ChatState::entered;
  chat.request = 0;
  refresh_queue(out);
}

void ShopEngine::on_cancel(TimeMs now, const Actor& a, Output& out) {
  Chat* chat = find_chat(a.person);
  if (chat == nullptr || chat->state != ChatState::queued) {
    reply_error(out, v1::ERROR_CODE_INVALID_STATE, "nothing to cancel: member " + a.person + " is not queued");
    return;
  }
  abandon(now, *chat, out);
  reply_ack(out);
}

}  // namespace sb::core
