// How a trace's customer behaves — and the agent script of each of its legs — in answer to what
// the server tells the customer, the same in the simulator (virtual time, calls into the
// engine) and in the live replay (real time, WebSockets). The driver schedules each Planned
// action after its delay and, when it is due, asks fire() what to send now: nothing if the chat
// has moved on (closed, transferred, handed back, the customer gone).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "trace.hpp"

namespace sb::sim {

// Without a script for a leg (an assignment the trace did not foresee, e.g. after a hand-back
// under another staffing plan), its agent answers and closes as a plain chat would.
constexpr DurationMs unscripted_reply_ms = 20'000;
constexpr DurationMs unscripted_close_ms = 120'000;

struct Planned {
  enum class What : std::uint8_t { step, unscripted_reply, unscripted_close, give_up, rate, leave_message, leave };
  DurationMs after_ms = 0;
  What what = What::step;
  std::uint32_t leg = 0;
  std::uint32_t step = 0;
};

struct Outgoing {
  enum class From : std::uint8_t { customer, agent };
  From from = From::customer;
  switchboard::v1::ClientMessage message;
  bool leaves_after = false;  // the customer goes once this is sent (its chat is over)
};

class TraceCustomer {
 public:
  // `has_agent(id)`: whether the staffing plan has that agent (a transfer to one it lacks goes to the skill).
  TraceCustomer(const switchboard::v1::TraceArrival* arrival, std::function<bool(const std::string&)> has_agent);

  // What opens the chat after the hello: enter, then the first message.
  std::vector<switchboard::v1::ClientMessage> opening() const;
  // When the customer gives up if nobody has taken the chat by then.
  std::optional<Planned> patience() const;
  // What the customer (and the leg's agent) will do after this message from the server.
  std::vector<Planned> on_server_message(const switchboard::v1::ServerMessage& m);
  // A planned action is due: what to send now, if the chat still wants it.
  std::optional<Outgoing> fire(const Planned& p);
  // The left message was acknowledged: the customer goes.
  void gone() { gone_ = true; }

  const switchboard::v1::TraceArrival& arrival() const { return *arrival_; }
  const std::string& session() const { return session_; }
  const std::string& agent() const { return agent_; }  // the current leg's; empty between legs
  bool assigned() const { return assigned_; }
  bool closed() const { return closed_; }
  bool is_gone() const { return gone_; }
  std::uint32_t legs_started() const { return legs_started_; }

 private:
  std::optional<Outgoing> step(std::uint32_t leg, std::uint32_t step);
  bool leg_is_current(std::uint32_t leg) const { return !gone_ && !closed_ && legs_started_ == leg + 1 && !agent_.empty(); }

  const switchboard::v1::TraceArrival* arrival_;
  std::function<bool(const std::string&)> has_agent_;
  std::string session_, agent_;
  std::uint32_t legs_started_ = 0;
  bool assigned_ = false, closed_ = false, gone_ = false;
};

}  // namespace sb::sim
