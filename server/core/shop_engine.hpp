// One shop's live state and rules: chats, queues, routing, sessions and their legs, the
// 45-second clock, left messages, ratings and orders. Driven by calls carrying `now`; never
// blocks, never reads a clock. Every reply, message and timer it produces goes into Output.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "actor.hpp"
#include "counter_sink.hpp"
#include "figures_book.hpp"
#include "output.hpp"
#include "shop_config.hpp"
#include "switchboard/v1/switchboard.pb.h"

namespace sb::core {

// How a person's last connection went: a goodbye (or an eviction) ends its chat now; a drop
// holds it for the shop's reconnect grace.
enum class Departure { goodbye, dropped };

struct OrderResult {
  bool ok = false;
  std::string error;  // when !ok: names the problem
  bool duplicate = false;
  bool attributed = false;
};

class ShopEngine {
 public:
  ShopEngine(ShopConfig config, std::uint32_t index, std::string id_prefix, CounterSink* sink);
  ShopEngine(const ShopEngine&) = delete;  // agents and the book point into config_
  ShopEngine& operator=(const ShopEngine&) = delete;

  // Without history the figures are kept but no HistoryEvent is built (the simulator).
  void set_record_history(bool on) { record_history_ = on; }
  // Schedules the hour-boundary timer; call once before anything else.
  void start(TimeMs now, Output& out);
  // A person connected (after its token was checked); reply is Welcome or Error, followed by
  // Resumed when the person has a chat or sessions going. `hello` gives what it has seen.
  void person_joined(TimeMs now, const Actor& actor, Output& out, const switchboard::v1::Hello* hello = nullptr);
  // One of the person's connections went away.
  void person_left(TimeMs now, const Actor& actor, Output& out, Departure how = Departure::goodbye);
  void handle(TimeMs now, const Actor& actor, const switchboard::v1::ClientMessage& msg, Output& out);
  void on_timer(TimeMs now, const TimerKey& key, Output& out);
  OrderResult order(TimeMs now, const switchboard::v1::Order& order, Output& out);

  switchboard::v1::ShopFigures figures(DayNumber day, TimeMs now) const;
  switchboard::v1::ShopView view(TimeMs now) const;
  const ShopConfig& config() const { return config_; }
  const FiguresBook& book() const { return book_; }
  std::size_t sessions_open() const { return sessions_open_; }
  std::size_t queued() const { return waiting_.size(); }
  // How much the shop remembers beyond its live chats (each bounded; see forget_expired).
  struct Remembered {
    std::size_t order_ids = 0, first_receivers = 0, inquiring_members = 0, purchasing_members = 0, figure_days = 0;
  };
  Remembered remembered() const;
  // Consistency of the whole state; asserted after every call in debug builds and by tests.
  bool check_invariants(std::string& why) const;

 private:
  struct Agent {
    const AgentConfig* config = nullptr;
    std::uint32_t window = 0;
    switchboard::v1::AgentStatus status = switchboard::v1::AGENT_STATUS_OFFLINE;
    std::set<std::uint64_t> sessions;  // open sessions whose current leg is this agent's
    TimeMs idle_since = 0;             // last assignment, or when it came online
    DayNumber cap_day = 0;
    std::uint32_t sessions_today = 0;
    std::uint32_t connections = 0;
    std::size_t order = 0;             // position in config, for round-robin
    bool detached = false;             // dropped, within the reconnect grace: keeps sessions, gets no new ones
    std::uint64_t grace_generation = 0;
  };

  struct Leg {
    std::string agent;
    TimeMs assigned_at = 0;
    TimeMs clock_start = 0;
    TimeMs first_reply_at = -1;
    bool transferred_out = false;
  };

  // A 45-second clock that is still running (no human reply yet on that leg).
  struct Clock {
    TimeMs start = 0;
    std::uint64_t request = 0;  // set while queued
    std::uint64_t session = 0;  // set once assigned (or transferred)
    bool warned = false;
    bool breached = false;
  };

  // A demand waiting in the queue: a new chat, or a session transferred to a skill.
  struct Request {
    std::uint64_t id = 0;
    std::string member;
    std::string skill;
    switchboard::v1::Tier tier = switchboard::v1::TIER_C;
    Origin origin;
    TimeMs begun_at = 0;
    TimeMs enqueued_at = 0;
    std::uint64_t seq = 0;  // queue order within a tier
    std::string held_for;   // first receiver
    TimeMs hold_until = 0;
    std::uint64_t clock = 0;
    std::uint64_t session = 0;  // a transferred session waiting for its next leg
    std::uint32_t last_position_sent = 0;
    std::vector<switchboard::v1::ChatMessage> pending;  // customer messages while queued
  };

