#include "server.hpp"

#include <spdlog/spdlog.h>

#include <functional>
#include <thread>

#include "listener.hpp"
#include "shard.hpp"
#include "websocket_session.hpp"

namespace sb::net {

namespace {

// FNV-1a: a stable shop -> shard map, the same on every start.
std::size_t shard_of(const std::string& shop, std::size_t shards) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : shop) h = (h ^ c) * 1099511628211ULL;
  return static_cast<std::size_t>(h % shards);
}

}  // namespace

Server::Server(ServerOptions options, std::vector<core::ShopConfig> shops, Clock clock, std::vector<core::ShopConfig> others)
    : options_(std::move(options)), clock_(std::move(clock)), elsewhere_(options_.shops_elsewhere) {
  metrics_.connections_max.Set(static_cast<double>(options_.connections_max));
  const std::size_t n = std::max<std::size_t>(1, options_.threads);
  for (std::size_t i = 0; i < n; ++i)
    shards_.push_back(std::make_unique<Shard>(i, clock_, metrics_, core::EngineOptions{options_.id_prefix, 4'000'000, false},
                                               options_.keys, options_.resume_token_ttl_s));
  for (auto& shop : shops) {
    const std::size_t s = shard_of(shop.id, n);
    routes_[shop.id] = ShopRoute{s, shop.guests, shop.allowed_origins};
    shards_[s]->add_shop(std::move(shop));
  }
  for (auto& shop : others) {
    const std::size_t s = shard_of(shop.id, n);
    routes_[shop.id] = ShopRoute{s, shop.guests, shop.allowed_origins};
    routes_[shop.id].served->store(false);
    shards_[s]->add_adoptable(std::move(shop));
  }
}

Server::~Server() {
  // Shards hold connections (in held outputs and queued handlers) that report back to this
  // server when they are destroyed: destroy them while every other member is still alive.
  for (auto& s : shards_) s->stop();
  shards_.clear();
  listener_.reset();
  admin_listener_.reset();
}

namespace {

const std::string& shop_of_call(const switchboard::v1::JournalEntry& e) {
  static const std::string none;
  switch (e.call_case()) {
    case switchboard::v1::JournalEntry::kShopAdded: return e.shop_added().shop_id();
    case switchboard::v1::JournalEntry::kJoined: return e.joined().actor().shop_id();
    case switchboard::v1::JournalEntry::kLeft: return e.left().actor().shop_id();
    case switchboard::v1::JournalEntry::kHandled: return e.handled().actor().shop_id();
    case switchboard::v1::JournalEntry::kOrder: return e.order().shop_id();
    default: return none;
  }
}

}  // namespace

bool Server::replay(const switchboard::v1::JournalEntry& entry, std::string& why) {
  if (entry.shard() >= shards_.size()) {
    why = "the journal was written by a node with more shards (a call of shard " + std::to_string(entry.shard()) +
          "; this one has " + std::to_string(shards_.size()) + "): start with the same server.threads (or --threads) as then";
    return false;
  }
  const std::string& shop = shop_of_call(entry);
  if (!shop.empty()) {
    auto found = routes_.find(shop);  // served or not: the journal may hold shops moved since
    const ShopRoute* r = found == routes_.end() ? nullptr : &found->second;
    if (r == nullptr) {
      why = "the journal holds live state of shop \"" + shop + "\", which this config lacks: put it back in the config";
      return false;
    }
    if (r->shard != entry.shard()) {
      why = "shop \"" + shop + "\" was on shard " + std::to_string(entry.shard()) + " when journaled and is on shard " +
            std::to_string(r->shard) + " now: start with the same server.threads (or --threads) as then";
      return false;
    }
  }
  if (!shards_[entry.shard()]->replay(entry)) ++replay_divergences_;
  return true;
}

bool Server::restore(const switchboard::v1::ShardSnapshot& snapshot, std::string& why) {
  const auto k = snapshot.shard();
  if (k >= shards_.size()) {
    why = "the journal was written by a node with more shards (a snapshot of shard " + std::to_string(k) + "; this one has " +
          std::to_string(shards_.size()) + "): start with the same server.threads (or --threads) as then";
    return false;
  }
  for (const auto& shop : snapshot.engine().shops()) {
    auto found = routes_.find(shop.shop_id());
    const ShopRoute* r = found == routes_.end() ? nullptr : &found->second;
    if (r == nullptr) {
      why = "the journal holds live state of shop \"" + shop.shop_id() + "\", which this config lacks: put it back in the config";
      return false;
    }
    if (r->shard != k) {
      why = "shop \"" + shop.shop_id() + "\" was on shard " + std::to_string(k) + " when journaled and is on shard " +
            std::to_string(r->shard) + " now: start with the same server.threads (or --threads) as then";
      return false;
    }
  }
  if (!shards_[k]->restore(snapshot, why)) {
    why = "shard " + std::to_string(k) + ": " + why;
    return false;
  }
  return true;
}

void Server::recovered(core::TimeMs last) {
  clock_.resume_at(last);
  for (auto& s : shards_) s->recovered_until(last);
}

std::size_t Server::replayed_calls() const {
  std::size_t n = 0;
  for (const auto& s : shards_) n += s->replayed_calls();
  return n;
}

