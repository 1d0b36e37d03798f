// Snapshots: a shop's (and an engine's) whole live state written field for field into
// switchboard.v1 snapshot messages, and loaded back into a fresh engine of the same config. A
// restart loads the newest snapshot and replays only the calls journaled after it, so restart
// time does not grow with the day (docs/architecture.md, "Crash recovery"). Unordered containers
// are written sorted: the same state always gives the same bytes, which the tests compare.
#include <algorithm>
#include <map>

#include "engine.hpp"
#include "shop_engine.hpp"

namespace sb::core {

namespace v1 = switchboard::v1;

struct SnapshotCodec {
  // ---------------------------------------------------------------- small pieces
  static void put(const Origin& o, v1::SnapshotOrigin& out) {
    out.set_day(o.day);
    out.set_hour(o.hour);
    out.set_skill(o.skill);
  }
  static Origin get(const v1::SnapshotOrigin& in) { return Origin{in.day(), in.hour(), in.skill()}; }

  static void put(const Tally& t, v1::SnapshotTally& out) {
    for (std::uint64_t n : {t.requests, t.requests_no_agent, t.requests_abandoned, t.sessions, t.judged, t.responded,
                            t.breaches, t.valid, t.rated, t.satisfied, t.messages_left, t.messages_replied, t.legs,
                            static_cast<std::uint64_t>(t.online_ms)})
      out.add_counts(n);
    for (auto m : t.inquiring) out.add_inquiring(m);  // ascending: the same state saves the same bytes
    for (auto m : t.converted) out.add_converted(m);
  }
  static bool get(const v1::SnapshotTally& in, Tally& t, std::string& why) {
    if (in.counts_size() != 14) {
      why = "a figures tally holds " + std::to_string(in.counts_size()) + " counts, not 14";
      return false;
    }
    std::uint64_t* fields[] = {&t.requests, &t.requests_no_agent, &t.requests_abandoned, &t.sessions, &t.judged,
                               &t.responded, &t.breaches, &t.valid, &t.rated, &t.satisfied, &t.messages_left,
                               &t.messages_replied, &t.legs};
    for (int i = 0; i < 13; ++i) *fields[i] = in.counts(i);
    t.online_ms = static_cast<DurationMs>(in.counts(13));
    t.inquiring.insert(in.inquiring().begin(), in.inquiring().end());
    t.converted.insert(in.converted().begin(), in.converted().end());
    return true;
  }

  template <class Map, class Field>
  static void put_named(const Map& tallies, Field* out) {
    for (const auto& [name, t] : tallies) {
      auto* n = out->Add();
      n->set_name(name);
      put(t, *n->mutable_tally());
    }
  }
  template <class Field>
  static bool get_named(const Field& in, std::map<std::string, Tally>& out, std::string& why) {
    for (const auto& n : in)
      if (!get(n.tally(), out[n.name()], why)) return false;
    return true;
  }

  // ---------------------------------------------------------------- the figures book
  static void put(const FiguresBook& b, v1::ShopSnapshot& out) {
    for (const auto& [d, day] : b.days_) {
      auto* s = out.add_days();
      s->set_day(d);
      put(day.shop, *s->mutable_shop());
      for (const auto& h : day.hours) put(h, *s->add_hours());
      put_named(day.skills, s->mutable_skills());
      put_named(day.agents, s->mutable_agents());
      put_named(day.categories, s->mutable_categories());
    }
    std::vector<const std::string*> members(b.members_.size());
    for (const auto& [m, i] : b.members_) members.at(i) = &m;
    for (const auto* m : members) out.add_members(*m);
    out.set_forgotten_before(b.forgotten_before_);
  }
  static bool get(const v1::ShopSnapshot& in, FiguresBook& b, std::string& why) {
    for (const auto& s : in.days()) {
      DayTally& day = b.days_[s.day()];
      // 25 hour rows since zones with clock changes; snapshots written before hold 24.
      if (s.hours_size() != hour_rows_max && s.hours_size() != 24) {
        why = "day " + std::to_string(s.day()) + " has " + std::to_string(s.hours_size()) + " hour rows, not 24 or 25";
        return false;
      }
      if (!get(s.shop(), day.shop, why)) return false;
      for (int h = 0; h < s.hours_size(); ++h)
        if (!get(s.hours(h), day.hours[static_cast<std::size_t>(h)], why)) return false;
      if (!get_named(s.skills(), day.skills, why) || !get_named(s.agents(), day.agents, why) ||
          !get_named(s.categories(), day.categories, why))
        return false;
    }
    for (int i = 0; i < in.members_size(); ++i) b.members_.emplace(in.members(i), static_cast<std::uint32_t>(i));
    b.forgotten_before_ = in.forgotten_before();
    return true;
  }

