// Where shards hand each call into the core (its time, inputs and history events: a
// JournalEntry), tagged with a per-shard sequence number. The store makes them durable and
// reports back the highest durable sequence per shard; the shard holds every reply and delivery
// caused by a call until the call is durable, so whatever was acknowledged survives a crash.
#pragma once

#include <cstdint>
#include <vector>

#include "switchboard/v1/history.pb.h"

namespace sb::core {

class HistorySink {
 public:
  virtual ~HistorySink() = default;
  virtual void submit(std::size_t shard, std::uint64_t seq, switchboard::v1::JournalEntry&& entry) = 0;
};

}  // namespace sb::core
