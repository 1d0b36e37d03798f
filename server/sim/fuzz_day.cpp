#include "fuzz_day.hpp"

#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <vector>

namespace sb::sim {

namespace v1 = switchboard::v1;
using core::Actor;
using core::Departure;
using core::DurationMs;
using core::Output;
using core::TimeMs;

namespace {

constexpr int members_max = 20;
constexpr const char* shop_id = "f";

class Fuzzer {
 public:
  explicit Fuzzer(const FuzzOptions& o)
      : o_(o), rng_(o.seed), engine_(std::make_unique<core::Engine>(engine_options(o), nullptr)) {
    now_ = *core::parse_rfc3339("2026-08-18T06:50:00+08:00");
    config_ = make_config();
    play([c = config_, t = now_](core::Engine& e, Output& out) { e.add_shop(c, t, out); });
    std::mt19937_64 pick(o.seed ^ 0x9e3779b97f4a7c15ULL);  // not the day's generator: the same day with or without
    for (std::uint32_t i = 0; i < o.crashes && o.steps > 0; ++i) crash_steps_.insert(1 + static_cast<std::uint32_t>(pick() % o.steps));
    for (std::uint32_t i = 0; i < o.snapshots && o.steps > 0; ++i)
      snapshot_steps_.insert(1 + static_cast<std::uint32_t>(pick() % o.steps));
    for (std::uint32_t i = 0; i < o.moves && o.steps > 0; ++i) move_steps_.insert(1 + static_cast<std::uint32_t>(pick() % o.steps));
    if (o.moves > 0) {  // a shop beside it, so a move shifts places in the engine
      play([c = bystander(), t = now_](core::Engine& e, Output& out) { e.add_shop(c, t, out); });
    }
  }

  FuzzResult run() {
    FuzzResult r;
    for (std::uint32_t step = 1; step <= o_.steps; ++step) {
      act();
      if (!engine_->broken().empty()) return fail(r, step, engine_->broken());
      if (snapshot_steps_.count(step) > 0)
        if (auto why = take_snapshot(); !why.empty()) return fail(r, step, why);
      if (move_steps_.count(step) > 0)
        if (auto why = move(); !why.empty()) return fail(r, step, why);
      if (crash_steps_.count(step) > 0)
        if (auto why = recover(); !why.empty()) return fail(r, step, why);
      if (!engine_->broken().empty()) return fail(r, step, "after recovery: " + engine_->broken());
    }
    wind_down();
    if (!engine_->broken().empty()) return fail(r, o_.steps + 1, engine_->broken());
    if (auto why = end_of_day_identities(); !why.empty()) return fail(r, o_.steps + 1, why);
    r.calls = calls_;
    r.figures = figures();
    r.sessions = sessions_;
    r.transfers = transfers_;
    r.drops = drops_;
    r.resumes = resumes_;
    r.orders = orders_;
    r.breaches = breaches_;
    r.recoveries = recoveries_;
    r.snapshots = snapshots_;
    r.moves = moves_;
    return r;
  }

 private:
  static core::EngineOptions engine_options(const FuzzOptions& o) {
    core::EngineOptions e{"fz-", 1'000'000, true, false};
    e.abort_on_broken = false;
    e.bug = o.bug;
    return e;
  }

  std::uint64_t below(std::uint64_t n) { return rng_() % n; }
  bool chance(unsigned percent) { return below(100) < percent; }
  template <class T>
  const T& any(const std::vector<T>& v) {
    return v[below(v.size())];
  }

  FuzzResult& fail(FuzzResult& r, std::uint32_t step, const std::string& why) {
    r.ok = false;
    r.failed_at = step;
    r.failure = why;
    r.calls = calls_;
    return r;
  }

