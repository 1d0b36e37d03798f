// Where a shop lives on this node (its shard) and what its edge needs to know before the core:
// whether it takes guests, the origins its widget may run on.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace sb::net {

struct ShopRoute {
  std::size_t shard = 0;
  bool guests = false;
  std::vector<std::string> allowed_origins;  // pages whose widgets may connect to /ws/shops/{shop}
};

}  // namespace sb::net
