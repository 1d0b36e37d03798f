// The simulator: plays a trace into the routing core on virtual time. One event queue holds
// what customers, agents and order systems will do; the engine's timers fire before any action
// due later; what the engine tells customers drives their TraceCustomer (trace_customer.hpp),
// the same behaviour the live replay plays.
#include "trace_player.hpp"

#include <algorithm>
#include <cassert>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <set>
#include <unordered_map>

#include "trace_customer.hpp"

namespace sb::sim {

namespace v1 = switchboard::v1;
using core::Actor;
using core::Departure;
using core::Engine;
using core::EngineOptions;
using core::Output;
using core::ShopEngine;

TimeMs record_time(const v1::TraceRecord& r) {
  switch (r.body_case()) {
    case v1::TraceRecord::kAgentStatus: return r.agent_status().at_ms();
    case v1::TraceRecord::kArrival: return r.arrival().at_ms();
    case v1::TraceRecord::kOrder: return r.order().at_ms();
    case v1::TraceRecord::kLeftReply: return r.left_reply().at_ms();
    default: return 0;
  }
}

namespace {

enum class Act : std::uint8_t { agent_status, arrival, planned, order, left_reply, plan_shift };

struct Ev {
  TimeMs at = 0;
  std::uint64_t seq = 0;
  Act act = Act::arrival;
  std::uint32_t index = 0;  // chat, or record
  Planned planned;
  // A customer who gave up at T had gone before anything else of T: a trace records patience
  // as the moment the request ended, so an agent coming online at T must not take it.
  std::uint8_t rank() const { return act == Act::planned && planned.what == Planned::What::give_up ? 0 : 1; }
  bool operator>(const Ev& o) const {
    if (at != o.at) return at > o.at;
    if (rank() != o.rank()) return rank() > o.rank();
    return seq > o.seq;
  }
};

// A chat of the trace as the player follows it: the customer's behaviour, plus what the near
// misses are measured from.
struct Chat {
  TraceCustomer customer;
  std::uint32_t record = 0;
  TimeMs clock_start = 0;  // of the current leg: the first message, then each transfer
  bool replied = false;    // the current leg's agent has written
  std::optional<LegRecord> leg;  // with record_legs: the leg in progress
};

// The status changes a shop's planned shifts make in the trace's time: online at the start,
// paused at the end (the agent finishes its chats), offline half an hour later.
constexpr DurationMs shift_wind_down_ms = 30 * core::ms_per_minute;

void add_shift_records(const ShopConfig& shop, const v1::TraceHeader& header, std::vector<v1::TraceRecord>& out) {
  const core::DayNumber day = core::parse_date(header.day()).value_or(0);
  auto add = [&](TimeMs at, const std::string& agent, v1::AgentStatus status) {
    v1::TraceRecord r;
    auto* st = r.mutable_agent_status();
    st->set_at_ms(at);
    st->set_shop_id(shop.id);
    st->set_agent_id(agent);
    st->set_status(status);
    out.push_back(std::move(r));
  };
  // Every shift that overlaps the trace's time: one begun the evening before may reach into it,
  // one dated the next day may begin before it ends.
  for (const auto& a : shop.agents)
    for (const auto& shift : a.shifts)
      for (core::DayNumber d = day - 1; d <= day + 1; ++d) {
        if (shift.day && *shift.day != d) continue;
        const TimeMs midnight = shop.hours.zone().day_start(d);
        const TimeMs start = midnight + shift.span.open_minute * core::ms_per_minute;
        const TimeMs end = midnight + shift.span.close_minute * core::ms_per_minute;
        if (end <= header.start_ms() || start >= header.end_ms()) continue;
        add(start, a.id, v1::AGENT_STATUS_ONLINE);
        add(end, a.id, v1::AGENT_STATUS_PAUSED);
        add(end + shift_wind_down_ms, a.id, v1::AGENT_STATUS_OFFLINE);
      }
}

std::string member_key(const std::string& shop, const std::string& member) { return shop + '\x1f' + member; }

class Player {
 public:
  Player(const std::vector<ShopConfig>& shops, const Trace& trace, SimulationOptions options)
      : engine_(std::make_unique<Engine>(engine_options(options), nullptr)), trace_(trace), options_(options) {
    now_ = trace.header.start_ms();
    Output out;
    for (auto s : shops) {
      // Nobody reads transcripts in a simulation, and they do not move a figure.
      s.limits.transcript_messages_max = 0;
      shop_ids_.insert(s.id);
      if (std::any_of(s.agents.begin(), s.agents.end(), [](const auto& a) { return !a.shifts.empty(); })) {
        plan_shift_shops_.insert(s.id);
        result_.shops_on_plan_shifts.push_back(s.id);
        add_shift_records(s, trace.header, plan_shifts_);
      }
      configs_.emplace(s.id, s);
      engine_->add_shop(std::move(s), now_, out);
    }
    out.clear();
  }

