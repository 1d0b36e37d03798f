// One shop's live state and the switches that drive its rules. Driven by calls carrying `now`;
// never blocks, never reads a clock; every reply, message, history event and timer it produces
// goes into Output. Each rule of DOMAIN.md has its own file (docs/architecture.md lists them):
//   request_intake.cpp      a request begins (first message), outside hours, no agent, queue full, cancel
//   waiting_queue.*         tiers, order, positions, bounds
//   eligibility.*           who may take a chat now (status, window, daily cap), why a customer waits
//   first_receiver.*        the returning customer held for the agent who served it
//   routing.cpp             strategies and dispatch
//   first_response_clock.*  the 45-second clock, its warning and breach
//   session_lifecycle.*     sessions, legs, texts, transfers, close and the judgement of the last leg
//   ratings.cpp             valid sessions, the rating window, final ratings
//   attribution.*           orders and inquiry conversion
//   online_time.*           online duration of the shop and of each agent
//   left_messages.*         messages left, listed and answered
//   reconnect.cpp           holding a dropped person's chat or sessions for the grace
//   shop_view.cpp           the supervisor's view and the agent views
//   invariants.cpp          what must hold after every call
//   history_events.*        the history events, one builder per kind
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "actor.hpp"
#include "agents.hpp"
#include "attribution.hpp"
#include "counter_sink.hpp"
#include "customer_chat.hpp"
#include "figures_book.hpp"
#include "first_receiver.hpp"
#include "first_response_clock.hpp"
#include "history_events.hpp"
#include "left_messages.hpp"
#include "online_time.hpp"
#include "output.hpp"
#include "session_lifecycle.hpp"
#include "shop_config.hpp"
#include "switchboard/v1/snapshot.pb.h"
#include "switchboard/v1/switchboard.pb.h"
#include "expected_wait.hpp"
#include "waiting_queue.hpp"

namespace sb::core {

// How a person's last connection went: a goodbye (or an eviction) ends its chat now; a drop
// holds it for the shop's reconnect grace.
enum class Departure { goodbye, dropped };

// A rule broken on purpose, to prove the bug-hunting simulator finds such a bug (its tests only).
enum class InjectedBug : std::uint8_t { none, judge_transferred_twice };

struct OrderResult {
  bool ok = false;
  std::string error;  // when !ok: names the problem
  bool duplicate = false;
  bool attributed = false;
};

struct SnapshotCodec;  // snapshot.cpp: writes and loads the state

class ShopEngine {
  friend struct SnapshotCodec;

 public:
  ShopEngine(ShopConfig config, std::uint32_t index, std::string id_prefix, CounterSink* sink);
  ShopEngine(const ShopEngine&) = delete;  // agents, the book and the rules point into config_
  ShopEngine& operator=(const ShopEngine&) = delete;

  // Without history the figures are kept but no HistoryEvent is built (the simulator).
  void set_record_history(bool on) { history_.set_recording(on); }
  void inject(InjectedBug bug) { bug_ = bug; }
  // Its place in the engine moved (another shop left, shop_handover.cpp): timers carry it.
  void set_index(std::uint32_t index) { index_ = index; }
  std::uint32_t index() const { return index_; }
  // Schedules the hour-boundary timer; call once before anything else.
  void start(TimeMs now, Output& out);
  // A person's hello, proven by the edge; reply is Welcome (its person id names a new guest)
  // or Error, followed by Resumed when the person has a chat or sessions going.
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
  std::size_t sessions_open() const { return sessions_.open(); }
  std::size_t queued() const { return queue_.size(); }
  // How much the shop remembers beyond its live chats (each bounded; see forget_expired).
  struct Remembered {
    std::size_t order_ids = 0, first_receivers = 0, inquiring_members = 0, purchasing_members = 0, figure_days = 0;
  };
  Remembered remembered() const;
  // Consistency of the whole state (invariants.cpp); checked after every call by tests and the simulator.
  bool check_invariants(std::string& why) const;
  // The figures' identities alone (invariants.cpp): also checked at the end of a fast simulation.
  bool figures_hold(std::string& why) const;
  // snapshot.cpp: the whole live state and back, for a fresh ShopEngine of the same config
  // (a restart bounded by snapshots). load() refuses a snapshot of another shop or naming an
  // agent or skill the config lacks, saying which.
  void save(switchboard::v1::ShopSnapshot& out) const;
  bool load(const switchboard::v1::ShopSnapshot& in, std::string& why);

