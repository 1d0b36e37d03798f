// One thread's event loop and the shops it owns. Everything that touches those shops runs here,
// posted from connections on other threads; nothing here takes a lock. Routes the core's
// deliveries to the connections of the people they name and arms the core's timers.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <chrono>

#include <deque>
#include <functional>

#include <memory>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "clock.hpp"
#include "core/engine.hpp"
#include "core/history_sink.hpp"
#include "core/result.hpp"
#include "metrics.hpp"
#include "shop_rebuild.hpp"
#include "token.hpp"

namespace sb::net {

class WebsocketSession;

constexpr std::uint32_t shard_snapshot_format = 1;  // ShardSnapshot.format this build writes and reads

// Who made a call, as the journal keeps it (shard_recovery.cpp).
switchboard::v1::JournalActor journal_actor(const core::Actor& actor);
core::Actor core_actor(const switchboard::v1::JournalActor& actor);

class Shard {
 public:
  // `keys` sign the resume tokens handed out in every Welcome, valid `resume_ttl_s`.
  Shard(std::size_t index, Clock& clock, Metrics& metrics, core::EngineOptions options, const KeyRing& keys,
        std::int64_t resume_ttl_s);
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  void add_shop(core::ShopConfig config);  // before start()
  // Before start(): a shop of the cluster this shard may adopt (or replay) but does not start.
  void add_adoptable(core::ShopConfig config) { configs_.emplace(config.id, std::move(config)); }
  // Before start(), recovery: one journaled call of this shard, replayed through the core in
  // journal order (replies, deliveries and events dropped: they were sent and journaled). A
  // shop is added when its ShopAdded comes, at its journaled time. Returns false when the call's
  // events differ from those journaled (a changed shop config or build): the state may differ.
  bool replay(const switchboard::v1::JournalEntry& entry);
  // Before start(), after the replay: connections the journal shows open died with the process;
  // start() counts each as dropped at `t` (the last journaled time), its reconnect grace from there.
  void recovered_until(core::TimeMs t) { recovered_at_ = t; }
  std::size_t replayed_calls() const { return replayed_; }
  // Before start(), recovery: the shard as its newest snapshot has it (replay() then goes on
  // with the calls journaled after it). False with `why` when the snapshot cannot be loaded.
  bool restore(const switchboard::v1::ShardSnapshot& snapshot, std::string& why);
  // Before start(): with history, a snapshot after `calls` calls, or after `interval` with at
  // least one call (and one at start, so the journal before it can go).
  void set_snapshots(std::uint64_t calls, std::chrono::milliseconds interval) {
    snapshot_calls_ = calls;
    snapshot_interval_ = interval;
  }
  // Before start(): where history events go. Without one, outputs are released at once.
  void set_history(core::HistorySink* history) { history_ = history; }
  // Thread-safe: the store made this shard's events durable up to `seq`.
  void durable(std::uint64_t seq);
  // Starts the loop; returns the shops it serves (after recovery: those the journal left here).
  std::vector<std::string> start();
  void stop();   // stops the loop and joins the thread
  boost::asio::io_context& context() { return ioc_; }
  std::size_t index() const { return index_; }

  // Thread-safe: each posts to the shard's loop.
  // `actor` is who the hello proved to be; the core decides whether to welcome it.
  void join(std::shared_ptr<WebsocketSession> conn, core::Actor actor, switchboard::v1::ClientMessage hello);
  void leave(std::shared_ptr<WebsocketSession> conn, core::Departure how);  // ignored for a connection never welcomed
  void handle(std::shared_ptr<WebsocketSession> conn, switchboard::v1::ClientMessage msg);

  // shard_handover.cpp. Thread-safe: each posts to the shard's loop. A planned move's first half:
  // the shop's people are cut (counted as dropped, told to reconnect), its live state goes into
  // the journal and from there to PostgreSQL, and the shop leaves; `done` gets the number of
  // connections cut once that is durable, or the error. The second half, on the new owner:
  // `state` (a serialized ShopHandoff) becomes the shop here; `done` once durable.
  using Done = std::function<void(Result<std::string>)>;
  void release_shop(std::string shop, std::string from_node, std::string to_node, Done done);
  // `cut`: a rebuilt shop's events of cutting its people (shop_rebuild.hpp), journaled with it.
  void adopt_shop(std::string state, Done done, std::vector<switchboard::v1::HistoryEvent> cut = {});
  // Before start(), on a scratch shard (shop_rebuild.cpp): the shop as replayed, its people cut
  // as dropped at the last replayed call, handed over from `lost_node` to `me`.
  Result<RebuiltShop> rebuilt(const std::string& shop, const std::string& lost_node, const std::string& me);
  // Before start(): replay() checks each call makes the events journaled for it (on by default).
  void compare_events(bool on) { compare_events_ = on; }