  // ---------------------------------------------------------------- agents, chats, the queue
  static void put(const AgentState& a, v1::SnapshotAgent& out) {
    out.set_id(a.id());
    out.set_window(a.window);
    out.set_status(a.status);
    for (auto s : a.sessions) out.add_sessions(s);
    out.set_idle_since_ms(a.idle_since);
    out.set_cap_day(a.cap_day);
    out.set_sessions_today(a.sessions_today);
    out.set_connections(a.connections);
    out.set_detached(a.detached);
    out.set_grace_generation(a.grace_generation);
    out.set_online_since_ms(a.online_since);
  }
  static void get(const v1::SnapshotAgent& in, AgentState& a) {
    a.window = in.window();
    a.status = in.status();
    a.sessions.insert(in.sessions().begin(), in.sessions().end());
    a.idle_since = in.idle_since_ms();
    a.cap_day = in.cap_day();
    a.sessions_today = in.sessions_today();
    a.connections = in.connections();
    a.detached = in.detached();
    a.grace_generation = in.grace_generation();
    a.online_since = in.online_since_ms();
  }

  static void put(const Chat& c, v1::SnapshotChat& out) {
    out.set_member(c.member);
    out.set_state(static_cast<std::uint32_t>(c.state));
    out.set_skill(c.skill);
    out.set_tier(c.tier);
    out.set_request(c.request);
    out.set_session(c.session);
    out.set_connections(c.connections);
    out.set_id(c.id);
    out.set_detached(c.detached);
    out.set_grace_generation(c.grace_generation);
  }
  static bool get(const v1::SnapshotChat& in, Chat& c, std::string& why) {
    if (in.state() > static_cast<std::uint32_t>(ChatState::in_session)) {
      why = "chat of " + in.member() + " in unknown state " + std::to_string(in.state());
      return false;
    }
    c.state = static_cast<ChatState>(in.state());
    c.skill = in.skill();
    c.tier = in.tier();
    c.request = in.request();
    c.session = in.session();
    c.connections = in.connections();
    c.member = in.member();
    c.id = in.id();
    c.detached = in.detached();
    c.grace_generation = in.grace_generation();
    return true;
  }

  static void put(const Request& r, v1::SnapshotRequest& out) {
    out.set_id(r.id);
    out.set_member(r.member);
    out.set_skill(r.skill);
    out.set_tier(r.tier);
    put(r.origin, *out.mutable_origin());
    out.set_begun_at_ms(r.begun_at);
    out.set_enqueued_at_ms(r.enqueued_at);
    out.set_seq(r.seq);
    out.set_held_for(r.held_for);
    out.set_hold_until_ms(r.hold_until);
    out.set_clock(r.clock);
    out.set_session(r.session);
    out.set_last_position_sent(r.last_position_sent);
    for (const auto& m : r.pending) *out.add_pending() = m;
  }
  static Request get(const v1::SnapshotRequest& in) {
    Request r;
    r.id = in.id();
    r.member = in.member();
    r.skill = in.skill();
    r.tier = in.tier();
    r.origin = get(in.origin());
    r.begun_at = in.begun_at_ms();
    r.enqueued_at = in.enqueued_at_ms();
    r.seq = in.seq();
    r.held_for = in.held_for();
    r.hold_until = in.hold_until_ms();
    r.clock = in.clock();
    r.session = in.session();
    r.last_position_sent = in.last_position_sent();
    r.pending.assign(in.pending().begin(), in.pending().end());
    return r;
  }

