// One history event as a row of the writer's batch table (migration 0006): every column
// named for its meaning, enums by name (history_names.hpp). The writer COPYs these; the SQL
// reads them by kind.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "switchboard/v1/history.pb.h"

namespace sb::store {

struct HistoryRow {
  std::optional<std::string> day, skill, request_id, session_id, agent_id, member_id, body, category, ref_id, tier, reason, detail,
      actor_id;
  std::optional<int> hour, leg, score;
  std::optional<std::string> at2;
  std::optional<bool> flag;
  std::optional<double> amount;
  std::optional<long long> ms;
};

// In COPY order: event_id, at, shop_id, kind, then HistoryRow's columns.
extern const std::vector<std::string> history_columns;

HistoryRow flatten(const switchboard::v1::HistoryEvent& e);

}  // namespace sb::store
