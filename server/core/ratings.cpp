// Valid sessions and ratings (DOMAIN.md): a session is valid once the customer and an agent
// have each written in it (an inquiry, for conversion). Its customer may rate it 1-5, the last
// rating counting, until rating_window_s (30 min) after the close: the window is
// [close, close + 30 min), end exclusive — a rating at exactly close + 30 min is refused, as the
// window's timer has fired first. The rating becomes final when the window closes, and only
// then counts (4 and 5 are satisfied), for the agent of the last leg.
#include <cassert>

#include "shop_engine.hpp"

namespace sb::core {

namespace v1 = switchboard::v1;

void ShopEngine::on_rate(TimeMs now, const Actor& a, const v1::Rate& m, Output& out) {
  if (m.score() < 1 || m.score() > 5) {
    reply_error(out, v1::ERROR_CODE_INVALID_ARGUMENT, "rate.score must be 1 to 5, got " + std::to_string(m.score()));
    return;
  }
  Session* s = find_session(m.session_id());
  if (s == nullptr || s->member != a.person) {
    reply_error(out, v1::ERROR_CODE_NOT_FOUND, "member " + a.person + " has no session \"" + m.session_id() + "\" that can be rated");
    return;
  }
  if (!s->valid) {
    reply_error(out, v1::ERROR_CODE_INVALID_STATE,
                "session " + m.session_id() + " is not valid: a rating counts only once both the customer and an agent have written");
    return;
  }
  assert(s->open() || now < s->closed_at + config_.thresholds.rating_window_ms);
  s->rating = m.score();
  reply_ack(out, m.session_id());
}

void ShopEngine::mark_valid_if_both_wrote(TimeMs now, Session& s, Output& out) {
  if (s.valid || !s.customer_wrote || !s.agent_wrote) return;
  s.valid = true;
  const std::string agent = s.current_agent();
  book_.session_valid(s.origin, agent, s.member);
  if (auto* e = history_.add(out, now, &s.origin)) {
    auto* v = e->mutable_session_valid();
    v->set_session_id(external_id('s', s.id));
    v->set_member_id(s.member);
    v->set_agent_id(agent);
  }
  inquire(now, s, agent, out);
}

void ShopEngine::on_rating_window_close(TimeMs now, const TimerKey& key, Output& out) {
  Session* s = sessions_.find(key.id);
  assert(s != nullptr && !s->open());
  if (s->valid && s->rating > 0) {
    const Leg& last = s->legs.back();
    const std::string agent = last.transferred_out ? std::string() : last.agent;
    book_.rating_final(s->origin, agent, s->rating);
    if (auto* e = history_.add(out, now, &s->origin)) {
      auto* r = e->mutable_rating_final();
      r->set_session_id(external_id('s', s->id));
      r->set_score(static_cast<std::uint32_t>(s->rating));
      r->set_agent_id(agent);
    }
  }
  sessions_.erase(key.id);
}

}  // namespace sb::core