  // ---------------------------------------------------------------- sessions and clocks
  static void put(const Session& s, v1::SnapshotSession& out) {
    out.set_id(s.id);
    out.set_member(s.member);
    out.set_skill(s.skill);
    out.set_tier(s.tier);
    put(s.origin, *out.mutable_origin());
    out.set_begun_at_ms(s.begun_at);
    out.set_connected_at_ms(s.connected_at);
    out.set_closed_at_ms(s.closed_at);
    for (const auto& l : s.legs) {
      auto* leg = out.add_legs();
      leg->set_agent(l.agent);
      leg->set_assigned_at_ms(l.assigned_at);
      leg->set_clock_start_ms(l.clock_start);
      leg->set_first_reply_at_ms(l.first_reply_at);
      leg->set_transferred_out(l.transferred_out);
    }
    out.set_clock(s.clock);
    out.set_waiting_request(s.waiting_request);
    out.set_customer_wrote(s.customer_wrote);
    out.set_agent_wrote(s.agent_wrote);
    out.set_valid(s.valid);
    out.set_rating(s.rating);
    out.set_customer_waiting_since_ms(s.customer_waiting_since);
    out.set_check_back_generation(s.check_back_generation);
    for (const auto& w : s.watchers) out.add_watchers(w);
    for (const auto& m : s.transcript) *out.add_transcript() = m;
    out.set_message_seq(s.message_seq);
  }
  static Session get(const v1::SnapshotSession& in) {
    Session s;
    s.id = in.id();
    s.member = in.member();
    s.skill = in.skill();
    s.tier = in.tier();
    s.origin = get(in.origin());
    s.begun_at = in.begun_at_ms();
    s.connected_at = in.connected_at_ms();
    s.closed_at = in.closed_at_ms();
    for (const auto& l : in.legs())
      s.legs.push_back(Leg{l.agent(), l.assigned_at_ms(), l.clock_start_ms(), l.first_reply_at_ms(), l.transferred_out()});
    s.clock = in.clock();
    s.waiting_request = in.waiting_request();
    s.customer_wrote = in.customer_wrote();
    s.agent_wrote = in.agent_wrote();
    s.valid = in.valid();
    s.rating = in.rating();
    s.customer_waiting_since = in.customer_waiting_since_ms();
    s.check_back_generation = in.check_back_generation();
    s.watchers.insert(in.watchers().begin(), in.watchers().end());
    s.transcript.assign(in.transcript().begin(), in.transcript().end());
    s.message_seq = in.message_seq();
    return s;
  }

  static void put(const FirstResponseClocks& clocks, v1::ShopSnapshot& out) {
    std::map<std::uint64_t, const Clock*> sorted;
    for (const auto& [id, c] : clocks.clocks_) sorted.emplace(id, &c);
    for (const auto& [id, c] : sorted) {
      auto* s = out.add_clocks();
      s->set_id(id);
      s->set_start_ms(c->start);
      s->set_request(c->request);
      s->set_session(c->session);
      s->set_warned(c->warned);
      s->set_breached(c->breached);
    }
  }
  static void get(const v1::ShopSnapshot& in, FirstResponseClocks& clocks) {
    for (const auto& c : in.clocks())
      clocks.clocks_.emplace(c.id(), Clock{c.start_ms(), c.request(), c.session(), c.warned(), c.breached()});
  }

  // ---------------------------------------------------------------- memory: receivers, attribution
  static void aged(v1::SnapshotAged& out, TimeMs at, const std::string& key, const std::string& agent = {}) {
    out.set_at_ms(at);
    out.set_key(key);
    out.set_agent(agent);
  }
  template <class Queue>
  static void put_queue(Queue q, google::protobuf::RepeatedPtrField<v1::SnapshotAged>* out) {
    for (; !q.empty(); q.pop()) aged(*out->Add(), q.top().first, q.top().second);
  }

  static void put(const FirstReceivers& f, v1::ShopSnapshot& out) {
    std::map<std::string, const FirstReceivers::Served*> sorted;
    for (const auto& [m, s] : f.last_) sorted.emplace(m, &s);
    for (const auto& [m, s] : sorted) aged(*out.add_first_receivers(), s->at, m, s->agent);
    for (const auto& [at, m] : f.by_age_) aged(*out.add_first_receivers_by_age(), at, m);
  }
  static void get(const v1::ShopSnapshot& in, FirstReceivers& f) {
    for (const auto& a : in.first_receivers()) f.last_.emplace(a.key(), FirstReceivers::Served{a.agent(), a.at_ms()});
    for (const auto& a : in.first_receivers_by_age()) f.by_age_.emplace_back(a.at_ms(), a.key());
  }

