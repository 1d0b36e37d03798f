// Where a shop lives on this node (its shard) and what its edge needs to know before the core:
// whether it takes guests, the origins its widget may run on.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace sb::net {

struct ShopRoute {
  std::size_t shard = 0;
  bool guests = false;
  std::vector<std::string> allowed_origins;  // pages whose widgets may connect to /ws/shops/{shop}
  // Whether this node serves the shop now: set at start, changed by a move (release, adopt).
  std::shared_ptr<std::atomic<bool>> served = std::make_shared<std::atomic<bool>>(true);
};

}  // namespace sb::net
