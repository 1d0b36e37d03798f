#include "trace_customer.hpp"

#include <algorithm>

namespace sb::sim {

namespace v1 = switchboard::v1;

TraceCustomer::TraceCustomer(const v1::TraceArrival* arrival, std::function<bool(const std::string&)> has_agent)
    : arrival_(arrival), has_agent_(std::move(has_agent)) {}

std::vector<v1::ClientMessage> TraceCustomer::opening() const {
  std::vector<v1::ClientMessage> out(2);
  out[0].mutable_enter()->set_skill(arrival_->skill());
  out[1].mutable_send_text()->set_text(arrival_->text().empty() ? "hello" : arrival_->text());
  return out;
}

std::optional<Planned> TraceCustomer::patience() const {
  if (arrival_->patience_ms() <= 0) return std::nullopt;
  return Planned{arrival_->patience_ms(), Planned::What::give_up, 0, 0};
}

std::vector<Planned> TraceCustomer::on_server_message(const v1::ServerMessage& m) {
  std::vector<Planned> plan;
  if (gone_) return plan;
  switch (m.body_case()) {
    case v1::ServerMessage::kAssigned: {
      assigned_ = true;
      session_ = m.assigned().session_id();
      agent_ = m.assigned().agent_id();
      const std::uint32_t leg = legs_started_++;
      if (leg < static_cast<std::uint32_t>(arrival_->legs_size())) {
        const auto& steps = arrival_->legs(static_cast<int>(leg)).steps();
        for (int s = 0; s < steps.size(); ++s) plan.push_back(Planned{steps[s].after_ms(), Planned::What::step, leg, static_cast<std::uint32_t>(s)});
      } else {
        plan.push_back(Planned{unscripted_reply_ms, Planned::What::unscripted_reply, leg, 0});
        plan.push_back(Planned{unscripted_close_ms, Planned::What::unscripted_close, leg, 0});
      }
      break;
    }
    case v1::ServerMessage::kTransferred: agent_.clear(); break;
    case v1::ServerMessage::kSessionClosed:
      if (m.session_closed().session_id() != session_ || closed_) break;
      closed_ = true;
      agent_.clear();
      if (arrival_->rating() > 0) plan.push_back(Planned{std::max<DurationMs>(1, arrival_->rating_after_ms()), Planned::What::rate});
      else plan.push_back(Planned{0, Planned::What::leave});
      break;
    case v1::ServerMessage::kUnavailable:
      plan.push_back(Planned{0, arrival_->left_message().empty() ? Planned::What::leave : Planned::What::leave_message});
      break;
    default: break;
  }
  return plan;
}

std::optional<Outgoing> TraceCustomer::step(std::uint32_t leg, std::uint32_t s) {
  const auto& st = arrival_->legs(static_cast<int>(leg)).steps(static_cast<int>(s));
  Outgoing o;
  o.from = Outgoing::From::agent;
  switch (st.kind()) {
    case v1::TraceStep::KIND_AGENT_TEXT:
      o.message.mutable_send_text()->set_session_id(session_);
      o.message.mutable_send_text()->set_text(st.text().empty() ? "..." : st.text());
      break;
    case v1::TraceStep::KIND_CUSTOMER_TEXT:
      o.from = Outgoing::From::customer;
      o.message.mutable_send_text()->set_text(st.text().empty() ? "..." : st.text());
      break;
    case v1::TraceStep::KIND_TRANSFER:
      o.message.mutable_transfer()->set_session_id(session_);
      if (!st.to_agent_id().empty() && st.to_agent_id() != agent_ && has_agent_(st.to_agent_id()))
        o.message.mutable_transfer()->set_to_agent_id(st.to_agent_id());
      else
        o.message.mutable_transfer()->set_to_skill(st.to_skill());
      break;
    case v1::TraceStep::KIND_AGENT_CLOSE: o.message.mutable_close_session()->set_session_id(session_); break;
    case v1::TraceStep::KIND_CUSTOMER_CLOSE:
      o.from = Outgoing::From::customer;
      o.message.mutable_close_session()->set_session_id(session_);
      break;
    default: return std::nullopt;
  }
  return o;
}

std::optional<Outgoing> TraceCustomer::fire(const Planned& p) {
  Outgoing o;
  switch (p.what) {
    case Planned::What::step: return leg_is_current(p.leg) ? step(p.leg, p.step) : std::nullopt;
    case Planned::What::unscripted_reply:
    case Planned::What::unscripted_close:
      if (!leg_is_current(p.leg)) return std::nullopt;
      o.from = Outgoing::From::agent;
      if (p.what == Planned::What::unscripted_close) {
        o.message.mutable_close_session()->set_session_id(session_);
      } else {
        o.message.mutable_send_text()->set_session_id(session_);
        o.message.mutable_send_text()->set_text("...");
      }
      return o;
    case Planned::What::give_up:
      if (assigned_ || gone_) return std::nullopt;
      o.message.mutable_cancel();
      o.leaves_after = true;
      return o;
    case Planned::What::rate:
      if (gone_) return std::nullopt;
      o.message.mutable_rate()->set_session_id(session_);
      o.message.mutable_rate()->set_score(arrival_->rating());
      o.leaves_after = true;
      return o;
    case Planned::What::leave_message:
      if (gone_) return std::nullopt;
      o.message.mutable_leave_message()->set_text(arrival_->left_message());
      return o;  // the driver notes the ack's id (for the reply) and then lets the customer go
    case Planned::What::leave: return gone_ ? std::nullopt : std::optional<Outgoing>(Outgoing{Outgoing::From::customer, {}, true});
  }
  return std::nullopt;
}

}  // namespace sb::sim
