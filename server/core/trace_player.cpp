#include "trace_player.hpp"

#include <cassert>
#include <queue>
#include <set>
#include <unordered_map>

namespace sb::core {

namespace v1 = switchboard::v1;

namespace {

// Without a script for a leg (an assignment the trace did not foresee, e.g. after a hand-back
// under another staffing plan), its agent answers and closes as a plain chat would.
constexpr DurationMs unscripted_reply_ms = 20'000;
constexpr DurationMs unscripted_close_ms = 120'000;

enum class Act : std::uint8_t { agent_status, arrival, patience, step, unscripted_reply, unscripted_close, rating, leave,
                                leave_message, order, left_reply };

struct Ev {
  TimeMs at = 0;
  std::uint64_t seq = 0;
  Act act = Act::arrival;
  std::uint32_t chat = 0;    // or record index
  std::uint32_t leg = 0;
  std::uint32_t step = 0;
  // A customer who gave up at T had gone before anything else of T: a trace records patience
  // as the moment the request ended, so an agent coming online at T must not take it.
  std::uint8_t rank() const { return act == Act::patience ? 0 : 1; }
  bool operator>(const Ev& o) const {
    if (at != o.at) return at > o.at;
    if (rank() != o.rank()) return rank() > o.rank();
    return seq > o.seq;
  }
};

struct Chat {
  const v1::TraceArrival* arrival = nullptr;
  std::uint32_t record = 0;
  TimeMs clock_start = 0;  // of the current leg: the first message, then each transfer
  bool replied = false;    // the current leg's agent has written
  std::string session;
  std::string agent;     // the current leg's agent; empty between legs
  std::uint32_t legs_started = 0;
  bool assigned = false;
  bool closed = false;
  bool gone = false;
};

std::string member_key(const std::string& shop, const std::string& member) { return shop + '\x1f' + member; }

class Player {
 public:
  Player(const std::vector<ShopConfig>& shops, const Trace& trace, SimulationOptions options)
      : engine_(EngineOptions{"sim-", 64'000'000, false, false}, nullptr), trace_(trace), options_(options) {
    now_ = trace.header.start_ms();
    Output out;
    for (auto s : shops) {
      // Nobody reads transcripts in a simulation, and they do not move a figure.
      s.limits.transcript_messages_max = 0;
      shop_ids_.insert(s.id);
      engine_.add_shop(std::move(s), now_, out);
    }
    out.clear();
  }

  SimulationResult run() {
    for (std::uint32_t i = 0; i < trace_.records.size(); ++i) {
      const auto& r = trace_.records[i];
      switch (r.body_case()) {
        case v1::TraceRecord::kAgentStatus: push(r.agent_status().at_ms(), Act::agent_status, i); break;
        case v1::TraceRecord::kArrival: push(r.arrival().at_ms(), Act::arrival, i); break;
        case v1::TraceRecord::kOrder: push(r.order().at_ms(), Act::order, i); break;
        case v1::TraceRecord::kLeftReply: push(r.left_reply().at_ms(), Act::left_reply, i); break;
        default: break;
      }
    }
    Output out;
    while (!queue_.empty()) {
      const TimeMs next = queue_.top().at;
      if (auto due = engine_.next_due(); due && *due < next) {
        // Timers first: what they cause (an assignment) may schedule steps before `next`.
        now_ = std::max(now_, *due);
        engine_.advance(now_, out);
        absorb(out);
        continue;
      }
      const Ev ev = queue_.top();
      queue_.pop();
      now_ = std::max(now_, ev.at);
      execute(ev);
    }
    now_ = std::max(now_, trace_.header.end_ms());
    engine_.advance(now_, out);
    absorb(out);
    result_.engine_calls += calls_;
    const auto day = parse_date(trace_.header.day());
    for (const auto& id : trace_.header.shop_ids()) {
      const ShopEngine* shop = engine_.shop(id);
      if (shop == nullptr) {
        result_.shops_missing.push_back(id);
        continue;
      }
      result_.figures.push_back(shop->figures(day.value_or(0), now_));
    }
    return std::move(result_);
  }

 private:
  void push(TimeMs at, Act act, std::uint32_t chat, std::uint32_t leg = 0, std::uint32_t step = 0) {
    queue_.push(Ev{at, next_seq_++, act, chat, leg, step});
  }

