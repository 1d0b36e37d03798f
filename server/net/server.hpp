// The running server: shards, the listener, metrics and the clock, and the map from shop to the
// shard that owns it. Sessions ask it where a shop lives; main asks it to run and to stop.
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "clock.hpp"
#include "switchboard/v1/history.pb.h"
#include "core/shop_config.hpp"
#include "metrics.hpp"
#include "shard.hpp"
#include "shop_route.hpp"
#include "token.hpp"

namespace sb::net {

class Shard;
class Listener;
class WebsocketSession;

struct ServerOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 8080;
  std::size_t threads = 2;
  KeyRing keys;  // every token is verified against these; the first operator HS256 key signs resume tokens
  std::int64_t resume_token_ttl_s = 86'400;  // a resume token outlives a connection, not a working day
  bool manual_clock_allowed = false;
  std::size_t send_queue_messages_max = 1024;
  std::size_t frame_bytes_max = 64 * 1024;
  std::size_t http_body_bytes_max = 64 * 1024;
  std::size_t connections_max = 18'000;
  // Shops another node serves (several nodes behind a proxy): shop -> "node n2 (host:port)",
  // for the error an authenticated caller gets here.
  std::map<std::string, std::string> shops_elsewhere;
  std::size_t connections_per_address_max = 500;  // NATed mobile networks share addresses
  double messages_per_second_max = 20;            // per connection; bursts up to twice that
  std::size_t throttle_strikes_max = 20;          // throttled messages in a row before closing 1008
  std::vector<std::string> allowed_origins;       // empty: any; browsers send Origin, others may not
  std::string web_dir;                            // the front-ends' files, served under /app/; empty: the build's server/web
  // POST /api/v1/demo/sign-in mints agent and supervisor tokens for anyone who asks: the
  // demo's sign-in page (docs/front-ends.md). Never on a real server.
  bool demo_sign_in = false;
  // Proxies (HAProxy) whose X-Forwarded-For names the client: behind one, every connection
  // comes from the proxy's address, and the per-address bound must count the clients'.
  std::vector<std::string> trusted_proxies;
  bool metrics_token_required = false;            // /metrics needs an admin token
  // A second listener for /metrics, the figures API and the admin API, which then leave the
  // public one (e.g. a private interface the Prometheus server and ops tools reach).
  bool admin_listener = false;
  std::string admin_host = "127.0.0.1";
  unsigned short admin_port = 0;
  std::chrono::milliseconds handshake_timeout{10'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds drain_timeout{5'000};
  // On SIGTERM, /readyz answers 503 this long while the node keeps serving, so a proxy's health
  // check takes it out of rotation before any client is told to go.
  std::chrono::milliseconds drain_window{5'000};
  std::string id_prefix;  // unique per process start: ids never repeat across restarts
};


class Server {
 public:
  // `others`: the cluster's shops other nodes serve, which this one may adopt (a move).
  Server(ServerOptions options, std::vector<core::ShopConfig> shops, Clock clock, std::vector<core::ShopConfig> others = {});
  ~Server();

  // Crash recovery, before start(): hands one journaled call to the shard that made it; false
  // with `why` when this configuration cannot replay it (another shard layout, a shop gone).
  bool replay(const switchboard::v1::JournalEntry& entry, std::string& why);
  // Before start(), recovery: a shard's newest snapshot, before the calls journaled after it;
  // false with `why` when this configuration cannot load it (another layout, a shop gone).
  bool restore(const switchboard::v1::ShardSnapshot& snapshot, std::string& why);
  // After the last replayed call at `last`: the clock resumes there and each shard counts the
  // connections the crash cut as dropped then.
  void recovered(core::TimeMs last);
  std::size_t replayed_calls() const;
  // Replayed calls whose events differ from the journaled ones (a changed config or build).
  std::size_t replay_divergences() const { return replay_divergences_; }

  // Binds and starts the shards; returns the bound port (useful with port 0).
  unsigned short start();
  unsigned short admin_port() const { return admin_port_; }  // bound admin port, 0 without one
  // Graceful: /readyz 503 for the drain window while serving, then stop accepting, tell every
  // client to reconnect, flush, close, stop shards.
  void stop();
  bool draining() const { return draining_; }
  // Set by the app before start(): a reason the node is not ready (empty: ready), and work to
  // do before each /metrics scrape (copying the store's figures into gauges).
  std::function<std::string()> not_ready_reason;
  std::function<std::string()> ready_note;  // ready, but something an operator should know (quarantined history)
  std::function<void()> before_scrape;

  const ServerOptions& options() const { return options_; }
  Metrics& metrics() { return metrics_; }
  Clock& clock() { return clock_; }
  Shard& shard(std::size_t i) { return *shards_.at(i); }
  std::size_t shard_count() const { return shards_.size(); }
  // A shop this node serves now, or nullptr.
  const ShopRoute* route(const std::string& shop) const;
  // The node serving a shop this node does not (the [cluster] assignment, or where it moved).
  std::optional<std::string> shop_elsewhere(const std::string& shop) const;
  // Moving a shop (docs/operations.md): `done` on the caller's side of a shard.
  void release_shop(const std::string& shop, const std::string& to_node, Shard::Done done);
  void adopt_shop(const std::string& shop, std::string state, Shard::Done done,
                  std::vector<switchboard::v1::HistoryEvent> cut = {});
  std::string node_id;  // set by the app: named in hand-overs
  // Set by the app with history: claims a shop's waiting hand-over in PostgreSQL (blocking; the
  // API calls it off the shards' threads), and gives a claim back when the adoption failed.
  struct Claim {
    std::string event_id, from_node, handed_at, state;
  };
  std::function<Result<Claim>(const std::string& shop)> claim_handoff;
  std::function<void(const std::string& event_id)> unclaim_handoff;
  // Set by the app with history: an unplanned move, the shop rebuilt from what PostgreSQL holds
  // of a lost node (blocking), recorded as `record_id`; dropped again when the adoption failed.
  struct Rebuild {
    std::string record_id;
    RebuiltShop shop;
  };
  std::function<Result<Rebuild>(const std::string& shop, const std::string& lost_node)> rebuild_lost;
  std::function<void(const std::string& record_id)> drop_rebuild;
  boost::asio::io_context& next_context();

  // Admission per source address: false when the address is at its limit.
  bool admit(const std::string& address);
  void release(const std::string& address);
  // Live connections, so a stop can reach those that never said hello.
  void track(const std::shared_ptr<WebsocketSession>& s);
  void untrack(WebsocketSession* s);
  std::size_t connections() const;

 private:
  ServerOptions options_;
  Clock clock_;
  Metrics metrics_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::unordered_map<std::string, ShopRoute> routes_;  // every shop of the cluster; served or not
  mutable std::mutex elsewhere_mutex_;                 // moves and refusals only, never per message
  std::map<std::string, std::string> elsewhere_;
  std::shared_ptr<Listener> listener_;
  std::shared_ptr<Listener> admin_listener_;
  unsigned short admin_port_ = 0;
  std::size_t next_context_ = 0;
  bool draining_ = false;
  std::size_t replay_divergences_ = 0;
  mutable std::mutex sessions_mutex_;  // connect and disconnect only, never per message
  std::unordered_map<WebsocketSession*, std::weak_ptr<WebsocketSession>> sessions_;
  std::unordered_map<std::string, std::size_t> per_address_;
};

}  // namespace sb::net
