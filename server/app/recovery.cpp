#include "recovery.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "core/time.hpp"
#include "store/journal.hpp"
#include "store/snapshot_files.hpp"

namespace sb::app {

namespace v1 = switchboard::v1;

namespace {

// What one pass over the journal leaves per shard: its newest snapshot mark and the calls after it.
struct ShardTail {
  std::optional<v1::JournalEntry::SnapshotTaken> marker;
  std::vector<v1::JournalEntry> calls;
};

bool read_tails(const std::string& dir, const std::vector<std::uint64_t>& segments, std::size_t shards,
                std::vector<ShardTail>& tails, std::string& why) {
  store::JournalReader reader(dir);
  const store::JournalPosition limit{segments.back(), std::numeric_limits<std::uint64_t>::max()};
  store::JournalPosition pos{segments.front(), 0}, next;
  std::vector<v1::JournalEntry> batch;
  for (;;) {
    batch.clear();
    if (!reader.read_entries(pos, limit, 10'000, batch, next, why)) return false;
    if (batch.empty()) return true;
    for (auto& e : batch) {
      if (e.shard() >= shards) {
        why = "the journal was written by a node with more shards (a call of shard " + std::to_string(e.shard()) +
              "; this one has " + std::to_string(shards) + "): start with the same server.threads (or --threads) as then";
        return false;
      }
      ShardTail& t = tails[e.shard()];
      if (e.has_snapshot_taken()) {
        t.marker = e.snapshot_taken();
        t.calls.clear();  // the snapshot holds what they did
      } else if (e.call_case() != v1::JournalEntry::CALL_NOT_SET) {
        e.clear_events();  // replay compares only event ids: keep them, drop the bodies
        t.calls.push_back(std::move(e));
      }
    }
    pos = next;
  }
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
  if (!read_tails(journal_dir, segments, server.shard_count(), tails, why)) {
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