const ShopRoute* Server::route(const std::string& shop) const {
  auto it = routes_.find(shop);
  return it == routes_.end() || !it->second.served->load(std::memory_order_acquire) ? nullptr : &it->second;
}

std::optional<std::string> Server::shop_elsewhere(const std::string& shop) const {
  std::lock_guard lock(elsewhere_mutex_);
  auto it = elsewhere_.find(shop);
  if (it == elsewhere_.end()) return std::nullopt;
  return it->second;
}

void Server::release_shop(const std::string& shop, const std::string& to_node, Shard::Done done) {
  auto it = routes_.find(shop);
  if (it == routes_.end() || !it->second.served->exchange(false))
    return done(Error{switchboard::v1::ERROR_CODE_NOT_FOUND, "shop \"" + shop + "\" is not served by this node"});
  {
    std::lock_guard lock(elsewhere_mutex_);
    elsewhere_[shop] = to_node.empty() ? "another node" : "node " + to_node;
  }
  std::shared_ptr<std::atomic<bool>> served = it->second.served;
  shards_[it->second.shard]->release_shop(shop, node_id, to_node, [this, shop, served, done = std::move(done)](Result<std::string> r) {
    if (!r) {  // still here: serve it again
      served->store(true);
      std::lock_guard lock(elsewhere_mutex_);
      elsewhere_.erase(shop);
    }
    done(std::move(r));
  });
}

void Server::adopt_shop(const std::string& shop, std::string state, Shard::Done done, std::vector<switchboard::v1::HistoryEvent> cut) {
  auto it = routes_.find(shop);
  if (it == routes_.end())
    return done(Error{switchboard::v1::ERROR_CODE_NOT_FOUND, "shop \"" + shop + "\" is not in this node's config"});
  if (it->second.served->load()) return done(Error{switchboard::v1::ERROR_CODE_INVALID_STATE, "shop \"" + shop + "\" is already served here"});
  std::shared_ptr<std::atomic<bool>> served = it->second.served;
  shards_[it->second.shard]->adopt_shop(std::move(state), [this, shop, served, done = std::move(done)](Result<std::string> r) {
    if (r) {
      served->store(true, std::memory_order_release);
      std::lock_guard lock(elsewhere_mutex_);
      elsewhere_.erase(shop);
    }
    done(std::move(r));
  }, std::move(cut));
}

boost::asio::io_context& Server::next_context() {
  // Only the listener's strand calls this.
  return shards_[next_context_++ % shards_.size()]->context();
}

unsigned short Server::start() {
  const Surface main = options_.admin_listener ? Surface::public_only : Surface::all;
  listener_ = std::make_shared<Listener>(shards_[0]->context(), *this, main);
  const unsigned short port = listener_->open(options_.host, options_.port);
  if (options_.admin_listener) {
    admin_listener_ = std::make_shared<Listener>(shards_[0]->context(), *this, Surface::admin_only);
    admin_port_ = admin_listener_->open(options_.admin_host, options_.admin_port);
  }
  for (auto& r : routes_) r.second.served->store(false);
  for (auto& s : shards_)
    for (const auto& shop : s->start()) {
      routes_.at(shop).served->store(true);
      std::lock_guard lock(elsewhere_mutex_);
      elsewhere_.erase(shop);  // the journal brought it here (adopted), whatever the config says
    }
  listener_->run();
  if (admin_listener_) admin_listener_->run();
  return port;
}

void Server::track(const std::shared_ptr<WebsocketSession>& s) {
  std::lock_guard lock(sessions_mutex_);
  sessions_.emplace(s.get(), s);
}

void Server::untrack(WebsocketSession* s) {
  std::lock_guard lock(sessions_mutex_);
  sessions_.erase(s);
}

bool Server::admit(const std::string& address) {
  std::lock_guard lock(sessions_mutex_);
  std::size_t& n = per_address_[address];
  if (n >= options_.connections_per_address_max) return false;
  ++n;
  return true;
}

void Server::release(const std::string& address) {
  std::lock_guard lock(sessions_mutex_);
  auto it = per_address_.find(address);
  if (it == per_address_.end()) return;
  if (--it->second == 0) per_address_.erase(it);
}

std::size_t Server::connections() const {
  std::lock_guard lock(sessions_mutex_);
  return sessions_.size();
}

void Server::stop() {
  if (draining_) return;
  draining_ = true;
  if (options_.drain_window.count() > 0) {
    spdlog::info("draining: /readyz answers 503 for {} ms while the node keeps serving", options_.drain_window.count());
    std::this_thread::sleep_for(options_.drain_window);
  }
  if (listener_) listener_->stop();
  if (admin_listener_) admin_listener_->stop();
  std::vector<std::shared_ptr<WebsocketSession>> live;
  {
    std::lock_guard lock(sessions_mutex_);
    for (auto& [ptr, weak] : sessions_)
      if (auto s = weak.lock()) live.push_back(std::move(s));
  }
  spdlog::info("stopping: telling {} connections to reconnect", live.size());
  for (auto& s : live) s->shut_down("server stopping", 1000);
  live.clear();
  const auto deadline = std::chrono::steady_clock::now() + options_.drain_timeout;
  while (connections() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (connections() > 0) spdlog::warn("drain time over with {} connections still open", connections());
  for (auto& s : shards_) s->stop();
}

}  // namespace sb::net
