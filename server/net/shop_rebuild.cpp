#include "shop_rebuild.hpp"

#include <spdlog/spdlog.h>

#include "metrics.hpp"
#include "shard.hpp"

namespace sb::net {

namespace v1 = switchboard::v1;

Result<RebuiltShop> rebuild_shop(const std::map<std::string, core::ShopConfig>& configs, const v1::ShardSnapshot* snapshot,
                                 std::span<const v1::JournalEntry* const> calls, const std::string& shop,
                                 const std::string& lost_node, const std::string& me, core::EngineOptions options) {
  // A shard of its own: its own counters (the shop's series travel in the hand-over), no
  // history (the lost node's events are in PostgreSQL already), never started.
  Clock clock = Clock::manual(0);
  Metrics metrics;
  const KeyRing keys;
  Shard scratch(snapshot != nullptr ? snapshot->shard() : 0, clock, metrics, std::move(options), keys, 0);
  for (const auto& [id, config] : configs) scratch.add_adoptable(config);
  scratch.compare_events(false);  // the copies carry no events: their ids are in PostgreSQL
  std::string why;
  if (snapshot != nullptr && !scratch.restore(*snapshot, why))
    return Error{v1::ERROR_CODE_INVALID_STATE, "node " + lost_node + "'s snapshot cannot be loaded: " + why};
  for (const v1::JournalEntry* call : calls) scratch.replay(*call);
  auto rebuilt = scratch.rebuilt(shop, lost_node, me);
  if (!rebuilt) return rebuilt;
  rebuilt->calls_replayed = calls.size();
  spdlog::info("shop {} rebuilt from node {}'s copy: {} calls replayed after its snapshot, {} people cut, as of {}", shop,
               lost_node, calls.size(), rebuilt->people_cut, core::format_rfc3339_utc(rebuilt->at_ms));
  return rebuilt;
}

}  // namespace sb::net