  static void put(const Attribution& a, v1::ShopSnapshot& out) {
    std::map<std::string, const std::vector<Inquiry>*> inquiries;
    for (const auto& [m, v] : a.inquiries_) inquiries.emplace(m, &v);
    for (const auto& [m, v] : inquiries)
      for (const auto& i : *v) {
        auto* s = out.add_inquiries();
        s->set_member(m);
        s->set_connected_at_ms(i.connected_at);
        put(i.origin, *s->mutable_origin());
        s->set_agent(i.agent);
      }
    std::map<std::string, const std::vector<Purchase>*> purchases;
    for (const auto& [m, v] : a.purchases_) purchases.emplace(m, &v);
    for (const auto& [m, v] : purchases)
      for (const auto& p : *v) {
        auto* s = out.add_purchases();
        s->set_member(m);
        s->set_at_ms(p.at);
        s->set_category(p.category);
        s->set_order_id(p.order_id);
      }
    for (const auto& [at, id] : a.order_ids_by_age_) aged(*out.add_order_ids(), at, id);
    put_queue(a.inquiries_expire_, out.mutable_inquiries_expire());
    put_queue(a.purchases_expire_, out.mutable_purchases_expire());
  }
  static void get(const v1::ShopSnapshot& in, Attribution& a) {
    for (const auto& i : in.inquiries())
      a.inquiries_[i.member()].push_back(Inquiry{i.connected_at_ms(), get(i.origin()), i.agent()});
    for (const auto& p : in.purchases()) a.purchases_[p.member()].push_back(Purchase{p.at_ms(), p.category(), p.order_id()});
    for (const auto& o : in.order_ids()) {
      a.order_ids_.insert(o.key());
      a.order_ids_by_age_.emplace_back(o.at_ms(), o.key());
    }
    for (const auto& e : in.inquiries_expire()) a.inquiries_expire_.emplace(e.at_ms(), e.key());
    for (const auto& e : in.purchases_expire()) a.purchases_expire_.emplace(e.at_ms(), e.key());
  }

  // ---------------------------------------------------------------- the shop
  static void put_people(const ShopEngine& e, v1::ShopSnapshot& out) {
    for (const AgentState* a : e.agents_.in_order()) put(*a, *out.add_agents());
    std::map<std::string, std::uint32_t> supervisors(e.supervisors_.begin(), e.supervisors_.end());
    for (const auto& [id, n] : supervisors) {
      auto* c = out.add_supervisors();
      c->set_key(id);
      c->set_n(n);
    }
    std::map<std::string, const Chat*> chats;
    for (const auto& [m, c] : e.chats_) chats.emplace(m, &c);
    for (const auto& [m, c] : chats) put(*c, *out.add_chats());
    std::map<std::uint64_t, std::string> detached(e.detached_chats_.begin(), e.detached_chats_.end());
    for (const auto& [id, m] : detached) {
      auto* c = out.add_detached_chats();
      c->set_key(m);
      c->set_n(id);
    }
  }
  static bool get_people(const v1::ShopSnapshot& in, ShopEngine& e, std::string& why) {
    for (const auto& a : in.agents()) {
      AgentState* agent = e.agents_.find(a.id());
      if (agent == nullptr) {
        // An agent taken out of the config while away is simply gone; one still at work is not.
        const bool away = a.status() == v1::AGENT_STATUS_OFFLINE && a.sessions_size() == 0 && a.connections() == 0;
        if (away) continue;
        why = "shop " + e.config_.id + ": the snapshot holds agent " + a.id() +
              ", who is signed in or has open sessions but is missing from the config: put the agent back until it is "
              "offline with no sessions, then remove it";
        return false;
      }
      get(a, *agent);
    }
    for (const auto& s : in.supervisors()) e.supervisors_.emplace(s.key(), static_cast<std::uint32_t>(s.n()));
    for (const auto& c : in.chats())
      if (!get(c, e.chats_[c.member()], why)) return false;
    for (const auto& d : in.detached_chats()) e.detached_chats_.emplace(d.n(), d.key());
    return true;
  }

  static void put_live(const ShopEngine& e, v1::ShopSnapshot& out) {
    e.queue_.each([&](const Request& r) { put(r, *out.add_queue()); });
    std::map<std::uint64_t, const Session*> sessions;
    e.sessions_.each([&](const Session& s) { sessions.emplace(s.id, &s); });
    for (const auto& [id, s] : sessions) put(*s, *out.add_sessions());
    put(e.clocks_, out);
    for (const auto& [id, m] : e.left_.messages_) {
      auto* l = out.add_left_messages();
      l->set_id(id);
      *l->mutable_message() = m.message;
      l->set_left_at_ms(m.left_at);
    }
  }
  static bool get_live(const v1::ShopSnapshot& in, ShopEngine& e, std::string& why) {
    for (const auto& r : in.queue()) {
      if (e.config_.find_skill(r.skill()) == nullptr) {
        why = "shop " + e.config_.id + ": a queued request waits for skill " + r.skill() + ", which the config lacks";
        return false;
      }
      e.queue_.add(get(r));
    }
    for (const auto& s : in.sessions()) {
      Session& added = e.sessions_.add(get(s));
      if (!added.open()) e.sessions_.closed();
    }
    get(in, e.clocks_);
    for (const auto& l : in.left_messages()) e.left_.add(l.id(), LeftMessage{l.message(), l.left_at_ms()});
    return true;
  }