  v1::ServerMessage call(const Actor& a, const v1::ClientMessage& m) {
    Output out;
    ++calls_;
    engine_.handle(now_, a, m, out);
    v1::ServerMessage reply = out.reply.value_or(v1::ServerMessage{});
    absorb(out);
    return reply;
  }

  void join(const Actor& a) {
    Output out;
    ++calls_;
    engine_.person_joined(now_, a, out);
    absorb(out);
  }

  void leave(const Actor& a) {
    Output out;
    ++calls_;
    engine_.person_left(now_, a, out, Departure::goodbye);
    absorb(out);
  }

  static Actor customer(const Chat& c) {
    return {v1::ROLE_CUSTOMER, c.arrival->shop_id(), c.arrival->member_id(), c.arrival->tier(), false};
  }
  static Actor agent(const Chat& c) { return {v1::ROLE_AGENT, c.arrival->shop_id(), c.agent}; }

  bool agent_known(const std::string& shop, const std::string& agent_id) {
    const ShopEngine* s = engine_.shop(shop);
    if (s == nullptr) return false;
    for (const auto& a : s->config().agents)
      if (a.id == agent_id) return true;
    return false;
  }

  void near(const Chat& c, std::uint32_t leg, NearMiss::Kind kind, DurationMs off) {
    if (options_.near_miss_margin_ms > 0 && off > -options_.near_miss_margin_ms && off < options_.near_miss_margin_ms)
      result_.near_misses.push_back(NearMiss{c.record, leg, kind, off});
  }

  static std::string queue_key(const Chat& c) { return c.arrival->shop_id() + '\x1f' + c.arrival->skill(); }

  DurationMs threshold_of(const Chat& c) {
    const ShopEngine* s = engine_.shop(c.arrival->shop_id());
    return s == nullptr ? 45'000 : s->config().thresholds.first_response_threshold_ms;
  }

  void note_once(const std::string& text) {
    if (noted_.insert(text).second) result_.notes.push_back(text);
  }

