// The rebuilding side of an unplanned move (docs/operations.md, "A node lost for good"): what
// PostgreSQL holds of a lost node — each shard's newest snapshot and the calls journaled after
// it (node_journal_copies) — read back in journal order; and the rebuilt shop recorded in
// shop_handoffs, once, so two nodes cannot both rebuild it and the lost node never serves it again.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "journal.hpp"
#include "switchboard/v1/history.pb.h"
#include "switchboard/v1/snapshot.pb.h"

namespace sb::store {

struct LostNodeCopy {
  struct Snapshot {
    std::uint32_t shard = 0;
    JournalPosition after;  // the shard's calls from here on are not in it
    switchboard::v1::ShardSnapshot state;
  };
  struct Call {
    JournalPosition at;
    switchboard::v1::JournalEntry entry;  // without its events
  };
  std::vector<Snapshot> snapshots;
  std::vector<Call> calls;  // in journal order, each once
};

// ERROR_CODE_NOT_FOUND when PostgreSQL holds nothing of the node (it never copied its journal:
// store.copy_journal); ERROR_CODE_UNAVAILABLE when PostgreSQL cannot be reached.
Result<LostNodeCopy> read_lost_node(const std::string& database_url, const std::string& node);

// Records a shop rebuilt from `lost` by `me` as of `at_ms` (its last call PostgreSQL had);
// returns the record's id. ERROR_CODE_INVALID_STATE when it was rebuilt from that point already.
Result<std::string> record_rebuild(const std::string& database_url, const std::string& shop, const std::string& lost,
                                   const std::string& me, std::int64_t at_ms, const std::string& state);
// Undoes record_rebuild (the adoption failed).
Result<bool> drop_rebuild(const std::string& database_url, const std::string& record_id);
// Shops rebuilt on other nodes after `node` was declared lost (and not moved back to it since),
// with the node that rebuilt each: `node` must not serve them again.
Result<std::vector<std::pair<std::string, std::string>>> shops_rebuilt_from(const std::string& database_url,
                                                                             const std::string& node);

}  // namespace sb::store
