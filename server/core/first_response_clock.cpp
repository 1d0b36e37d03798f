// The 45-second clock: its state here, and the shop engine's reaction to its timers (the
// warning to the agent, the breach to the agent and supervisors, counted once per clock).
#include "first_response_clock.hpp"

#include <cassert>

#include "shop_engine.hpp"

namespace sb::core {

namespace v1 = switchboard::v1;

void FirstResponseClocks::start(std::uint64_t id, TimeMs start, std::uint64_t request, std::uint64_t session,
                                std::uint32_t shop_index, Output& out) {
  const bool inserted = clocks_.emplace(id, Clock{start, request, session, false, false}).second;
  assert(inserted && "clock ids are never reused");
  (void)inserted;
  out.timers.push_back(TimerRequest{start + t_.first_response_warning_ms, TimerKey{shop_index, TimerKind::first_response_warning, id, 0}});
  out.timers.push_back(TimerRequest{start + t_.first_response_threshold_ms, TimerKey{shop_index, TimerKind::first_response_breach, id, 0}});
}

Clock* FirstResponseClocks::find(std::uint64_t id) {
  auto it = clocks_.find(id);
  return it == clocks_.end() ? nullptr : &it->second;
}

const Clock* FirstResponseClocks::find(std::uint64_t id) const {
  auto it = clocks_.find(id);
  return it == clocks_.end() ? nullptr : &it->second;
}

Clock& FirstResponseClocks::at(std::uint64_t id) {
  Clock* c = find(id);
  assert(c != nullptr);
  return *c;
}

void FirstResponseClocks::stop(std::uint64_t id) { clocks_.erase(id); }

void ShopEngine::send_warning(TimeMs now, Clock& c, const std::string& session_id, const std::string& agent, Output& out) {
  assert(!c.warned && !agent.empty());
  c.warned = true;
  auto msg = make_message();
  auto* w = msg->mutable_first_response_warning();
  w->set_session_id(session_id);
  w->set_elapsed_ms(static_cast<std::uint32_t>(now - c.start));
  w->set_threshold_ms(clocks_.threshold_ms());
  deliver(out, v1::ROLE_AGENT, agent, msg);
}

void ShopEngine::on_clock_timer(TimeMs now, const TimerKey& key, Output& out) {
  Clock* c = clocks_.find(key.id);
  if (c == nullptr) return;  // answered, or the leg ended
  std::string agent, session_id;
  Origin origin;
  if (c->request != 0) origin = queue_.at(c->request).origin;
  if (c->session != 0) {
    const Session& s = sessions_.at(c->session);
    origin = s.origin;
    session_id = external_id('s', s.id);
    if (!s.waiting()) agent = s.agent();
  }
  if (key.kind == TimerKind::first_response_warning) {
    if (!c->warned && !agent.empty()) send_warning(now, *c, session_id, agent, out);
    return;
  }
  if (c->breached) return;
  c->breached = true;
  book_.breach(origin, agent);
  const std::string request_id = c->request != 0 ? external_id('r', c->request) : std::string();
  if (auto* e = history_.add(out, now, &origin)) {
    auto* b = e->mutable_breach();
    b->set_session_id(session_id);
    b->set_request_id(request_id);
    b->set_agent_id(agent);
  }
  auto msg = make_message();
  auto* b = msg->mutable_first_response_breach();
  b->set_session_id(session_id);
  b->set_request_id(request_id);
  b->set_agent_id(agent);
  b->set_threshold_ms(clocks_.threshold_ms());
  deliver_supervisors(out, msg);
  if (!agent.empty()) deliver(out, v1::ROLE_AGENT, agent, msg);
}

}  // namespace sb::core

namespace sb::core {

std::uint64_t ShopEngine::start_clock(TimeMs start, std::uint64_t request, std::uint64_t session, Output& out) {
  const std::uint64_t id = next_id_++;
  clocks_.start(id, start, request, session, index_, out);
  return id;
}

}  // namespace sb::core