  void execute(const Ev& ev) {
    switch (ev.act) {
      case Act::agent_status: {
        const auto& r = trace_.records[ev.chat].agent_status();
        if (!agent_known(r.shop_id(), r.agent_id())) {
          note_once("agent " + r.agent_id() + " of shop " + r.shop_id() + " is not in the config: its shifts are skipped");
          return;
        }
        const Actor a{v1::ROLE_AGENT, r.shop_id(), r.agent_id()};
        if (joined_agents_.insert(member_key(r.shop_id(), r.agent_id())).second) join(a);
        v1::ClientMessage m;
        m.mutable_set_agent_status()->set_status(r.status());
        call(a, m);
        return;
      }
      case Act::arrival: {
        const auto& r = trace_.records[ev.chat].arrival();
        if (shop_ids_.count(r.shop_id()) == 0) return;
        ++result_.arrivals;
        const std::string key = member_key(r.shop_id(), r.member_id());
        if (auto it = active_.find(key); it != active_.end()) {
          // Still around from an earlier chat: that one ends now.
          Chat& old = chats_[it->second];
          old.gone = true;
          active_.erase(it);
          leave(customer(old));
        }
        const auto idx = static_cast<std::uint32_t>(chats_.size());
        chats_.push_back(Chat{&r, ev.chat, r.at_ms(), false, {}, {}, 0, false, false, false});
        active_[key] = idx;
        const Actor a = customer(chats_[idx]);
        join(a);
        v1::ClientMessage enter;
        enter.mutable_enter()->set_skill(r.skill());
        call(a, enter);
        v1::ClientMessage first;
        first.mutable_send_text()->set_text(r.text().empty() ? "hello" : r.text());
        call(a, first);
        if (r.patience_ms() > 0 && !chats_[idx].assigned && !chats_[idx].gone)
          push(r.at_ms() + r.patience_ms(), Act::patience, idx);
        return;
      }
      case Act::patience: {
        Chat& c = chats_[ev.chat];
        if (c.assigned || c.gone) return;
        if (options_.near_miss_margin_ms > 0) last_cancel_[queue_key(c)] = {ev.chat, now_};
        v1::ClientMessage cancel;
        cancel.mutable_cancel();
        call(customer(c), cancel);
        depart(ev.chat);
        return;
      }
      case Act::step: {
        Chat& c = chats_[ev.chat];
        if (c.gone || c.closed || c.legs_started != ev.leg + 1 || c.agent.empty()) {
          ++result_.steps_skipped;
          return;
        }
        const auto& step = c.arrival->legs(static_cast<int>(ev.leg)).steps(static_cast<int>(ev.step));
        v1::ClientMessage m;
        switch (step.kind()) {
          case v1::TraceStep::KIND_AGENT_TEXT:
            m.mutable_send_text()->set_session_id(c.session);
            m.mutable_send_text()->set_text(step.text().empty() ? "..." : step.text());
            if (!c.replied) {
              c.replied = true;
              near(c, ev.leg, NearMiss::Kind::reply, now_ - c.clock_start - threshold_of(c));
            }
            call(agent(c), m);
            break;
          case v1::TraceStep::KIND_CUSTOMER_TEXT:
            m.mutable_send_text()->set_text(step.text().empty() ? "..." : step.text());
            call(customer(c), m);
            break;
          case v1::TraceStep::KIND_TRANSFER:
            c.clock_start = now_;  // the next leg's clock
            c.replied = false;
            m.mutable_transfer()->set_session_id(c.session);
            if (!step.to_agent_id().empty() && step.to_agent_id() != c.agent && agent_known(c.arrival->shop_id(), step.to_agent_id()))
              m.mutable_transfer()->set_to_agent_id(step.to_agent_id());
            else
              m.mutable_transfer()->set_to_skill(step.to_skill());
            call(agent(c), m);
            break;
          case v1::TraceStep::KIND_AGENT_CLOSE:
            m.mutable_close_session()->set_session_id(c.session);
            call(agent(c), m);
            break;
          case v1::TraceStep::KIND_CUSTOMER_CLOSE:
            m.mutable_close_session()->set_session_id(c.session);
            call(customer(c), m);
            break;
          default: ++result_.steps_skipped; break;
        }
        return;
      }
      case Act::unscripted_reply:
      case Act::unscripted_close: {
        Chat& c = chats_[ev.chat];
        if (c.gone || c.closed || c.legs_started != ev.leg + 1 || c.agent.empty()) return;
        v1::ClientMessage m;
        if (ev.act == Act::unscripted_reply) {
          m.mutable_send_text()->set_session_id(c.session);
          m.mutable_send_text()->set_text("...");
        } else {
          m.mutable_close_session()->set_session_id(c.session);
        }
        call(agent(c), m);
        return;
      }
      case Act::rating: {
        Chat& c = chats_[ev.chat];
        if (!c.gone) {
          v1::ClientMessage m;
          m.mutable_rate()->set_session_id(c.session);
          m.mutable_rate()->set_score(c.arrival->rating());
          call(customer(c), m);
        }
        depart(ev.chat);
        return;
      }
      case Act::leave: depart(ev.chat); return;
      case Act::leave_message: {
        Chat& c = chats_[ev.chat];
        if (c.gone) return;
        v1::ClientMessage m;
        m.mutable_leave_message()->set_text(c.arrival->left_message());
        const auto reply = call(customer(c), m);
        if (reply.has_ack()) left_ids_[member_key(c.arrival->shop_id(), c.arrival->member_id())] = reply.ack().id();
        depart(ev.chat);
        return;
      }
      case Act::order: {
        Output out;
        ++calls_;
        engine_.order(now_, trace_.records[ev.chat].order().order(), out);
        absorb(out);
        return;
      }
      case Act::left_reply: {
        const auto& r = trace_.records[ev.chat].left_reply();
        auto it = left_ids_.find(member_key(r.shop_id(), r.member_id()));
        const ShopEngine* shop = engine_.shop(r.shop_id());
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
        return;
      }
    }
  }

  void depart(std::uint32_t idx) {
    Chat& c = chats_[idx];
    if (c.gone) return;
    c.gone = true;
    const std::string key = member_key(c.arrival->shop_id(), c.arrival->member_id());
    if (auto it = active_.find(key); it != active_.end() && it->second == idx) active_.erase(it);
    leave(customer(c));
  }