  struct Session {
    std::uint64_t id = 0;
    std::string member;
    std::string skill;  // current queue skill (the origin keeps the request's skill)
    switchboard::v1::Tier tier = switchboard::v1::TIER_C;
    Origin origin;
    TimeMs begun_at = 0;
    TimeMs connected_at = 0;
    TimeMs closed_at = -1;
    std::vector<Leg> legs;
    std::uint64_t clock = 0;    // running clock of the current leg, 0 when stopped
    std::uint64_t waiting_request = 0;  // queued for its next leg after a transfer to a skill
    bool customer_wrote = false, agent_wrote = false, valid = false;
    int rating = 0;
    TimeMs customer_waiting_since = -1;
    std::uint64_t check_back_generation = 0;
    std::set<std::string> watchers;
    std::deque<switchboard::v1::ChatMessage> transcript;
    std::uint64_t message_seq = 0;  // last ChatMessage.seq given out
    bool open() const { return closed_at < 0; }
    const std::string& agent() const { return legs.back().agent; }
  };

  // idle: connected, chat window not opened; entered: greeted, no request yet.
  enum class ChatState { idle, entered, queued, in_session };
  struct Chat {
    ChatState state = ChatState::idle;
    std::string skill;
    switchboard::v1::Tier tier = switchboard::v1::TIER_C;
    std::uint64_t request = 0;
    std::uint64_t session = 0;
    std::uint32_t connections = 0;
    std::string member;
    std::uint64_t id = 0;                // names its reconnect-grace timer
    bool detached = false;               // dropped, within the reconnect grace
    std::uint64_t grace_generation = 0;
  };

  struct LeftMessage {
    switchboard::v1::LeftMessage message;
    TimeMs left_at = 0;
  };

  struct Served {
    std::string agent;
    TimeMs at = 0;
  };

  struct Inquiry {
    TimeMs connected_at = 0;
    Origin origin;
    std::string agent;
  };

  struct Purchase {
    TimeMs at = 0;
    std::string category;
  };

  // --- commands (shop_engine.cpp)
  void on_enter(TimeMs now, const Actor& a, const switchboard::v1::Enter& m, Output& out);
  void on_send_text(TimeMs now, const Actor& a, const switchboard::v1::SendText& m, Output& out);
  void on_customer_text(TimeMs now, const Actor& a, Chat& chat, const switchboard::v1::SendText& m, Output& out);
  void on_agent_text(TimeMs now, const Actor& a, const switchboard::v1::SendText& m, Output& out);
  void on_cancel(TimeMs now, const Actor& a, Output& out);
  void on_rate(TimeMs now, const Actor& a, const switchboard::v1::Rate& m, Output& out);
  void on_leave_message(TimeMs now, const Actor& a, const switchboard::v1::LeaveMessage& m, Output& out);
  void on_set_status(TimeMs now, const Actor& a, const switchboard::v1::SetAgentStatus& m, Output& out);
  void on_transfer(TimeMs now, const Actor& a, const switchboard::v1::Transfer& m, Output& out);
  void on_close(TimeMs now, const Actor& a, const switchboard::v1::CloseSession& m, Output& out);
  void on_list_left(const switchboard::v1::ListLeftMessages& m, Output& out);
  void on_reply_left(TimeMs now, const Actor& a, const switchboard::v1::ReplyLeftMessage& m, Output& out);
  void on_watch(TimeMs now, const Actor& a, const switchboard::v1::WatchSession& m, Output& out);
  void on_set_window(TimeMs now, const Actor& a, const switchboard::v1::SetWindow& m, Output& out);

  // --- lifecycle (shop_engine.cpp)
  void begin_request(TimeMs now, const Actor& a, Chat& chat, const switchboard::v1::ChatMessage& first, Output& out);
  void abandon(TimeMs now, Chat& chat, Output& out);
  void close_session(TimeMs now, Session& s, switchboard::v1::CloseReason reason, Output& out);
  void set_status(TimeMs now, Agent& agent, switchboard::v1::AgentStatus status, Output& out);
  void requeue(TimeMs now, Session& s, const std::string& skill, Output& out);
  void end_leg(TimeMs now, Session& s, bool transferred_out, Output& out);
  void start_leg(TimeMs now, Session& s, Agent& agent, TimeMs clock_start, std::uint64_t clock, Output& out);
  void stop_clock(Session& s);
  void mark_valid_if_both_wrote(TimeMs now, Session& s, Output& out);
  void attribute(TimeMs now, const Inquiry& inquiry, const std::string& member, const Purchase& purchase, Output& out);
  void append(Session& s, switchboard::v1::ChatMessage m, Output& out, bool to_customer, bool to_agent);
  // --- reconnects (shop_engine_reconnect.cpp)
  void hold_customer(TimeMs now, Chat& chat, Output& out);
  void hold_agent(TimeMs now, Agent& agent, Output& out);
  void end_chat(TimeMs now, Chat& chat, Output& out);  // the customer is gone for good
  void on_grace_timer(TimeMs now, const TimerKey& key, Output& out);
  void send_resumed(const Actor& a, const switchboard::v1::Hello* hello, Output& out);
  switchboard::v1::Assigned assigned_view(const Session& s, std::uint64_t seen_seq) const;