  SimulationResult run() {
    // The trace's records in time order (ties in record order): they are merged with the
    // planned actions as one event stream, without passing through the heap.
    for (std::uint32_t i = 0; i < trace_.records.size(); ++i) {
      const auto& r = trace_.records[i];
      switch (r.body_case()) {
        case v1::TraceRecord::kAgentStatus: records_.push_back(Ev{r.agent_status().at_ms(), i, Act::agent_status, i, {}}); break;
        case v1::TraceRecord::kArrival: records_.push_back(Ev{r.arrival().at_ms(), i, Act::arrival, i, {}}); break;
        case v1::TraceRecord::kOrder: records_.push_back(Ev{r.order().at_ms(), i, Act::order, i, {}}); break;
        case v1::TraceRecord::kLeftReply: records_.push_back(Ev{r.left_reply().at_ms(), i, Act::left_reply, i, {}}); break;
        default: break;
      }
    }
    for (std::uint32_t i = 0; i < plan_shifts_.size(); ++i)
      records_.push_back(Ev{plan_shifts_[i].agent_status().at_ms(), trace_.records.size() + i, Act::plan_shift, i, {}});
    std::stable_sort(records_.begin(), records_.end(), [](const Ev& a, const Ev& b) { return a.at < b.at; });
    next_seq_ = trace_.records.size() + plan_shifts_.size();  // every planned action comes after the records of its moment
    play();
    result_.engine_calls += calls_;
    const auto day = core::parse_date(trace_.header.day());
    for (const auto& id : trace_.header.shop_ids()) {
      const ShopEngine* shop = engine_->shop(id);
      if (shop == nullptr) {
        result_.shops_missing.push_back(id);
        continue;
      }
      std::string why;
      if (!shop->figures_hold(why)) result_.broken.push_back(why);
      result_.figures.push_back(shop->figures(day.value_or(0), now_));
      auto after = shop->figures(day.value_or(0) + 1, now_);
      if (after.figures().connection_rate().denominator() > 0 || after.figures().message_reply_rate().denominator() > 0)
        result_.next_day.push_back(std::move(after));
    }
    return std::move(result_);
  }

 private:
  // The next event: the earlier of the next record and the next planned action.
  const Ev* next_event() const {
    const Ev* record = next_record_ < records_.size() ? &records_[next_record_] : nullptr;
    if (queue_.empty()) return record;
    if (record == nullptr || *record > queue_.top()) return &queue_.top();
    return record;
  }

  Ev take_event() {
    if (next_record_ < records_.size() && (queue_.empty() || !(records_[next_record_] > queue_.top()))) return records_[next_record_++];
    Ev ev = queue_.top();
    queue_.pop();
    return ev;
  }

  void play() {
    Output& out = out_;
    while (const Ev* next = next_event()) {
      if (auto due = engine_->next_due(); due && *due < next->at) {
        // Timers first: what they cause (an assignment) may schedule actions before `next`.
        now_ = std::max(now_, *due);
        engine_->advance(now_, out);
        absorb(out);
        continue;
      }
      const Ev ev = take_event();
      now_ = std::max(now_, ev.at);
      execute(ev);
      round_trip();
    }
    now_ = std::max(now_, trace_.header.end_ms());
    engine_->advance(now_, out);
    absorb(out);
  }

  void push(TimeMs at, Act act, std::uint32_t index, Planned planned = {}) { queue_.push(Ev{at, next_seq_++, act, index, planned}); }

  // One call into the engine; returns the id an ack carried (a left message's), if any.
  std::string call(const Actor& a, const v1::ClientMessage& m) {
    ++calls_;
    engine_->handle(now_, a, m, out_);
    std::string acked = out_.reply && out_.reply->has_ack() ? out_.reply->ack().id() : std::string();
    absorb(out_);
    return acked;
  }