  // Reacts to what the engine told customers: assignments start a leg's script, closes lead
  // to the rating, unavailability to a left message.
  void absorb(Output& out) {
    for (const auto& d : out.deliveries) {
      if (d.to.role != v1::ROLE_CUSTOMER) continue;
      auto it = active_.find(member_key(d.shop, d.to.id));
      if (it == active_.end()) continue;
      const std::uint32_t idx = it->second;
      Chat& c = chats_[idx];
      const v1::ServerMessage& m = *d.message;
      switch (m.body_case()) {
        case v1::ServerMessage::kAssigned: {
          c.assigned = true;
          c.session = m.assigned().session_id();
          c.agent = m.assigned().agent_id();
          const std::uint32_t leg = c.legs_started++;
          c.replied = false;
          if (leg == 0) {
            near(c, leg, NearMiss::Kind::wait, now_ - c.clock_start - threshold_of(c));
            if (c.arrival->patience_ms() > 0)
              near(c, leg, NearMiss::Kind::patience, now_ - (c.arrival->at_ms() + c.arrival->patience_ms()));
            // A customer of the same queue who gave up just before: a little jitter and that
            // customer would have been the one assigned now.
            if (auto lc = last_cancel_.find(queue_key(c)); lc != last_cancel_.end()) {
              near(chats_[lc->second.first], 0, NearMiss::Kind::patience, now_ - lc->second.second);
              last_cancel_.erase(lc);
            }
          }
          if (leg < static_cast<std::uint32_t>(c.arrival->legs_size())) {
            const auto& steps = c.arrival->legs(static_cast<int>(leg)).steps();
            for (int s = 0; s < steps.size(); ++s) push(now_ + steps[s].after_ms(), Act::step, idx, leg, static_cast<std::uint32_t>(s));
          } else {
            push(now_ + unscripted_reply_ms, Act::unscripted_reply, idx, leg);
            push(now_ + unscripted_close_ms, Act::unscripted_close, idx, leg);
          }
          break;
        }
        case v1::ServerMessage::kTransferred: c.agent.clear(); break;
        case v1::ServerMessage::kSessionClosed:
          if (m.session_closed().session_id() != c.session || c.closed) break;
          c.closed = true;
          c.agent.clear();
          if (c.arrival->rating() > 0) push(now_ + std::max<std::int64_t>(1, c.arrival->rating_after_ms()), Act::rating, idx);
          else push(now_, Act::leave, idx);
          break;
        case v1::ServerMessage::kUnavailable:
          if (!c.arrival->left_message().empty()) push(now_, Act::leave_message, idx);
          else push(now_, Act::leave, idx);
          break;
        default: break;
      }
    }
    out.clear();
  }

  Engine engine_;
  const Trace& trace_;
  SimulationOptions options_;
  TimeMs now_ = 0;
  std::set<std::string> shop_ids_;
  std::priority_queue<Ev, std::vector<Ev>, std::greater<Ev>> queue_;
  std::uint64_t next_seq_ = 0;
  std::vector<Chat> chats_;
  std::unordered_map<std::string, std::uint32_t> active_;  // member key -> chat
  std::unordered_map<std::string, std::string> left_ids_;  // member key -> left message id
  std::unordered_map<std::string, std::pair<std::uint32_t, TimeMs>> last_cancel_;  // queue -> chat, when
  std::set<std::string> joined_agents_;
  std::set<std::string> noted_;
  std::uint64_t calls_ = 0;
  SimulationResult result_;
};

}  // namespace

TimeMs record_time(const v1::TraceRecord& r) {
  switch (r.body_case()) {
    case v1::TraceRecord::kAgentStatus: return r.agent_status().at_ms();
    case v1::TraceRecord::kArrival: return r.arrival().at_ms();
    case v1::TraceRecord::kOrder: return r.order().at_ms();
    case v1::TraceRecord::kLeftReply: return r.left_reply().at_ms();
    default: return 0;
  }
}

SimulationResult simulate(const std::vector<ShopConfig>& shops, const Trace& trace, SimulationOptions options) {
  Player p(shops, trace, options);
  return p.run();
}

}  // namespace sb::core
