// Durable history: a journal thread appends the shards' events and fsyncs once per batch
// interval (group commit), then tells each shard how far its events are durable; a writer
// thread copies the journal into PostgreSQL from the node's cursor, retrying while the
// database is away. The live path never waits for PostgreSQL.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/history_sink.hpp"
#include "journal.hpp"
#include "pg_writer.hpp"

namespace sb::store {

struct StoreOptions {
  std::string database_url;
  std::string journal_dir = ".local/journal";
  std::string node_id = "node1";
  std::string migrations_dir;
  bool migrate_on_start = true;
  bool transcripts = true;
  std::chrono::milliseconds batch_interval{0};  // 0: write as soon as the previous fsync is done
  std::size_t batch_events_max = 5000;          // per PostgreSQL transaction
  // After a transaction that took less than batch_events_max, the writer waits this long for
  // more: fewer and larger transactions cost PostgreSQL far less CPU per event.
  std::chrono::milliseconds write_interval{100};
  std::uint64_t journal_bytes_max = 4ULL << 30;  // backlog over this: not ready (see docs/history.md)
  std::uint64_t segment_bytes_max = 64ULL << 20;
  std::uint64_t journal_free_bytes_min = 64ULL << 20;  // less room than this at start: refused
  std::chrono::milliseconds retry_max{5000};    // backoff cap while the database is away
  int retention_days = 400;                     // daily partitions of events and messages kept
  // The node's shards: once each has a snapshot marked, journal segments before the oldest of
  // those marks (and before the database's cursor) are removed. 0: segments are kept.
  std::size_t shards = 0;
  std::uint64_t snapshot_calls = 50'000;             // a shard snapshots after this many calls
  std::chrono::milliseconds snapshot_interval{60'000};  // or after this long with at least one call
  // A node of a cluster: the journal's calls and each shard's newest snapshot copied into
  // PostgreSQL with the events, so another node can rebuild a shop of this one if it is lost.
  bool copy_journal = false;
};

struct StoreStats {
  std::atomic<bool> db_up{false};
  std::atomic<std::uint64_t> events_journaled{0};
  std::atomic<std::uint64_t> events_written{0};  // events read from the journal and committed
  std::atomic<std::uint64_t> rows_new{0};        // of those, new to the database
  std::atomic<std::uint64_t> batches{0};
  std::atomic<std::uint64_t> write_errors{0};
  std::atomic<std::uint64_t> syncs{0};
  std::atomic<bool> over_bound{false};
  // Where the writer is in the journal (valid once it has read the node's cursor).
  std::atomic<bool> cursor_known{false};
  std::atomic<std::uint64_t> applied_segment{0}, applied_offset{0};
  // Events between the cursor and the journal end when the cursor was first read.
  std::atomic<std::uint64_t> base_backlog{0}, base_journaled{0}, base_written{0};
  std::atomic<std::uint64_t> quarantined{0};        // events PostgreSQL refused since start, kept aside
  std::atomic<std::int64_t> quarantined_in_db{0};   // this node's rows in quarantined_events (read at connect)
  std::atomic<std::uint64_t> snapshots{0};          // snapshot files written and marked
  std::atomic<std::uint64_t> snapshot_errors{0};    // snapshots that could not be written (the journal still has all)
  std::atomic<std::uint64_t> segments_removed{0};   // journal segments covered by snapshots and the cursor
};

// Whether this node's journal can continue from the database's cursor: "" when it can, else
// what is wrong (both positions and the command that resolves it).
std::string cursor_problem(const std::optional<Cursor>& cursor, const std::string& journal_id, JournalPosition first,
                           JournalPosition end, const std::string& node, const std::string& dir);

class HistoryStore : public core::HistorySink {
 public:
  using Durable = std::function<void(std::size_t shard, std::uint64_t seq)>;

  // Opens the journal; throws std::runtime_error if it cannot (the server cannot start).
  HistoryStore(StoreOptions options, Durable on_durable);
  ~HistoryStore() override;

  void start();
  void submit(std::size_t shard, std::uint64_t seq, switchboard::v1::JournalEntry&& entry) override;
  void submit_snapshot(std::size_t shard, std::uint64_t seq, std::string&& snapshot) override;
  // Events without a call (tests and benchmarks of the writer): one entry holding them.
  void submit(std::size_t shard, std::uint64_t seq, std::vector<switchboard::v1::HistoryEvent>&& events);
  // Flushes the journal and gives the writer up to `drain` to catch up, then stops both threads.
  void stop(std::chrono::milliseconds drain);
  const StoreStats& stats() const { return stats_; }
  // Before listening: if the database answers, refuses a journal that does not match its cursor
  // (the returned text says why and what to do); "" when it matches or the database is away
  // (the writer then checks when it connects, and stops writing, not the node, on a mismatch).
  std::string check_cursor_at_start();
  // Why the writer is not writing (a journal that does not match the cursor), "" when it is.
  std::string writer_problem() const;
  // Journaled but not yet in PostgreSQL; computed on demand (for /metrics).
  std::uint64_t backlog_events() const;
  std::uint64_t backlog_bytes() const;

 private:
  struct Batch {
    std::size_t shard;
    std::uint64_t seq;
    switchboard::v1::JournalEntry entry;
    std::string snapshot;  // set: a snapshot to write, then mark with `entry`
  };
  void journal_loop();
  void writer_loop();
  void stage_copy(JournalReader& reader, PgWriter& writer, JournalPosition from, JournalPosition to);
  bool writer_connect(PgWriter& writer, std::optional<JournalPosition>& applied, bool& migrated);
  void count_base_backlog(JournalPosition applied);
  // Writes events[lo, hi) and moves the cursor past them; a refused range is split until each
  // refused event stands alone and is quarantined. False when the database went away.
  bool write_isolating(PgWriter& writer, const std::vector<switchboard::v1::HistoryEvent>& events,
                       const std::vector<JournalPosition>& ends, std::size_t lo, std::size_t hi);
  void wait_backoff();
  void check_bound();
  // Journal thread: writes the batch's snapshot files and turns their entries into markers;
  // returns the shards marked.
  std::vector<std::pair<std::size_t, std::string>> write_snapshots(std::vector<Batch>& work);
  // Journal thread, after a sync: the marks are durable; drop what they and the cursor cover.
  void retain(const std::vector<std::pair<std::size_t, std::string>>& marked, JournalPosition batch_start);

  StoreOptions options_;
  Durable on_durable_;
  JournalWriter journal_;
  StoreStats stats_;

  std::mutex mutex_;  // guards pending_ and stopping_ (one swap per batch, not per event)
  std::condition_variable cv_;
  std::vector<Batch> pending_;
  bool stopping_ = false;

  mutable std::mutex durable_mutex_;
  std::condition_variable durable_cv_;
  JournalPosition durable_end_;  // everything before this is fsynced
  bool writer_stop_ = false;
  std::chrono::steady_clock::time_point writer_deadline_{};
  std::string writer_problem_;              // guarded by durable_mutex_
  std::chrono::milliseconds backoff_{100};  // writer thread only: grows across failed batches and connects

  std::map<std::size_t, JournalPosition> marked_at_;  // journal thread: each shard's newest durable mark

  std::thread journal_thread_, writer_thread_;
};

}  // namespace sb::store
