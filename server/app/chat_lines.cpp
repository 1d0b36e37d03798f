#include "chat_lines.hpp"

#include <cstdio>

#include "core/proto_time.hpp"
#include "core/time.hpp"

namespace sb::app {

namespace v1 = switchboard::v1;

std::string clock_text(const google::protobuf::Timestamp& at, int utc_offset_minutes) {
  const auto lt = core::to_local(core::time_of(at), utc_offset_minutes);
  const auto ms = (core::time_of(at) + std::int64_t{utc_offset_minutes} * core::ms_per_minute) % core::ms_per_minute;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", lt.minute_of_day / 60, lt.minute_of_day % 60, static_cast<int>((ms + 60'000) % 60'000 / 1000));
  return buf;
}

namespace {

std::string short_id(const std::string& id) {
  const auto dash = id.rfind('-');
  return dash == std::string::npos ? id : id.substr(dash + 1);
}

std::string chat_line(const v1::ChatMessage& c, int offset) {
  return "[" + clock_text(c.at(), offset) + "] " + (c.sender() == v1::SENDER_SYSTEM ? std::string("(system)") : c.sender_id()) + ": " +
         c.text() + "   (" + short_id(c.session_id()) + ")";
}

void assigned_lines(const v1::Assigned& a, int offset, std::vector<std::string>& out) {
  out.push_back("-- " + std::string(a.transfer() ? "transferred" : "chat") + " " + short_id(a.session_id()) + ": " + a.member_id() +
                " with " + (a.agent_id().empty() ? std::string("(queued)") : a.agent_id()) + ", " + a.skill() + ", tier " +
                v1::Tier_Name(a.tier()).substr(5) + "; 45-s clock from " + clock_text(a.clock_started_at(), offset));
  for (const auto& m : a.history()) out.push_back(chat_line(m, offset));
}

void view_lines(const v1::ShopView& v, std::vector<std::string>& out) {
  out.push_back("-- shop " + v.shop_id() + (v.open() ? " (open)" : " (closed)"));
  for (const auto& q : v.queues()) {
    out.push_back("   queue " + q.skill() + ": " + std::to_string(q.waiting_size()) + " waiting, longest " +
                  std::to_string(q.longest_wait_ms() / 1000) + " s");
    for (const auto& w : q.waiting())
      out.push_back("     #" + std::to_string(w.position()) + " " + w.member_id() + " waits " + std::to_string(w.wait_ms() / 1000) +
                    " s: " + v1::WaitReason_Name(w.reason()).substr(12));
  }
  for (const auto& a : v.agents())
    out.push_back("   agent " + a.agent_id() + ": " + v1::AgentStatus_Name(a.status()).substr(13) + ", " +
                  std::to_string(a.active_sessions()) + " of " + std::to_string(a.window()) + " chats, " +
                  std::to_string(a.sessions_today()) + " of " + std::to_string(a.daily_cap()) + " today");
  for (const auto& s : v.sessions())
    out.push_back("   session " + short_id(s.session_id()) + ": " + s.member_id() + " with " +
                  (s.agent_id().empty() ? std::string("(queued)") : s.agent_id()) + (s.first_reply_pending() ? ", not answered yet" : ""));
}

std::string alert_line(const v1::ServerMessage& m) {
  switch (m.body_case()) {
    case v1::ServerMessage::kFirstResponseWarning:
      return "!! " + short_id(m.first_response_warning().session_id()) + ": " +
             std::to_string(m.first_response_warning().elapsed_ms() / 1000) + " s without a reply (45-s clock)";
    case v1::ServerMessage::kFirstResponseBreach:
      return "!! " + (m.first_response_breach().session_id().empty() ? m.first_response_breach().request_id() : short_id(m.first_response_breach().session_id())) +
             ": no reply within " + std::to_string(m.first_response_breach().threshold_ms() / 1000) + " s" +
             (m.first_response_breach().agent_id().empty() ? "" : " (" + m.first_response_breach().agent_id() + ")");
    case v1::ServerMessage::kCheckBackReminder:
      return "!! " + short_id(m.check_back_reminder().session_id()) + ": the customer has waited " +
             std::to_string(m.check_back_reminder().customer_waiting_ms() / 1000) + " s for you";
    case v1::ServerMessage::kLongSessionAlert:
      return "!! " + short_id(m.long_session_alert().session_id()) + " with " + m.long_session_alert().agent_id() + " has run " +
             std::to_string(m.long_session_alert().duration_ms() / 60'000) + " min";
    default: return {};
  }
}

}  // namespace

std::vector<std::string> readable_lines(const v1::ServerMessage& m, int offset) {
  std::vector<std::string> out;
  using B = v1::ServerMessage::BodyCase;
  switch (m.body_case()) {
    case B::kWelcome:
      out.push_back("-- " + m.welcome().person_id() + std::string(m.welcome().resumed() ? ": welcome back to shop " : ": welcome to shop ") +
                    m.welcome().shop_id() + " (" + clock_text(m.welcome().server_time(), offset) + " there)");
      break;
    case B::kError: out.push_back("!! " + v1::ErrorCode_Name(m.error().code()).substr(11) + ": " + m.error().message()); break;
    case B::kAck:
      if (!m.request_id().empty() && m.request_id()[0] != 't') out.push_back("-- ok" + (m.ack().id().empty() ? "" : ": " + m.ack().id()));
      break;
    case B::kGreeting: out.push_back("[" + clock_text(m.greeting().at(), offset) + "] (shop): " + m.greeting().text()); break;
    case B::kQueued:
      out.push_back("-- waiting for " + m.queued().skill() + ": number " + std::to_string(m.queued().position()) + " of " +
                    std::to_string(m.queued().queue_length()));
      break;
    case B::kUnavailable:
      out.push_back("-- nobody can take the chat now (" + v1::UnavailableReason_Name(m.unavailable().reason()).substr(19) + "; hours " +
                    (m.unavailable().hours_today().empty() ? std::string("closed today") : m.unavailable().hours_today()) +
                    "): /leave TEXT leaves a message");
      break;
    case B::kAssigned: assigned_lines(m.assigned(), offset, out); break;
    case B::kChatMessage: out.push_back(chat_line(m.chat_message(), offset)); break;
    case B::kSessionClosed:
      out.push_back("-- " + short_id(m.session_closed().session_id()) + " closed (" + v1::CloseReason_Name(m.session_closed().reason()).substr(13) +
                    ")" + (m.session_closed().rating_window_s() > 0 ? "; /rate 1-5 within " + std::to_string(m.session_closed().rating_window_s() / 60) + " min" : ""));
      break;
    case B::kTransferred:
      out.push_back("-- " + short_id(m.transferred().session_id()) + " moved from " + m.transferred().from_agent_id() + " to " +
                    (m.transferred().to_agent_id().empty() ? "the " + m.transferred().to_skill() + " queue" : m.transferred().to_agent_id()));
      break;
    case B::kLeftMessages:
      out.push_back("-- " + std::to_string(m.left_messages().messages_size()) + " left messages");
      for (const auto& lm : m.left_messages().messages())
        out.push_back("   " + lm.message_id() + " from " + lm.member_id() + ": " + lm.text() + (lm.replied() ? "  [answered: " + lm.reply_text() + "]" : ""));
      break;
    case B::kLeftMessageReplied: out.push_back("-- the shop answered your message: " + m.left_message_replied().message().reply_text()); break;
    case B::kShopView: view_lines(m.shop_view(), out); break;
    case B::kAgentChanged: {
      const auto& a = m.agent_changed().agent();
      out.push_back("-- " + a.agent_id() + " is " + v1::AgentStatus_Name(a.status()).substr(13) + ", " + std::to_string(a.active_sessions()) +
                    " of " + std::to_string(a.window()) + " chats");
      break;
    }
    case B::kShutdown:
      out.push_back("-- the server is stopping (" + m.shutdown().reason() + "); back in " + std::to_string(m.shutdown().reconnect_after_ms()) + " ms");
      break;
    case B::kResumed:
      if (m.resumed().has_queued()) out.push_back("-- still waiting: number " + std::to_string(m.resumed().queued().position()));
      for (const auto& s : m.resumed().sessions()) assigned_lines(s, offset, out);
      break;
    case B::kPong: break;
    default:
      if (auto line = alert_line(m); !line.empty()) out.push_back(line);
      break;
  }
  return out;
}

}  // namespace sb::app