 private:
  // --- request_intake.cpp
  void on_enter(TimeMs now, const Actor& a, const switchboard::v1::Enter& m, Output& out);
  void on_send_text(TimeMs now, const Actor& a, const switchboard::v1::SendText& m, Output& out);
  void on_customer_text(TimeMs now, const Actor& a, Chat& chat, const switchboard::v1::SendText& m, Output& out);
  void begin_request(TimeMs now, const Actor& a, Chat& chat, const switchboard::v1::ChatMessage& first, Output& out);
  void not_connected(TimeMs now, const Actor& a, const Origin& origin, std::uint64_t request, switchboard::v1::UnconnectedReason why,
                     Output& out);
  void keep_queued_text(TimeMs now, Request& r, switchboard::v1::ChatMessage m, Output& out);
  void abandon(TimeMs now, Chat& chat, Output& out);
  void on_cancel(TimeMs now, const Actor& a, Output& out);
  // --- session_lifecycle.cpp
  void on_agent_text(TimeMs now, const Actor& a, const switchboard::v1::SendText& m, Output& out);
  void on_transfer(TimeMs now, const Actor& a, const switchboard::v1::Transfer& m, Output& out);
  void transfer_to_agent(TimeMs now, const Actor& a, Session& s, AgentState& target, Output& out);
  void on_close(TimeMs now, const Actor& a, const switchboard::v1::CloseSession& m, Output& out);
  void on_watch(TimeMs now, const Actor& a, const switchboard::v1::WatchSession& m, Output& out);
  void assign(TimeMs now, Request& r, AgentState& agent, Output& out);
  Session& open_session(TimeMs now, Request& r, AgentState& agent, Output& out);
  void start_leg(TimeMs now, Session& s, AgentState& agent, TimeMs clock_start, std::uint64_t clock, Output& out);
  void end_leg(TimeMs now, Session& s, bool transferred_out, Output& out);
  void requeue(TimeMs now, Session& s, const std::string& skill, Output& out);
  void close_session(TimeMs now, Session& s, switchboard::v1::CloseReason reason, Output& out);
  void stop_clock(Session& s);
  void append(Session& s, switchboard::v1::ChatMessage m, Output& out, bool to_customer, bool to_agent);
  void on_check_back(TimeMs now, const TimerKey& key, Output& out);
  void on_long_session(TimeMs now, const TimerKey& key, Output& out);
  // --- ratings.cpp
  void on_rate(TimeMs now, const Actor& a, const switchboard::v1::Rate& m, Output& out);
  void mark_valid_if_both_wrote(TimeMs now, Session& s, Output& out);
  void on_rating_window_close(TimeMs now, const TimerKey& key, Output& out);
  // --- first_response_clock.cpp
  void on_clock_timer(TimeMs now, const TimerKey& key, Output& out);
  void send_warning(TimeMs now, Clock& c, const std::string& session_id, const std::string& agent, Output& out);
  std::uint64_t start_clock(TimeMs start, std::uint64_t request, std::uint64_t session, Output& out);
  // --- agent status (eligibility.cpp)
  void on_set_status(TimeMs now, const Actor& a, const switchboard::v1::SetAgentStatus& m, Output& out);
  void set_status(TimeMs now, AgentState& agent, switchboard::v1::AgentStatus status, Output& out);
  void hand_back(TimeMs now, AgentState& agent, Output& out);
  void on_set_window(TimeMs now, const Actor& a, const switchboard::v1::SetWindow& m, Output& out);
  // --- first_receiver.cpp
  void hold_for(TimeMs now, Request& r, const std::string& agent, Output& out);
  void hold_for_first_receiver(TimeMs now, Request& r, Output& out);
  // --- routing.cpp
  void dispatch(TimeMs now, Output& out);
  AgentState* pick_agent(TimeMs now, const Request& r, const std::vector<AgentState*>& free);
  void refresh_queue(Output& out);
  void refresh_gauges();
  // --- attribution.cpp
  void inquire(TimeMs now, const Session& s, const std::string& agent, Output& out);
  void attribute(TimeMs now, const Inquiry& inquiry, const std::string& member, const Purchase& purchase, Output& out);
  // --- online_time.cpp
  void online_changed(TimeMs now, AgentState& agent, bool online, Output& out);
  void accrue_online(TimeMs from, TimeMs to, Output& out);
  void accrue_agent_online(AgentState& agent, TimeMs to, Output& out);
  void on_hour_boundary(TimeMs now, Output& out);
  // --- left_messages.cpp
  void on_leave_message(TimeMs now, const Actor& a, const switchboard::v1::LeaveMessage& m, Output& out);
  void on_list_left(const switchboard::v1::ListLeftMessages& m, Output& out);
  void on_reply_left(TimeMs now, const Actor& a, const switchboard::v1::ReplyLeftMessage& m, Output& out);
  // --- reconnect.cpp
  void hold_customer(TimeMs now, Chat& chat, Output& out);
  void hold_agent(TimeMs now, AgentState& agent, Output& out);
  void end_chat(TimeMs now, Chat& chat, Output& out);  // the customer is gone for good
  void on_grace_timer(TimeMs now, const TimerKey& key, Output& out);
  void send_resumed(const Actor& a, const switchboard::v1::Hello* hello, Output& out);
  switchboard::v1::Assigned assigned_view(const Session& s, std::uint64_t seen_seq) const;
  // --- shop_view.cpp
  switchboard::v1::AgentView agent_view(TimeMs now, const AgentState& a) const;
  void announce_agent(TimeMs now, const AgentState& a, Output& out) const;
  switchboard::v1::WaitReason wait_reason(TimeMs now, const Request& r) const;

