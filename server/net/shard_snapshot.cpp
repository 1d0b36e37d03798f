// Snapshots of one shard: its whole state written every so often between calls (the core's
// shops and timers, who is connected, the shops' /metrics series), so a restart loads the
// newest and replays only the calls journaled after it (docs/architecture.md, "Crash recovery").
#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "shard.hpp"

namespace sb::net {

namespace v1 = switchboard::v1;

bool Shard::restore(const v1::ShardSnapshot& snapshot, std::string& why) {
  if (snapshot.format() != shard_snapshot_format) {
    why = "its snapshot has layout " + std::to_string(snapshot.format()) + "; this build reads layout " +
          std::to_string(shard_snapshot_format) + ". Start the build that wrote it, or move the journal folder aside to start "
          "without live state (open chats and queues are lost)";
    return false;
  }
  auto config_of = [this](const std::string& id) -> std::optional<core::ShopConfig> {
    auto it = configs_.find(id);
    if (it == configs_.end()) return std::nullopt;
    std::erase_if(pending_shops_, [&](const core::ShopConfig& c) { return c.id == id; });
    sink_.declare_shop(it->second);
    return it->second;
  };
  if (!engine_.restore(snapshot.engine(), config_of, why)) return false;
  sink_.load(snapshot.series());
  floor_ = std::max(floor_, snapshot.floor_ms());
  released_ = {snapshot.released_shops().begin(), snapshot.released_shops().end()};
  recovered_.clear();
  for (const auto& a : snapshot.connected()) recovered_.push_back(core_actor(a));
  return true;
}

// Shard thread, after each journaled call: snapshots between calls, never inside one.
void Shard::count_for_snapshot() {
  ++calls_since_snapshot_;
  if (snapshot_posted_) return;
  if (calls_since_snapshot_ < snapshot_calls_ && std::chrono::steady_clock::now() - snapshot_last_ < snapshot_interval_) return;
  snapshot_posted_ = true;
  boost::asio::post(ioc_, [this] {
    snapshot_posted_ = false;
    take_snapshot();
  });
}

void Shard::take_snapshot() {
  const auto t0 = std::chrono::steady_clock::now();
  v1::ShardSnapshot s;
  s.set_format(shard_snapshot_format);
  s.set_shard(static_cast<std::uint32_t>(index_));
  s.set_floor_ms(floor_);
  engine_.save(*s.mutable_engine());
  for (const auto& [conn, actor] : members_) *s.add_connected() = journal_actor(actor);
  sink_.save(*s.mutable_series());
  for (const auto& shop : released_) s.add_released_shops(shop);
  std::string bytes = s.SerializeAsString();
  const std::size_t size = bytes.size();
  history_->submit_snapshot(index_, ++submitted_seq_, std::move(bytes));
  spdlog::debug("shard {}: snapshot of {} bytes after {} calls, made in {} us", index_, size, calls_since_snapshot_,
                std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count());
  calls_since_snapshot_ = 0;
  snapshot_last_ = std::chrono::steady_clock::now();
}

}  // namespace sb::net
