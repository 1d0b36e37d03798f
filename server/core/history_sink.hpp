// Where shards hand the history events of each call, tagged with a per-shard sequence number.
// The store makes them durable and reports back the highest durable sequence per shard; the
// shard holds every reply and delivery caused by a call until its events are durable.
#pragma once

#include <cstdint>
#include <vector>

#include "switchboard/v1/history.pb.h"

namespace sb::core {

class HistorySink {
 public:
  virtual ~HistorySink() = default;
  virtual void submit(std::size_t shard, std::uint64_t seq, std::vector<switchboard::v1::HistoryEvent>&& events) = 0;
};

}  // namespace sb::core