  static void save(const ShopEngine& e, v1::ShopSnapshot& out) {
    out.set_shop_id(e.config_.id);
    out.set_id_prefix(e.id_prefix_);
    put_people(e, out);
    put_live(e, out);
    put(e.first_receivers_, out);
    put(e.attribution_, out);
    out.set_agents_online(e.online_.online_);
    out.set_online_since_ms(e.online_.since_);
    put(e.book_, out);
    out.set_next_chat_id(e.next_chat_id_);
    out.set_next_id(e.next_id_);
    out.set_round_robin_next(e.round_robin_next_);
    out.set_next_event(e.history_.next_event());
  }
  static bool load(const v1::ShopSnapshot& in, ShopEngine& e, std::string& why) {
    if (in.shop_id() != e.config_.id) {
      why = "a snapshot of shop " + in.shop_id() + " cannot load into shop " + e.config_.id;
      return false;
    }
    // A shop keeps the prefix its ids were made with, across restarts and moves between nodes,
    // so the session and request ids its clients hold still resolve.
    if (!in.id_prefix().empty()) {
      e.id_prefix_ = in.id_prefix();
      e.history_.set_id_prefix(e.id_prefix_);
    }
    if (!get_people(in, e, why) || !get_live(in, e, why)) return false;
    get(in, e.first_receivers_);
    get(in, e.attribution_);
    e.online_.online_ = in.agents_online();
    e.online_.since_ = in.online_since_ms();
    if (!get(in, e.book_, why)) {
      why = "shop " + e.config_.id + ": " + why;
      return false;
    }
    e.next_chat_id_ = in.next_chat_id();
    e.next_id_ = in.next_id();
    e.round_robin_next_ = static_cast<std::size_t>(in.round_robin_next());
    e.history_.set_next_event(in.next_event());
    e.refresh_gauges();
    return true;
  }

  // ---------------------------------------------------------------- timers
  static std::vector<Timer> in_firing_order(const TimerQueue& q) {
    std::vector<Timer> all;
    all.reserve(q.size());
    for (const auto& lane : q.lanes_) all.insert(all.end(), lane.begin(), lane.end());
    auto heap = q.heap_;
    for (; !heap.empty(); heap.pop()) all.push_back(heap.top());
    std::sort(all.begin(), all.end(), [](const Timer& a, const Timer& b) { return TimerQueue::Later{}(b, a); });
    return all;
  }
};

void ShopEngine::save(v1::ShopSnapshot& out) const { SnapshotCodec::save(*this, out); }

bool ShopEngine::load(const v1::ShopSnapshot& in, std::string& why) { return SnapshotCodec::load(in, *this, why); }

void Engine::save(v1::EngineSnapshot& out) const {
  out.set_last_now_ms(last_now_);
  for (const Timer& t : SnapshotCodec::in_firing_order(timers_)) {
    auto* s = out.add_timers();
    s->set_due_ms(t.due);
    s->set_shop(t.key.shop);
    s->set_kind(static_cast<std::uint32_t>(t.key.kind));
    s->set_id(t.key.id);
    s->set_generation(t.key.generation);
  }
  for (const auto& shop : shops_) shop->save(*out.add_shops());
}

bool Engine::restore(const v1::EngineSnapshot& in,
                     const std::function<std::optional<ShopConfig>(const std::string&)>& config_of, std::string& why) {
  assert(shops_.empty() && timers_.size() == 0 && "restore() fills an empty engine");
  for (const auto& s : in.shops()) {
    std::optional<ShopConfig> config = config_of(s.shop_id());
    if (!config) {
      why = "the snapshot holds shop " + s.shop_id() + ", which the config lacks";
      return false;
    }
    const auto index = static_cast<std::uint32_t>(shops_.size());
    index_.emplace(config->id, index);
    const std::string prefix = options_.id_prefix + config->id + "-";
    shops_.push_back(std::make_unique<ShopEngine>(std::move(*config), index, prefix, sink_));
    shops_.back()->set_record_history(options_.record_history);
    shops_.back()->inject(options_.bug);
    if (!shops_.back()->load(s, why)) return false;
  }
  for (const auto& t : in.timers()) {
    if (t.shop() >= shops_.size() || t.kind() >= timer_kinds) {
      why = "a snapshot timer names shop " + std::to_string(t.shop()) + " kind " + std::to_string(t.kind()) +
            ", which do not exist";
      return false;
    }
    if (!timers_.push(t.due_ms(), TimerKey{t.shop(), static_cast<TimerKind>(t.kind()), t.id(), t.generation()})) {
      why = "the snapshot holds more timers than timers_max";
      return false;
    }
  }
  last_now_ = in.last_now_ms();
  for (const auto& shop : shops_) check(*shop);
  return true;
}

}  // namespace sb::core