  // --- invariants.cpp
  bool queue_holds(std::string& why) const;
  bool sessions_hold(std::string& why) const;
  bool agents_hold(std::string& why) const;
  bool chats_hold(std::string& why) const;

  // --- shop_engine.cpp: the switches and what every rule shares
  bool customer_joined(const Actor& a, std::string& person);
  void forget_expired(TimeMs now);
  void supervisor_action(TimeMs now, const Actor& a, switchboard::v1::SupervisorActionKind action,
                         const std::string& session_id, const std::string& target, std::string detail, Output& out);
  void reply_error(Output& out, switchboard::v1::ErrorCode code, std::string text) const;
  void reply_ack(Output& out, std::string id = {}) const;
  static std::shared_ptr<switchboard::v1::ServerMessage> make_message();
  void deliver(Output& out, switchboard::v1::Role role, const std::string& id,
               std::shared_ptr<const switchboard::v1::ServerMessage> msg) const;
  void deliver_supervisors(Output& out, std::shared_ptr<const switchboard::v1::ServerMessage> msg) const;
  void deliver_watchers(Output& out, const Session& s, std::shared_ptr<const switchboard::v1::ServerMessage> msg) const;
  void timer(Output& out, TimeMs due, TimerKind kind, std::uint64_t id, std::uint64_t generation = 0) const;
  Origin origin_of(TimeMs t, const std::string& skill) const;
  std::string external_id(char kind, std::uint64_t n) const;
  std::uint64_t internal_id(char kind, const std::string& id) const;  // 0 if not ours
  Session* find_session(const std::string& id);
  Chat* find_chat(const std::string& member);

  ShopConfig config_;
  std::uint32_t index_;
  std::string id_prefix_;
  CounterSink* sink_;
  FiguresBook book_;
  HistoryLog history_;

  Agents agents_;
  std::unordered_map<std::string, std::uint32_t> supervisors_;  // connections per supervisor id
  std::unordered_map<std::string, Chat> chats_;                 // by member id
  std::unordered_map<std::uint64_t, std::string> detached_chats_;  // chat id -> member, within the grace
  std::uint64_t next_chat_id_ = 1;
  WaitingQueue queue_;
  ExpectedWait expected_wait_;
  Sessions sessions_;
  FirstResponseClocks clocks_;
  FirstReceivers first_receivers_;
  Attribution attribution_;
  OnlineTime online_;
  LeftMessages left_;
  std::uint64_t next_id_ = 1;
  std::size_t round_robin_next_ = 0;
  InjectedBug bug_ = InjectedBug::none;
};

}  // namespace sb::core