  void join(const Actor& a) {
    ++calls_;
    engine_->person_joined(now_, a, out_);
    absorb(out_);
  }

  void leave(const Actor& a) {
    ++calls_;
    engine_->person_left(now_, a, out_, Departure::goodbye);
    absorb(out_);
  }

  static Actor customer(const Chat& c) {
    const auto& a = c.customer.arrival();
    return {v1::ROLE_CUSTOMER, a.shop_id(), a.member_id(), a.tier(), false};
  }
  static Actor agent(const Chat& c) { return {v1::ROLE_AGENT, c.customer.arrival().shop_id(), c.customer.agent()}; }

  bool agent_known(const std::string& shop, const std::string& agent_id) {
    const ShopEngine* s = engine_->shop(shop);
    if (s == nullptr) return false;
    for (const auto& a : s->config().agents)
      if (a.id == agent_id) return true;
    return false;
  }

  void near(const Chat& c, std::uint32_t leg, NearMiss::Kind kind, DurationMs off) {
    if (options_.near_miss_margin_ms > 0 && off > -options_.near_miss_margin_ms && off < options_.near_miss_margin_ms)
      result_.near_misses.push_back(NearMiss{c.record, leg, kind, off});
  }

  static std::string queue_key(const Chat& c) { return c.customer.arrival().shop_id() + '\x1f' + c.customer.arrival().skill(); }

  DurationMs threshold_of(const Chat& c) {
    const ShopEngine* s = engine_->shop(c.customer.arrival().shop_id());
    return s == nullptr ? 45'000 : s->config().thresholds.first_response_threshold_ms;
  }

  void note_once(const std::string& text) {
    if (noted_.insert(text).second) result_.notes.push_back(text);
  }

  void execute(const Ev& ev) {
    switch (ev.act) {
      case Act::agent_status:
        // A shop on the plan's shifts ignores the trace's.
        if (plan_shift_shops_.count(trace_.records[ev.index].agent_status().shop_id()) != 0) return;
        return agent_status(trace_.records[ev.index].agent_status());
      case Act::plan_shift: return agent_status(plan_shifts_[ev.index].agent_status());
      case Act::arrival: return arrive(ev.index);
      case Act::planned: return act(ev.index, ev.planned);
      case Act::order: {
        ++calls_;
        engine_->order(now_, trace_.records[ev.index].order().order(), out_);
        absorb(out_);
        return;
      }
      case Act::left_reply: return left_reply(trace_.records[ev.index].left_reply());
    }
  }

  void agent_status(const v1::TraceAgentStatus& r) {
    // Agents the plan lacks play no shift; agents of the plan's shops only (the rest belong to
    // another thread's shops in a parallel simulation).
    if (shop_ids_.count(r.shop_id()) == 0) return;
    if (!agent_known(r.shop_id(), r.agent_id())) {
      note_once("agent " + r.agent_id() + " of shop " + r.shop_id() + " is not in the config: its shifts are skipped");
      return;
    }
    const Actor a{v1::ROLE_AGENT, r.shop_id(), r.agent_id()};
    if (joined_agents_.insert(member_key(r.shop_id(), r.agent_id())).second) join(a);
    v1::ClientMessage m;
    m.mutable_set_agent_status()->set_status(r.status());
    call(a, m);
  }

  void arrive(std::uint32_t record) {
    const auto& r = trace_.records[record].arrival();
    if (shop_ids_.count(r.shop_id()) == 0) return;
    ++result_.arrivals;
    auto& active = active_[r.shop_id()];
    if (auto it = active.find(r.member_id()); it != active.end()) {
      // Still around from an earlier chat: that one ends now.
      chats_[it->second].customer.gone();
      const Actor old = customer(chats_[it->second]);
      active.erase(it);
      leave(old);
    }
    const auto idx = static_cast<std::uint32_t>(chats_.size());
    const std::string shop = r.shop_id();
    chats_.push_back(Chat{TraceCustomer(&r, [this, shop](const std::string& id) { return agent_known(shop, id); }), record, r.at_ms(),
                          false, std::nullopt});
    active[r.member_id()] = idx;
    join(customer(chats_[idx]));
    for (const auto& m : chats_[idx].customer.opening()) call(customer(chats_[idx]), m);
    if (auto p = chats_[idx].customer.patience(); p && !chats_[idx].customer.assigned() && !chats_[idx].customer.is_gone())
      push(r.at_ms() + p->after_ms, Act::planned, idx, *p);
  }

