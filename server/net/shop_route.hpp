// Where a shop lives on this node (its shard) and what its edge needs to know before the core:
// whether it takes guests, its UTC offset.
#pragma once

#include <cstddef>

namespace sb::net {

struct ShopRoute {
  std::size_t shard = 0;
  bool guests = false;
  int utc_offset_minutes = 0;
};

}  // namespace sb::net
