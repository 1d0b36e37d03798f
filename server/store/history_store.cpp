#include "history_store.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <unordered_map>

#include "migrations.hpp"
#include "pg_writer.hpp"

namespace sb::store {

namespace v1 = switchboard::v1;

HistoryStore::HistoryStore(StoreOptions options, Durable on_durable)
    : options_(std::move(options)),
      on_durable_(std::move(on_durable)),
      journal_(options_.journal_dir, options_.segment_bytes_max),
      durable_end_(journal_.end()) {
  if (journal_.truncated_bytes() > 0)
    spdlog::warn("journal: cut {} bytes of a torn tail (never acknowledged)", journal_.truncated_bytes());
}

HistoryStore::~HistoryStore() { stop(std::chrono::milliseconds(0)); }

void HistoryStore::start() {
  journal_thread_ = std::thread([this] { journal_loop(); });
  writer_thread_ = std::thread([this] { writer_loop(); });
}

void HistoryStore::submit(std::size_t shard, std::uint64_t seq, std::vector<v1::HistoryEvent>&& events) {
  {
    std::lock_guard lock(mutex_);
    pending_.push_back(Batch{shard, seq, std::move(events)});
  }
  cv_.notify_one();
}

void HistoryStore::journal_loop() {
  std::vector<Batch> work;
  std::vector<v1::HistoryEvent> flat;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return !pending_.empty() || stopping_; });
      if (pending_.empty() && stopping_) return;
      // Group commit: collect for one batch interval after the first event arrives.
      if (!stopping_) cv_.wait_for(lock, options_.batch_interval, [&] { return stopping_; });
      work.swap(pending_);
    }
    flat.clear();
    std::unordered_map<std::size_t, std::uint64_t> highest;
    for (auto& b : work) {
      for (auto& e : b.events) flat.push_back(std::move(e));
      highest[b.shard] = std::max(highest[b.shard], b.seq);
    }
    work.clear();
    std::string error;
    if (!journal_.append(flat, error) || !journal_.sync(error)) {
      // Acknowledging without a durable journal would break the promise; stop loudly instead.
      spdlog::critical("journal: {}; stopping so that nothing unjournaled is acknowledged", error);
      std::abort();
    }
    stats_.events_journaled += flat.size();
    ++stats_.syncs;
    {
      std::lock_guard lock(durable_mutex_);
      durable_end_ = journal_.end();
    }
    durable_cv_.notify_one();
    for (const auto& [shard, seq] : highest) on_durable_(shard, seq);
    check_bound();
  }
}

std::uint64_t HistoryStore::backlog_events() const {
  const std::uint64_t journaled = stats_.events_journaled, written = stats_.events_written;
  if (!stats_.cursor_known) return journaled > written ? journaled - written : 0;
  const std::uint64_t ahead = stats_.base_backlog + (journaled - stats_.base_journaled);
  const std::uint64_t done = written - stats_.base_written;
  return ahead > done ? ahead - done : 0;
}

std::uint64_t HistoryStore::backlog_bytes() const {
  JournalPosition end;
  {
    std::lock_guard lock(durable_mutex_);
    end = durable_end_;
  }
  JournalPosition applied{1, 0};
  if (stats_.cursor_known) {
    applied = JournalPosition{stats_.applied_segment, stats_.applied_offset};
  } else if (const auto segments = list_segments(options_.journal_dir); !segments.empty()) {
    applied = JournalPosition{segments.front(), 0};
  }
  if (!(applied < end)) return 0;
  // Segments between the two are counted at their size bound.
  return applied.segment == end.segment
             ? end.offset - applied.offset
             : (end.segment - applied.segment) * options_.segment_bytes_max - applied.offset + end.offset;
}

void HistoryStore::check_bound() {
  const bool over = backlog_bytes() > options_.journal_bytes_max;
  if (over != stats_.over_bound.exchange(over)) {
    if (over) spdlog::error("journal backlog is over journal_bytes_max: node not ready until PostgreSQL catches up");
    else spdlog::info("journal backlog back under its bound");
  }
}