  // --- routing (shop_engine_routing.cpp)
  void dispatch(TimeMs now, Output& out);
  bool eligible(TimeMs now, const Agent& agent, const Request& r) const;
  Agent* pick_agent(TimeMs now, const Request& r);
  void assign(TimeMs now, Request& r, Agent& agent, Output& out);
  void enqueue(Request& r);
  void dequeue(const Request& r);
  void refresh_queue(Output& out);
  switchboard::v1::WaitReason wait_reason(TimeMs now, const Request& r) const;
  std::uint32_t sessions_today(TimeMs now, const Agent& agent) const;
  void refresh_gauges();

  // --- helpers
  void reply_error(Output& out, switchboard::v1::ErrorCode code, std::string text) const;
  void reply_ack(Output& out, std::string id = {}) const;
  void deliver(Output& out, switchboard::v1::Role role, const std::string& id,
               std::shared_ptr<const switchboard::v1::ServerMessage> msg) const;
  void deliver_supervisors(Output& out, std::shared_ptr<const switchboard::v1::ServerMessage> msg) const;
  void deliver_watchers(Output& out, const Session& s, std::shared_ptr<const switchboard::v1::ServerMessage> msg) const;
  void timer(Output& out, TimeMs due, TimerKind kind, std::uint64_t id, std::uint64_t generation = 0) const;
  Origin origin_of(TimeMs t, const std::string& skill) const;
  std::string external_id(char kind, std::uint64_t n) const;
  std::uint64_t internal_id(char kind, const std::string& id) const;  // 0 if not ours
  Session* find_session(const std::string& id);
  Agent* find_agent(const std::string& id);
  switchboard::v1::AgentView agent_view(TimeMs now, const Agent& a) const;
  void announce_agent(TimeMs now, const Agent& a, Output& out) const;
  void online_changed(TimeMs now, int delta, Output& out);
  void accrue_online(TimeMs from, TimeMs to, Output& out);
  switchboard::v1::HistoryEvent& event(Output& out, TimeMs now, switchboard::v1::EventKind kind, const Origin* origin = nullptr);
  void on_clock_timer(TimeMs now, const TimerKey& key, Output& out);
  // Every remembered set has a bound: what no rule can use any more is dropped (hourly).
  void forget_expired(TimeMs now);
  // Who did what as a supervisor, kept in history (listen-in, windows, statuses, transfers, closes).
  void supervisor_action(TimeMs now, const Actor& a, const char* action, const std::string& session_id,
                         const std::string& target, std::string detail, Output& out);

  ShopConfig config_;
  std::uint32_t index_;
  std::string id_prefix_;
  CounterSink* sink_;
  FiguresBook book_;

  std::map<std::string, Agent> agents_;
  std::vector<Agent*> agents_in_order_;  // config order, for round-robin
  std::unordered_map<std::string, std::uint32_t> supervisors_;  // connections per supervisor id
  std::unordered_map<std::string, Chat> chats_;        // by member id
  std::unordered_map<std::uint64_t, std::string> detached_chats_;  // chat id -> member, within the grace
  std::uint64_t next_chat_id_ = 1;
  std::unordered_map<std::uint64_t, Request> requests_;
  std::set<std::tuple<int, std::uint64_t, std::uint64_t>> waiting_;  // (tier, seq, request id)
  std::unordered_map<std::uint64_t, Session> sessions_;  // open, and closed within the rating window
  std::unordered_map<std::uint64_t, Clock> clocks_;
  std::map<std::uint64_t, LeftMessage> left_messages_;
  std::unordered_map<std::string, Served> last_served_;
  std::unordered_map<std::string, std::vector<Inquiry>> inquiries_;  // valid sessions, per member
  std::unordered_map<std::string, std::vector<Purchase>> purchases_;
  std::unordered_set<std::string> order_ids_;
  std::deque<std::pair<TimeMs, std::string>> order_ids_by_age_;  // forgotten after the attribution window
  std::uint64_t next_id_ = 1;
  std::uint64_t next_event_ = 1;
  bool record_history_ = true;
  switchboard::v1::HistoryEvent scratch_event_;  // filled and forgotten when history is off
  std::size_t sessions_open_ = 0;
  int agents_online_ = 0;
  TimeMs online_since_ = -1;
  std::size_t round_robin_next_ = 0;
};

}  // namespace sb::core