  core::ShopConfig make_config() {
    core::ShopConfig c;
    c.id = shop_id;
    c.default_skill = "phones";
    c.skills = {core::SkillConfig{"phones", chance(50) ? "aircon" : "", static_cast<DurationMs>(below(60)) * 1000},
                core::SkillConfig{"aircon", "", 60'000}};
    for (int i = 0; i < 4; ++i) {
      std::vector<std::string> skills;
      if (i != 3) skills.push_back("phones");
      if (i != 0) skills.push_back("aircon");
      c.agents.push_back(core::AgentConfig{"a" + std::to_string(i), skills, 1 + static_cast<std::uint32_t>(below(3)),
                                           3 + static_cast<std::uint32_t>(below(18)), {}});
    }
    c.strategy = static_cast<core::Strategy>(below(3));
    c.handback = chance(50) ? core::Handback::queue_front : core::Handback::first_receiver_wait;
    c.thresholds.reconnect_grace_ms = chance(30) ? 0 : 60'000;
    c.thresholds.first_receiver_wait_ms = static_cast<DurationMs>(below(3)) * 10'000;
    c.limits.queue_requests_max = 2 + static_cast<std::uint32_t>(below(5));
    c.limits.transcript_messages_max = 3;
    c.limits.left_messages_kept_max = 5;
    c.limits.text_bytes_max = 64;
    std::string err;
    const char* hours[] = {"00:00-24:00", "07:00-02:00", "09:00-12:00"};
    const auto span = *core::parse_hours_span(hours[below(3)], err);
    for (int d = 0; d < 7; ++d) c.hours.set_weekday(d, {span});
    c.hours.set_zone(make_zone());
    return c;
  }

  // Most days at a fixed +08:00; some in a zone whose clocks spring forward (08:00 -> 09:00) or
  // fall back (08:00 -> 07:00) an hour into the day, so hour rows, day starts and the hourly
  // timer are checked across a clock change.
  core::TimeZone make_zone() {
    const auto kind = below(10);
    if (kind < 6) return core::TimeZone::fixed(8 * 60);
    const TimeMs change = now_ + 70 * core::ms_per_minute;  // 08:00 at +08:00
    if (kind < 8) return core::TimeZone::with_transitions("Test/Forward", {{0, 8 * 60}, {change, 9 * 60}});
    return core::TimeZone::with_transitions("Test/Back", {{0, 9 * 60}, {change, 8 * 60}});
  }

  // ---------------------------------------------------------------- talking to the engine

  // Every call into the engine goes through here and is kept, as the server journals it.
  // Returns whether the call was answered with a welcome.
  bool play(std::function<void(core::Engine&, Output&)> call) {
    Output out;
    call(*engine_, out);
    const bool welcomed = out.reply && out.reply->has_welcome();
    absorb(out);
    log_.push_back(std::move(call));
    return welcomed;
  }

  // An engine loaded from `snapshot`; empty `why` when it loaded.
  std::unique_ptr<core::Engine> restored(const v1::EngineSnapshot& snapshot, std::string& why) const {
    auto e = std::make_unique<core::Engine>(engine_options(o_), nullptr);
    auto config_of = [this](const std::string& id) -> std::optional<core::ShopConfig> {
      if (id == config_.id) return config_;
      if (id == "b" && o_.moves > 0) return bystander();
      return std::nullopt;
    };
    if (!e->restore(snapshot, config_of, why)) why = "snapshot refused: " + why;
    return e;
  }

  // A snapshot, loaded at once into the engine that plays on: a field the snapshot forgets
  // shows as other bytes here, or as other figures at the end of the day.
  std::string take_snapshot() {
    snapshot_.Clear();
    engine_->save(snapshot_);
    snapshot_at_ = log_.size();
    std::string why;
    auto e = restored(snapshot_, why);
    if (!why.empty()) return why;
    v1::EngineSnapshot again;
    e->save(again);
    if (again.SerializeAsString() != snapshot_.SerializeAsString()) return "a loaded snapshot saves other bytes";
    engine_ = std::move(e);
    ++snapshots_;
    return {};
  }

  core::ShopConfig bystander() const {
    core::ShopConfig c = config_;
    c.id = "b";
    return c;
  }

  // The shop handed over and taken over again through bytes, as between two nodes: a call like
  // any other, so a later crash replays it.
  std::string move() {
    move_why_.clear();
    play([this, t = now_](core::Engine& e, Output& out) {  // kept in log_: no reference to locals
      v1::EngineSnapshot handed;
      if (!e.hand_over(shop_id, t, handed, out, move_why_)) return;
      v1::EngineSnapshot received;
      if (!received.ParseFromString(handed.SerializeAsString())) move_why_ = "a hand-over does not parse back";
      else if (!e.take_over(config_, received, t, out, move_why_)) move_why_ = "take-over refused: " + move_why_;
    });
    ++moves_;
    return move_why_;
  }

  // A crash and the server's recovery: a new engine from the newest snapshot (or from nothing),
  // every call kept since replayed through it in order with its outputs dropped (they were
  // delivered before the crash).
  std::string recover() {
    std::string why;
    if (snapshot_at_ > 0) engine_ = restored(snapshot_, why);
    else engine_ = std::make_unique<core::Engine>(engine_options(o_), nullptr);
    if (!why.empty()) return why;
    for (std::size_t i = snapshot_at_; i < log_.size(); ++i) {
      Output out;
      log_[i](*engine_, out);
    }
    ++recoveries_;
    return {};
  }

  void absorb(Output& out) {
    for (const auto& d : out.deliveries) {
      const auto& m = *d.message;
      if (m.has_assigned()) {
        if (d.to.role == v1::ROLE_CUSTOMER) {
          sessions_of_[d.to.id].push_back(m.assigned().session_id());
          all_sessions_.push_back(m.assigned().session_id());
          ++(m.assigned().transfer() ? transfers_ : sessions_);
        }
      } else if (m.has_first_response_breach() && d.to.role == v1::ROLE_SUPERVISOR) {
        ++breaches_;
      } else if (m.has_session_closed() && d.to.role == v1::ROLE_CUSTOMER) {
        closed_at_.emplace_back(m.session_closed().session_id(), now_);
      }
    }
    if (out.reply && out.reply->has_ack() && !out.reply->ack().id().empty() && out.reply->ack().id().find("-m") != std::string::npos)
      left_ids_.push_back(out.reply->ack().id());
    if (out.reply && out.reply->has_welcome() && out.reply->welcome().resumed()) ++resumes_;
    out.clear();
  }

  void handle(const Actor& a, const v1::ClientMessage& m) {
    ++calls_;
    play([a, m, t = now_](core::Engine& e, Output& out) { e.handle(t, a, m, out); });
  }

  void join(const Actor& a) {
    ++calls_;
    if (play([a, t = now_](core::Engine& e, Output& out) { e.person_joined(t, a, out); })) ++connections_[key(a)];
  }

  void leave(const Actor& a, Departure how) {
    auto it = connections_.find(key(a));
    if (it == connections_.end() || it->second == 0) return;
    --it->second;
    if (how == Departure::dropped) ++drops_;
    ++calls_;
    play([a, how, t = now_](core::Engine& e, Output& out) { e.person_left(t, a, out, how); });
  }

  static std::string key(const Actor& a) { return std::to_string(a.role) + ":" + a.person; }
  bool connected(const Actor& a) const {
    auto it = connections_.find(key(a));
    return it != connections_.end() && it->second > 0;
  }

  Actor customer(int i) const { return Actor{v1::ROLE_CUSTOMER, shop_id, "m" + std::to_string(i), static_cast<v1::Tier>(1 + i % 3), false}; }
  Actor agent(int i) const { return Actor{v1::ROLE_AGENT, shop_id, "a" + std::to_string(i)}; }
  Actor supervisor() const { return Actor{v1::ROLE_SUPERVISOR, shop_id, "boss"}; }

  // A session id to name: mostly a real one (of this member, or any), sometimes nonsense.
  std::string some_session(const std::string& member = {}) {
    if (!member.empty() && !sessions_of_[member].empty() && chance(80)) return any(sessions_of_[member]);
    if (!all_sessions_.empty() && chance(90)) return any(all_sessions_);
    return chance(50) ? "" : "fz-f-s999999";
  }

  // ---------------------------------------------------------------- the actions

  void act() {
    const auto roll = below(100);
    if (roll < 22) return advance_time();
    if (roll < 55) return customer_acts();
    if (roll < 82) return agent_acts();
    if (roll < 90) return supervisor_acts();
    order();
  }

  void advance_time() {
    TimeMs to = now_ + static_cast<TimeMs>(below(25'000));
    const auto kind = below(100);
    const core::TimeZone& zone = config_.hours.zone();
    if (kind < 4) {  // to an hour boundary, just before, at or after it
      const TimeMs boundary = zone.hour_row_end(now_);
      to = boundary + static_cast<TimeMs>(below(3)) - 1;
    } else if (kind < 6) {  // to local midnight, just before, at or after it
      const TimeMs midnight = zone.day_start(zone.local(now_).day + 1);
      to = midnight + static_cast<TimeMs>(below(3)) - 1;
    } else if (kind < 9 && !closed_at_.empty()) {  // to a rating window's edge
      const auto& [sid, at] = any(closed_at_);
      to = at + config_.thresholds.rating_window_ms + static_cast<TimeMs>(below(3)) - 1;
    } else if (kind < 11) {  // past the 45-second marks
      to = now_ + 30'000 + static_cast<TimeMs>(below(20'000));
    }
    if (to <= now_) return;
    play([to](core::Engine& e, Output& out) { e.advance(to, out); });
    now_ = to;
  }

  void customer_acts() {
    const int i = static_cast<int>(below(members_max));
    const Actor c = customer(i);
    if (!connected(c)) {
      if (chance(70)) join(c);
      return;
    }
    v1::ClientMessage m;
    const auto what = below(100);
    if (what < 12) m.mutable_enter()->set_skill(chance(90) ? (chance(50) ? "phones" : "aircon") : (chance(50) ? "" : "toys"));
    else if (what < 55) {
      m.mutable_send_text()->set_text(chance(95) ? "question " + std::to_string(below(1000)) : std::string(80, 'x'));
      if (chance(30)) m.mutable_send_text()->set_session_id(some_session(c.person));
    } else if (what < 60) m.mutable_cancel();
    else if (what < 68) {
      m.mutable_rate()->set_session_id(some_session(c.person));
      m.mutable_rate()->set_score(static_cast<int>(below(7)));
    } else if (what < 73) m.mutable_close_session()->set_session_id(some_session(c.person));
    else if (what < 77) m.mutable_leave_message()->set_text(chance(90) ? "call me" : "");
    else if (what < 88) return leave(c, chance(50) ? Departure::dropped : Departure::goodbye);
    else return join(c);  // a second tab, or back from a drop
    handle(c, m);
  }

  void agent_acts() {
    const int i = static_cast<int>(below(4));
    const Actor a = agent(i);
    if (!connected(a)) {
      if (chance(60)) join(a);
      return;
    }
    v1::ClientMessage m;
    const auto what = below(100);
    if (what < 15) m.mutable_set_agent_status()->set_status(static_cast<v1::AgentStatus>(below(4)));
    else if (what < 55) {
      m.mutable_send_text()->set_session_id(some_session());
      m.mutable_send_text()->set_text("answer");
    } else if (what < 67) {
      m.mutable_transfer()->set_session_id(some_session());
      if (chance(50)) m.mutable_transfer()->set_to_agent_id("a" + std::to_string(below(5)));
      else m.mutable_transfer()->set_to_skill(chance(90) ? (chance(50) ? "phones" : "aircon") : "toys");
    } else if (what < 80) m.mutable_close_session()->set_session_id(some_session());
    else if (what < 84) {
      m.mutable_reply_left_message()->set_message_id(left_ids_.empty() || chance(10) ? "nope" : any(left_ids_));
      m.mutable_reply_left_message()->set_text("called you");
    } else if (what < 86) m.mutable_list_left_messages()->set_include_replied(true);
    else return leave(a, chance(50) ? Departure::dropped : Departure::goodbye);
    handle(a, m);
  }

  void supervisor_acts() {
    const Actor s = supervisor();
    if (!connected(s)) return join(s);
    v1::ClientMessage m;
    const auto what = below(100);
    const std::string agent_id = "a" + std::to_string(below(4));
    if (what < 25) {
      m.mutable_set_window()->set_agent_id(agent_id);
      m.mutable_set_window()->set_window(static_cast<int>(below(5)));
    } else if (what < 45) {
      m.mutable_set_agent_status()->set_agent_id(agent_id);
      m.mutable_set_agent_status()->set_status(static_cast<v1::AgentStatus>(1 + below(3)));
    } else if (what < 60) {
      m.mutable_transfer()->set_session_id(some_session());
      m.mutable_transfer()->set_to_agent_id(agent_id);
    } else if (what < 70) m.mutable_close_session()->set_session_id(some_session());
    else if (what < 85) {
      m.mutable_watch_session()->set_session_id(some_session());
      m.mutable_watch_session()->set_stop(chance(30));
    } else if (what < 95) m.mutable_get_shop_view();
    else return leave(s, Departure::goodbye);
    handle(s, m);
  }

  void order() {
    v1::Order o;
    o.set_order_id("o" + std::to_string(below(30)));  // a small pool: duplicates
    o.set_shop_id(shop_id);
    o.set_member_id("m" + std::to_string(below(members_max)));
    o.set_amount(static_cast<double>(below(500)));
    o.set_category(chance(50) ? "phones" : "aircon");
    ++calls_;
    ++orders_;
    play([o, t = now_](core::Engine& e, Output& out) { e.order(t, o, out); });
  }

  // ---------------------------------------------------------------- the end of the day

  // Everyone leaves; every timer (grace, rating windows) plays out.
  void wind_down() {
    for (int i = 0; i < members_max; ++i)
      while (connected(customer(i))) leave(customer(i), Departure::goodbye);
    for (int i = 0; i < 4; ++i)
      while (connected(agent(i))) leave(agent(i), Departure::goodbye);
    while (connected(supervisor())) leave(supervisor(), Departure::goodbye);
    now_ += 3 * core::ms_per_day;
    play([t = now_](core::Engine& e, Output& out) { e.advance(t, out); });
  }

  // Once every session has closed: each was judged exactly once.
  std::string end_of_day_identities() const {
    const core::ShopEngine* shop = engine_->shop(shop_id);
    if (shop->sessions_open() != 0 || shop->queued() != 0) return "sessions still open or queued after everyone left";
    for (const auto& [day, t] : shop->book().days())
      if (t.shop.judged != t.shop.sessions)
        return core::format_date(day) + ": " + std::to_string(t.shop.judged) + " judged of " + std::to_string(t.shop.sessions) +
               " sessions once all had closed";
    return {};
  }

  std::string figures() const {
    std::string out;
    const core::ShopEngine* shop = engine_->shop(shop_id);
    for (const auto& [day, t] : shop->book().days()) out += shop->figures(day, now_).SerializeAsString();
    return out;
  }

  FuzzOptions o_;
  std::mt19937_64 rng_;
  std::unique_ptr<core::Engine> engine_;
  std::vector<std::function<void(core::Engine&, Output&)>> log_;  // every call, for the recoveries
  std::set<std::uint32_t> crash_steps_, snapshot_steps_, move_steps_;
  std::uint64_t recoveries_ = 0, snapshots_ = 0, moves_ = 0;
  std::string move_why_;  // what a move's call found wrong
  v1::EngineSnapshot snapshot_;  // the newest, taken after log_[0, snapshot_at_)
  std::size_t snapshot_at_ = 0;
  core::ShopConfig config_;
  TimeMs now_ = 0;
  std::map<std::string, int> connections_;
  std::map<std::string, std::vector<std::string>> sessions_of_;
  std::vector<std::string> all_sessions_, left_ids_;
  std::vector<std::pair<std::string, TimeMs>> closed_at_;
  std::uint64_t calls_ = 0, sessions_ = 0, transfers_ = 0, drops_ = 0, resumes_ = 0, orders_ = 0, breaches_ = 0;
};

}  // namespace

FuzzResult fuzz_day(const FuzzOptions& options) { return Fuzzer(options).run(); }

std::uint32_t shortest_failing_prefix(FuzzOptions options, std::uint32_t failing_steps) {
  std::uint32_t lo = 1, hi = failing_steps;  // hi fails; find the smallest that does
  while (lo < hi) {
    const std::uint32_t mid = lo + (hi - lo) / 2;
    options.steps = mid;
    if (!fuzz_day(options).ok) hi = mid;
    else lo = mid + 1;
  }
  return hi;
}

}  // namespace sb::sim