  void act(std::uint32_t idx, const Planned& p) {
    Chat& c = chats_[idx];
    auto out = c.customer.fire(p);
    if (!out) {
      if (p.what == Planned::What::step) ++result_.steps_skipped;
      return;
    }
    if (p.what == Planned::What::give_up && options_.near_miss_margin_ms > 0) last_cancel_[queue_key(c)] = {idx, now_};
    if (p.what == Planned::What::give_up && options_.record_legs)
      result_.gave_up.push_back(GiveUp{c.record, now_ - c.customer.arrival().at_ms()});
    const auto& m = out->message;
    if (m.has_transfer()) {
      c.clock_start = now_;  // the next leg's clock
      c.replied = false;
    }
    if (out->from == Outgoing::From::agent && m.has_send_text() && !c.replied) {
      c.replied = true;
      near(c, p.leg, NearMiss::Kind::reply, now_ - c.clock_start - threshold_of(c));
    }
    if (m.body_case() != v1::ClientMessage::BODY_NOT_SET) {
      const std::string acked = call(out->from == Outgoing::From::agent ? agent(c) : customer(c), m);
      if (m.has_leave_message() && !acked.empty())
        left_ids_[member_key(c.customer.arrival().shop_id(), c.customer.arrival().member_id())] = acked;
    }
    if (out->leaves_after || m.has_leave_message()) depart(idx);
  }

  void left_reply(const v1::TraceLeftReply& r) {
    auto it = left_ids_.find(member_key(r.shop_id(), r.member_id()));
    const ShopEngine* shop = engine_->shop(r.shop_id());
    if (it == left_ids_.end() || shop == nullptr || shop->config().agents.empty()) return;
    std::string by = r.agent_id();
    if (!agent_known(r.shop_id(), by)) by = shop->config().agents.front().id;
    const Actor a{v1::ROLE_AGENT, r.shop_id(), by};
    if (joined_agents_.insert(member_key(r.shop_id(), by)).second) join(a);
    v1::ClientMessage m;
    m.mutable_reply_left_message()->set_message_id(it->second);
    m.mutable_reply_left_message()->set_text(r.text().empty() ? "replied" : r.text());
    call(a, m);
    left_ids_.erase(it);
  }

  void depart(std::uint32_t idx) {
    Chat& c = chats_[idx];
    if (c.customer.is_gone()) return;
    end_leg(c);
    c.customer.gone();
    auto& active = active_[c.customer.arrival().shop_id()];
    if (auto it = active.find(c.customer.arrival().member_id()); it != active.end() && it->second == idx) active.erase(it);
    leave(customer(c));
  }

  // The near misses an assignment shows: its wait and patience against the threshold, and a
  // customer of the same queue who gave up just before (a little jitter and that one would
  // have been assigned now).
  void assigned_near(Chat& c) {
    const std::uint32_t leg = c.customer.legs_started();
    c.replied = false;
    if (leg != 0) return;
    near(c, leg, NearMiss::Kind::wait, now_ - c.clock_start - threshold_of(c));
    if (c.customer.arrival().patience_ms() > 0)
      near(c, leg, NearMiss::Kind::patience, now_ - (c.customer.arrival().at_ms() + c.customer.arrival().patience_ms()));
    if (auto lc = last_cancel_.find(queue_key(c)); lc != last_cancel_.end()) {
      near(chats_[lc->second.first], 0, NearMiss::Kind::patience, now_ - lc->second.second);
      last_cancel_.erase(lc);
    }
  }

  // With record_legs: a leg begins at each assignment and ends at the next, a transfer, the
  // close or the customer's going; a give-up is the wait of a customer never assigned.
  void observe_leg(Chat& c, const v1::ServerMessage& m) {
    if (m.has_assigned()) {
      end_leg(c);
      const auto& shop = c.customer.arrival().shop_id();
      const std::uint32_t held = ++agent_chats_[member_key(shop, m.assigned().agent_id())];
      c.leg = LegRecord{c.record, c.customer.legs_started() == 0 ? 0 : c.customer.legs_started() - 1, shop, m.assigned().agent_id(),
                        m.assigned().skill(), c.clock_start, now_, 0, held};
    } else if (m.has_transferred() || m.has_session_closed()) {
      end_leg(c);
    }
  }

