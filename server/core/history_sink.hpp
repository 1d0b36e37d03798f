// Where shards hand each call into the core (its time, inputs and history events: a
// JournalEntry), tagged with a per-shard sequence number. The store makes them durable and
// reports back the highest durable sequence per shard; the shard holds every reply and delivery
// caused by a call until the call is durable, so whatever was acknowledged survives a crash.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "switchboard/v1/history.pb.h"

namespace sb::core {

class HistorySink {
 public:
  virtual ~HistorySink() = default;
  virtual void submit(std::size_t shard, std::uint64_t seq, switchboard::v1::JournalEntry&& entry) = 0;
  // The shard's whole state (a serialized ShardSnapshot) as of every call submitted before it:
  // written to a file, then marked in the journal at this point, so a restart loads it and
  // replays only what follows.
  virtual void submit_snapshot(std::size_t shard, std::uint64_t seq, std::string&& snapshot) = 0;
};

}  // namespace sb::core
