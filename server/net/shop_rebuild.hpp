// An unplanned move, the rebuilding part (docs/operations.md, "A node lost for good"): a lost
// node's shard as PostgreSQL has it — its newest snapshot and the calls journaled after it —
// replayed through a scratch shard of this process, exactly as the lost node's crash recovery
// would have; the people it shows connected are cut as dropped at its last call, and the shop
// leaves as a hand-over this node adopts. What the lost node did not get into PostgreSQL is lost.
#pragma once

#include <map>
#include <span>
#include <string>
#include <vector>

#include "core/engine.hpp"
#include "core/result.hpp"
#include "switchboard/v1/history.pb.h"
#include "switchboard/v1/snapshot.pb.h"

namespace sb::net {

struct RebuiltShop {
  std::string state;                                     // a serialized ShopHandoff
  std::vector<switchboard::v1::HistoryEvent> cut_events;  // of cutting the people (journaled by the adopter)
  std::size_t people_cut = 0;
  core::TimeMs at_ms = 0;  // the lost node's last call PostgreSQL had
  std::size_t calls_replayed = 0;
};

// `snapshot`: the shard's newest (may be null: then the calls begin with the shop's arrival);
// `calls`: that shard's calls after it, in journal order. `configs`: every shop of the cluster.
Result<RebuiltShop> rebuild_shop(const std::map<std::string, core::ShopConfig>& configs,
                                 const switchboard::v1::ShardSnapshot* snapshot,
                                 std::span<const switchboard::v1::JournalEntry* const> calls, const std::string& shop,
                                 const std::string& lost_node, const std::string& me, core::EngineOptions options);

}  // namespace sb::net