  void end_leg(Chat& c) {
    if (!options_.record_legs) return;
    if (!c.leg) return;
    c.leg->ended_ms = now_;
    --agent_chats_[member_key(c.leg->shop_id, c.leg->agent_id)];
    result_.legs.push_back(std::move(*c.leg));
    c.leg.reset();
  }

  // Reacts to what the engine told customers: their behaviour plans what comes next.
  void absorb(Output& out) {
    for (const auto& d : out.deliveries) {
      if (d.to.role != v1::ROLE_CUSTOMER) continue;
      const auto shop = active_.find(d.shop);
      if (shop == active_.end()) continue;
      auto it = shop->second.find(d.to.id);
      if (it == shop->second.end()) continue;
      const std::uint32_t idx = it->second;
      Chat& c = chats_[idx];
      if (d.message->has_assigned()) assigned_near(c);
      if (options_.record_legs) observe_leg(c, *d.message);
      for (const auto& p : c.customer.on_server_message(*d.message)) push(now_ + p.after_ms, Act::planned, idx, p);
    }
    out.clear();
  }

  static EngineOptions engine_options(const SimulationOptions& o) {
    return EngineOptions{"sim-", 64'000'000, o.check_invariants, o.snapshot_every_calls > 0};
  }

  // The engine saved, loaded into a fresh one that plays on, as after a restart from a
  // snapshot; the loaded engine must save the same bytes.
  void round_trip() {
    if (options_.snapshot_every_calls == 0 || calls_ < snapshot_due_) return;
    snapshot_due_ = calls_ + options_.snapshot_every_calls;
    v1::EngineSnapshot saved, again;
    engine_->save(saved);
    auto fresh = std::make_unique<Engine>(engine_options(options_), nullptr);
    std::string why;
    const bool loaded = fresh->restore(saved, [&](const std::string& id) -> std::optional<ShopConfig> {
      auto it = configs_.find(id);
      return it == configs_.end() ? std::nullopt : std::optional<ShopConfig>(it->second);
    }, why);
    if (loaded) fresh->save(again);
    if (!loaded || again.SerializeAsString() != saved.SerializeAsString())
      result_.broken.push_back("snapshot at call " + std::to_string(calls_) + ": " + (loaded ? "saves other bytes once loaded" : why));
    engine_ = std::move(fresh);
    ++result_.snapshots;
  }

  std::unique_ptr<Engine> engine_;
  std::map<std::string, ShopConfig> configs_;
  std::uint64_t snapshot_due_ = 0;
  Output out_;  // reused by every call: its vectors keep their capacity
  const Trace& trace_;
  SimulationOptions options_;
  TimeMs now_ = 0;
  std::set<std::string> shop_ids_;
  std::set<std::string> plan_shift_shops_;         // shops whose agents play the config's shifts
  std::vector<v1::TraceRecord> plan_shifts_;        // their status changes on the trace's day
  std::unordered_map<std::string, std::uint32_t> agent_chats_;  // with record_legs: shop+agent -> chats held
  std::vector<Ev> records_;  // in time order
  std::size_t next_record_ = 0;
  std::priority_queue<Ev, std::vector<Ev>, std::greater<Ev>> queue_;  // planned actions
  std::uint64_t next_seq_ = 0;
  std::vector<Chat> chats_;
  std::unordered_map<std::string, std::unordered_map<std::string, std::uint32_t>> active_;  // shop -> member -> chat
  std::unordered_map<std::string, std::string> left_ids_;  // member key -> left message id
  std::unordered_map<std::string, std::pair<std::uint32_t, TimeMs>> last_cancel_;  // queue -> chat, when
  std::set<std::string> joined_agents_;
  std::set<std::string> noted_;
  std::uint64_t calls_ = 0;
  SimulationResult result_;
};

}  // namespace

SimulationResult simulate(const std::vector<ShopConfig>& shops, const Trace& trace, SimulationOptions options) {
  Player p(shops, trace, options);
  return p.run();
}

}  // namespace sb::sim