void HistoryStore::writer_loop() {
  PgWriter writer(options_.database_url, options_.node_id, options_.transcripts);
  JournalReader reader(options_.journal_dir);
  std::optional<JournalPosition> applied;
  std::chrono::milliseconds backoff{100};
  bool migrated = !options_.migrate_on_start;
  std::vector<v1::HistoryEvent> batch;
  for (;;) {
    {
      std::lock_guard lock(durable_mutex_);
      if (writer_stop_ && (std::chrono::steady_clock::now() >= writer_deadline_ || (applied && *applied >= durable_end_)))
        return;
    }
    std::string error;
    if (!writer.connected()) {
      if (!writer.connect(error)) {
        if (stats_.db_up.exchange(false) || stats_.write_errors == 0) spdlog::warn("database unreachable: {}", error);
        ++stats_.write_errors;
        std::unique_lock lock(durable_mutex_);
        durable_cv_.wait_for(lock, backoff, [&] { return writer_stop_; });
        backoff = std::min(backoff * 2, options_.retry_max);
        continue;
      }
      if (!migrated) {
        const MigrationReport r = migrate(options_.database_url, options_.migrations_dir);
        if (!r.ok) {
          spdlog::error("migrations: {}", r.error);
          writer.disconnect();
          ++stats_.write_errors;
          std::this_thread::sleep_for(backoff);
          continue;
        }
        migrated = true;
        if (!r.applied.empty()) spdlog::info("migrations applied: {}", r.applied.size());
      }
      if (const long dropped = writer.drop_partitions_older_than(options_.retention_days, error); dropped > 0)
        spdlog::info("retention: dropped {} daily partitions older than {} days", dropped, options_.retention_days);
      if (!writer.connected()) continue;
      const auto cur = writer.cursor(error);
      if (!error.empty()) continue;
      // A node that never wrote starts at the oldest segment still on disk.
      const auto segments = list_segments(options_.journal_dir);
      applied = cur ? *cur : JournalPosition{segments.empty() ? 1 : segments.front(), 0};
      if (!stats_.cursor_known) {
        // Count what the database lacks from before this start, once, for the backlog gauge.
        JournalPosition end, pos = *applied, next;
        {
          std::lock_guard lock(durable_mutex_);
          end = durable_end_;
        }
        stats_.base_journaled = stats_.events_journaled.load();
        stats_.base_written = stats_.events_written.load();
        std::uint64_t count = 0;
        std::vector<v1::HistoryEvent> scan;
        while (pos < end) {
          scan.clear();
          if (!reader.read(pos, end, 10'000, scan, next, error) || scan.empty()) break;
          count += scan.size();
          pos = next;
        }
        stats_.base_backlog = count;
      }
      stats_.applied_segment = applied->segment;
      stats_.applied_offset = applied->offset;
      stats_.cursor_known = true;
      stats_.db_up = true;
      backoff = std::chrono::milliseconds(100);
      spdlog::info("database connected; journal cursor at segment {} offset {}", applied->segment, applied->offset);
    }
    JournalPosition end;
    {
      std::unique_lock lock(durable_mutex_);
      if (*applied >= durable_end_) {
        durable_cv_.wait_for(lock, std::chrono::milliseconds(200), [&] { return writer_stop_ || *applied < durable_end_; });
        continue;
      }
      end = durable_end_;
    }
    batch.clear();
    JournalPosition next;
    if (!reader.read(*applied, end, options_.batch_events_max, batch, next, error)) {
      spdlog::critical("journal: {}", error);
      std::abort();
    }
    const long fresh = writer.write(batch, next, error);
    if (fresh < 0) {
      ++stats_.write_errors;
      stats_.db_up = false;
      spdlog::warn("database write failed ({} events kept in the journal): {}", batch.size(), error);
      std::unique_lock lock(durable_mutex_);
      durable_cv_.wait_for(lock, backoff, [&] { return writer_stop_; });
      backoff = std::min(backoff * 2, options_.retry_max);
      continue;
    }
    stats_.db_up = true;
    backoff = std::chrono::milliseconds(100);
    ++stats_.batches;
    stats_.events_written += batch.size();
    stats_.rows_new += static_cast<std::uint64_t>(fresh);
    if (next.segment > applied->segment) reader.remove_before(next);
    applied = next;
    stats_.applied_segment = applied->segment;
    stats_.applied_offset = applied->offset;
    check_bound();
  }
}

void HistoryStore::stop(std::chrono::milliseconds drain) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !journal_thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (journal_thread_.joinable()) journal_thread_.join();
  {
    std::lock_guard lock(durable_mutex_);
    writer_stop_ = true;
    writer_deadline_ = std::chrono::steady_clock::now() + drain;
  }
  durable_cv_.notify_all();
  if (writer_thread_.joinable()) writer_thread_.join();
}

}  // namespace sb::store
