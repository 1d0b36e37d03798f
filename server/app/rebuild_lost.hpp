// An unplanned move, the app's part (docs/operations.md, "A node lost for good"): reads what
// PostgreSQL holds of the lost node, picks the shard that served the shop there (its snapshot
// and its calls after it), has the net layer rebuild the shop from them, and records the rebuild.
#pragma once

#include <map>
#include <string>

#include "core/engine.hpp"
#include "net/server.hpp"

namespace sb::app {

Result<net::Server::Rebuild> rebuild_lost_shop(const std::string& database_url,
                                               const std::map<std::string, core::ShopConfig>& configs,
                                               core::EngineOptions options, const std::string& shop,
                                               const std::string& lost_node, const std::string& me);

}  // namespace sb::app
