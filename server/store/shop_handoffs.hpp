// The adopting side of moving a shop (docs/operations.md, "Moving a shop"): claims the newest
// hand-over of a shop that no node has adopted yet from PostgreSQL's shop_handoffs, once; and
// gives it back when the adoption could not go on.
#pragma once

#include <string>

#include "core/result.hpp"

namespace sb::store {

struct ClaimedHandoff {
  std::string event_id, from_node, handed_at;
  std::string state;  // a serialized switchboard.v1.ShopHandoff
};

// ERROR_CODE_NOT_FOUND when no hand-over of the shop waits (not released yet, or its node's
// writer has not written it yet: retry); ERROR_CODE_UNAVAILABLE when PostgreSQL cannot be reached.
Result<ClaimedHandoff> claim_handoff(const std::string& database_url, const std::string& shop, const std::string& node);
// Undoes a claim (the adoption failed): the hand-over waits again.
Result<bool> unclaim_handoff(const std::string& database_url, const std::string& event_id);

}  // namespace sb::store
