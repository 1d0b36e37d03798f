#include "recovery.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include "core/time.hpp"
#include "store/journal.hpp"
#include "store/snapshot_files.hpp"

namespace sb::app {

namespace v1 = switchboard::v1;

namespace {

// What the journal leaves per shard: its newest snapshot mark and the calls after it.
struct ShardTail {
  std::optional<v1::JournalEntry::SnapshotTaken> marker;
  store::JournalPosition after;  // the calls to replay start here (the marker's end, or the journal's start)
  std::vector<v1::JournalEntry> calls;
};

// The shard of a record and whether it is a snapshot mark, read without parsing the record's
// events: the first pass over a day's journal only looks for the newest marks.
bool peek_head(const std::string& payload, std::uint32_t& shard, bool& marker) {
  namespace pb = google::protobuf;
  pb::io::CodedInputStream in(reinterpret_cast<const std::uint8_t*>(payload.data()), static_cast<int>(payload.size()));
  shard = 0;
  marker = false;
  while (const std::uint32_t tag = in.ReadTag()) {
    const int field = pb::internal::WireFormatLite::GetTagFieldNumber(tag);
    if (field == v1::JournalEntry::kShardFieldNumber) {
      if (!in.ReadVarint32(&shard)) return false;
      continue;
    }
    if (field == v1::JournalEntry::kSnapshotTakenFieldNumber) marker = true;
    if (!pb::internal::WireFormatLite::SkipField(&in, tag)) return false;
  }
  return in.ConsumedEntireMessage();
}

std::string more_shards(std::uint32_t shard, std::size_t shards) {
  return "the journal was written by a node with more shards (a call of shard " + std::to_string(shard) +
         "; this one has " + std::to_string(shards) + "): start with the same server.threads (or --threads) as then";
}

std::string corrupt(const std::string& dir, store::JournalPosition at) {
  return store::segment_path(dir, at.segment) + ": corrupt record at offset " + std::to_string(at.offset);
}

// First pass: each shard's newest marker and where its calls to replay begin.
bool find_markers(store::JournalReader& reader, const std::string& dir, store::JournalPosition from,
                  store::JournalPosition limit, std::vector<ShardTail>& tails, std::string& why) {
  store::JournalPosition next;
  return reader.scan(from, limit, next, why, [&](const std::string& payload, store::JournalPosition start, store::JournalPosition end) {
    std::uint32_t shard = 0;
    bool marker = false;
    if (!peek_head(payload, shard, marker)) {
      why = corrupt(dir, start);
      return false;
    }
    if (shard >= tails.size()) {
      why = more_shards(shard, tails.size());
      return false;
    }
    if (!marker) return true;
    v1::JournalEntry e;
    if (!e.ParseFromString(payload)) {
      why = corrupt(dir, start);
      return false;
    }
    tails[shard].marker = e.snapshot_taken();
    tails[shard].after = end;
    return true;
  });
}

// Second pass: from the earliest place any shard needs, the calls after each shard's marker.
bool read_tails(const std::string& dir, const std::vector<std::uint64_t>& segments, std::vector<ShardTail>& tails,
                std::string& why) {
  store::JournalReader reader(dir);
  const store::JournalPosition limit{segments.back(), std::numeric_limits<std::uint64_t>::max()};
  const store::JournalPosition first{segments.front(), 0};
  for (auto& t : tails) t.after = first;
  if (!find_markers(reader, dir, first, limit, tails, why)) return false;
  store::JournalPosition from = limit, next;
  for (const auto& t : tails) from = std::min(from, t.after);
  return reader.scan(from, limit, next, why, [&](const std::string& payload, store::JournalPosition start, store::JournalPosition) {
    std::uint32_t shard = 0;
    bool marker = false;
    if (!peek_head(payload, shard, marker)) {
      why = corrupt(dir, start);
      return false;
    }
    ShardTail& t = tails[shard];
    if (marker || start < t.after) return true;  // before the newest snapshot: it holds what they did
    v1::JournalEntry e;
    if (!e.ParseFromString(payload)) {
      why = corrupt(dir, start);
      return false;
    }
    if (e.call_case() == v1::JournalEntry::CALL_NOT_SET) return true;
    for (auto& ev : *e.mutable_events()) {  // replay compares only event ids: keep them, drop the bodies
      std::string id = std::move(*ev.mutable_event_id());
      ev.Clear();
      ev.set_event_id(std::move(id));
    }
    t.calls.push_back(std::move(e));
    return true;
  });
}

// One shard: its snapshot loaded, then its calls since replayed; `last` is the latest time seen.
bool recover_shard(net::Server& server, const std::string& dir, std::size_t k, bool have_start, ShardTail& t,
                   std::optional<core::TimeMs>& last, std::string& why) {
  if (t.marker) {
    v1::ShardSnapshot snapshot;
    if (!store::read_snapshot_file(dir, *t.marker, snapshot, why) || !server.restore(snapshot, why)) return false;
    last = std::max(last.value_or(snapshot.floor_ms()), snapshot.floor_ms());
  } else if (!have_start && !t.calls.empty()) {
    why = "shard " + std::to_string(k) + " has no snapshot in the journal and its first segment is gone, so its live "
          "state cannot be rebuilt. Move the folder aside to start without live state (open chats and queues are lost; run "
          "`switchboard store reset-cursor` if the database then refuses the new journal)";
    return false;
  }
  for (const auto& e : t.calls) {
    if (!server.replay(e, why)) return false;
    last = std::max(last.value_or(e.now_ms()), e.now_ms());
  }
  return true;
}

}  // namespace

bool recover(net::Server& server, const std::string& journal_dir, std::string& why) {
  const auto segments = store::list_segments(journal_dir);
  if (segments.empty()) return true;  // a new journal: nothing to recover
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<ShardTail> tails(server.shard_count());
  if (!read_tails(journal_dir, segments, tails, why)) {
    why = "journal " + journal_dir + ": " + why;
    return false;
  }
  bool any_marker = false;
  for (const auto& t : tails) any_marker = any_marker || t.marker.has_value();
  if (segments.front() != 1 && !any_marker) {
    why = "journal " + journal_dir + " starts at segment " + std::to_string(segments.front()) +
          " and marks no snapshot: the calls before it are gone, so the shops' live state cannot be rebuilt. Move the "
          "folder aside to start without live state (open chats and queues are lost; run `switchboard store reset-cursor` "
          "if the database then refuses the new journal)";
    return false;
  }
  std::optional<core::TimeMs> last;
  std::size_t snapshots = 0;
  for (std::size_t k = 0; k < tails.size(); ++k) {
    if (!recover_shard(server, journal_dir, k, segments.front() == 1, tails[k], last, why)) {
      why = "journal " + journal_dir + ": " + why;
      return false;
    }
    snapshots += tails[k].marker ? 1 : 0;
  }
  if (!last) return true;
  server.recovered(*last);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  spdlog::info("recovery: {} shards from snapshots, {} calls replayed, in {} ms; time continues from {}", snapshots,
               server.replayed_calls(), ms, core::format_rfc3339_utc(*last));
  if (server.replay_divergences() > 0)
    spdlog::error("recovery: {} replayed calls made other history events than journaled: the shop config or the build "
                  "changed since they were made, so the live state may differ from before the crash",
                  server.replay_divergences());
  return true;
}

}  // namespace sb::app
