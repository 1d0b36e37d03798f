#include "history_rows.hpp"

#include "core/time.hpp"
#include "history_names.hpp"

namespace sb::store {

namespace v1 = switchboard::v1;

const std::vector<std::string> history_columns{"event_id", "at",    "shop_id",  "kind",   "day",      "hour",   "skill", "request_id",
                                       "session_id", "agent_id", "member_id", "body", "leg",   "at2",    "flag",  "amount",
                                       "category", "ref_id", "tier",     "reason", "score",    "ms",     "detail", "actor_id"};

namespace {


std::optional<std::string> text(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return s;
}

std::optional<std::string> time_text(std::int64_t ms) { return core::format_rfc3339_utc(ms); }


// The body's own columns; the shared ones (ids, time, origin) are set by the caller.
void flatten_request(const v1::HistoryEvent& e, HistoryRow& r) {
  using B = v1::HistoryEvent::BodyCase;
  switch (e.body_case()) {
    case B::kRequestOutsideHours: r.member_id = text(e.request_outside_hours().member_id()); break;
    case B::kRequestBegun:
      r.request_id = text(e.request_begun().request_id());
      r.member_id = text(e.request_begun().member_id());
      r.tier = sql_name(e.request_begun().tier());
      break;
    case B::kRequestUnconnected:
      r.request_id = text(e.request_unconnected().request_id());
      r.member_id = text(e.request_unconnected().member_id());
      r.reason = sql_name(e.request_unconnected().reason());
      break;
    case B::kSessionConnected: {
      const auto& c = e.session_connected();
      r.session_id = text(c.session_id());
      r.request_id = text(c.request_id());
      r.member_id = text(c.member_id());
      r.agent_id = text(c.agent_id());
      r.tier = sql_name(c.tier());
      r.at2 = time_text(c.begun_at_ms());
      break;
    }
    default: break;
  }
}

void flatten_session(const v1::HistoryEvent& e, HistoryRow& r) {
  using B = v1::HistoryEvent::BodyCase;
  switch (e.body_case()) {
    case B::kLegStarted:
      r.session_id = text(e.leg_started().session_id());
      r.leg = static_cast<int>(e.leg_started().leg());
      r.agent_id = text(e.leg_started().agent_id());
      r.at2 = time_text(e.leg_started().clock_started_at_ms());
      break;
    case B::kLegFirstReply:
      r.session_id = text(e.leg_first_reply().session_id());
      r.leg = static_cast<int>(e.leg_first_reply().leg());
      r.agent_id = text(e.leg_first_reply().agent_id());
      break;
    case B::kLegEnded:
      r.session_id = text(e.leg_ended().session_id());
      r.leg = static_cast<int>(e.leg_ended().leg());
      r.agent_id = text(e.leg_ended().agent_id());
      r.flag = e.leg_ended().transferred_out();
      break;
    case B::kChatMessage: {
      const auto& m = e.chat_message();
      r.session_id = text(m.session_id());
      r.request_id = text(m.request_id());
      r.reason = sql_name(m.sender());
      (m.sender() == v1::SENDER_CUSTOMER ? r.member_id : r.agent_id) = text(m.sender_id());
      r.body = m.text();
      break;
    }
    case B::kSessionValid:
      r.session_id = text(e.session_valid().session_id());
      r.member_id = text(e.session_valid().member_id());
      r.agent_id = text(e.session_valid().agent_id());
      break;
    case B::kSessionClosed: {
      const auto& c = e.session_closed();
      r.session_id = text(c.session_id());
      r.member_id = text(c.member_id());
      r.reason = sql_name(c.reason());
      r.agent_id = text(c.judged_agent_id());
      r.flag = c.responded_45s();
      break;
    }
    case B::kRatingFinal:
      r.session_id = text(e.rating_final().session_id());
      r.score = static_cast<int>(e.rating_final().score());
      r.agent_id = text(e.rating_final().agent_id());
      break;
    case B::kBreach:
      r.session_id = text(e.breach().session_id());
      r.request_id = text(e.breach().request_id());
      r.agent_id = text(e.breach().agent_id());
      break;
    default: break;
  }
}

void flatten_shop(const v1::HistoryEvent& e, HistoryRow& r) {
  using B = v1::HistoryEvent::BodyCase;
  switch (e.body_case()) {
    case B::kMessageLeft:
      r.ref_id = text(e.message_left().message_id());
      r.member_id = text(e.message_left().member_id());
      r.body = e.message_left().text();
      break;
    case B::kMessageReplied:
      r.ref_id = text(e.message_replied().message_id());
      r.agent_id = text(e.message_replied().agent_id());
      r.body = e.message_replied().text();
      r.at2 = time_text(e.message_replied().left_at_ms());
      break;
    case B::kAgentStatus:
      r.agent_id = text(e.agent_status().agent_id());
      r.reason = sql_name(e.agent_status().status());
      break;
    case B::kShopOnline: r.ms = e.shop_online().ms(); break;
    case B::kAgentOnline:
      r.agent_id = text(e.agent_online().agent_id());
      r.ms = e.agent_online().ms();
      break;
    case B::kOrder: {
      const auto& o = e.order();
      r.ref_id = text(o.order_id());
      r.member_id = text(o.member_id());
      r.amount = o.amount();
      r.category = text(o.category());
      r.flag = o.attributed();
      break;
    }
    case B::kMemberConverted: {
      const auto& c = e.member_converted();
      r.member_id = text(c.member_id());
      r.agent_id = text(c.agent_id());
      r.category = text(c.category());
      r.ref_id = text(c.order_id());
      break;
    }
    case B::kSupervisorAction: {
      const auto& a = e.supervisor_action();
      r.actor_id = text(a.supervisor_id());
      r.reason = sql_name(a.action());
      r.session_id = text(a.session_id());
      r.agent_id = text(a.agent_id());
      r.detail = text(a.detail());
      break;
    }
    default: break;
  }
}

}  // namespace

HistoryRow flatten(const v1::HistoryEvent& e) {
  HistoryRow r;
  if (!e.day().empty()) {
    r.day = e.day();
    r.hour = static_cast<int>(e.hour());
  }
  r.skill = text(e.skill());
  flatten_request(e, r);
  flatten_session(e, r);
  flatten_shop(e, r);
  return r;
}


}  // namespace sb::store