  // Kinds of call into the core, each timed into switchboard_engine_call_seconds.
  enum class Call { hello, leave, message, timer, order, count_ };
  // Shard thread only: runs `f` (one call into the core) and records its wall time.
  template <class F>
  decltype(auto) timed(Call call, F&& f) {
    struct Observe {
      prometheus::Histogram* h;
      std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
      ~Observe() { h->Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()); }
    } observe{call_seconds_[static_cast<std::size_t>(call)]};
    return f();
  }

  // Shard thread only.
  core::Engine& engine() { return engine_; }
  core::TimeMs now();
  // Manual clock: fires every timer due by target; `then(fired)` once the advance is durable
  // (a clock acknowledged as advanced is where a restart resumes).
  void advance_to(core::TimeMs target, std::function<void(std::size_t)> then);
  // Hands a call's events to the history and releases its reply and deliveries (then `then`)
  // once they are durable, in call order.
  // `call` is the journal entry of the call (its time and inputs), journaled with the events.
  void finish(switchboard::v1::JournalEntry&& call, core::Output& out, std::shared_ptr<WebsocketSession> replier,
              const std::string& request_id, std::function<void()> then = {});
  // A journal entry for a call into the core at `now` from this shard.
  switchboard::v1::JournalEntry entry(core::TimeMs now) const;

 private:
  struct Held {
    std::uint64_t seq;
    core::Output out;
    std::shared_ptr<WebsocketSession> replier;
    std::string request_id;
    std::function<void()> then;
  };
  void route(core::Output& out, WebsocketSession* replier, const std::string& request_id);
  void release();
  static std::string key(const std::string& shop, switchboard::v1::Role role, const std::string& person);
  std::string resume_token(const core::Actor& actor) const;
  void arm();
  void start_shops();
  void drop_recovered();
  void count_for_snapshot();
  void take_snapshot();
  std::size_t cut_people(const std::string& shop, core::TimeMs t);
  bool replay_move(const switchboard::v1::JournalEntry& entry, core::Output& out);

  std::size_t index_;
  Clock& clock_;
  Metrics& metrics_;
  boost::asio::io_context ioc_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  boost::asio::steady_timer timer_;
  bool armed_ = false;
  core::TimeMs armed_due_ = 0;
  core::TimeMs floor_ = 0;  // time never runs backwards for the core
  ShardSink sink_;
  std::array<prometheus::Histogram*, static_cast<std::size_t>(Call::count_)> call_seconds_{};
  core::Engine engine_;
  std::vector<core::ShopConfig> pending_shops_;  // this node's by the config, started unless moved away
  std::map<std::string, core::ShopConfig> configs_;   // every shop of the cluster on this shard
  std::set<std::string> released_;                     // moved away by a hand-over (and not back)
  core::HistorySink* history_ = nullptr;
  std::uint64_t submitted_seq_ = 0;
  std::uint64_t durable_seq_ = 0;
  std::deque<Held> held_;  // outputs waiting for their events to be durable
  std::thread thread_;
  const KeyRing& keys_;
  std::int64_t resume_ttl_s_;
  std::unordered_map<const WebsocketSession*, core::Actor> members_;  // welcomed connections
  std::unordered_map<std::string, std::vector<std::shared_ptr<WebsocketSession>>> directory_;
  std::unordered_map<std::string, std::vector<std::shared_ptr<WebsocketSession>>> supervisors_;  // by shop
  // Recovery: who the journal shows connected (one entry per connection), and when it ends.
  std::vector<core::Actor> recovered_;
  std::optional<core::TimeMs> recovered_at_;
  bool compare_events_ = true;
  std::size_t replayed_ = 0;
  // Snapshots (history on): every snapshot_calls_ calls or snapshot_interval_ with a call.
  std::uint64_t snapshot_calls_ = 50'000;
  std::chrono::milliseconds snapshot_interval_{60'000};
  std::uint64_t divergences_logged_ = 0;
  std::uint64_t calls_since_snapshot_ = 0;
  std::chrono::steady_clock::time_point snapshot_last_ = std::chrono::steady_clock::now();
  bool snapshot_posted_ = false;
};

}  // namespace sb::net
