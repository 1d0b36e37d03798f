#include "history_store.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <unordered_map>

#include "history_names.hpp"
#include "migrations.hpp"
#include "snapshot_files.hpp"

namespace sb::store {

namespace v1 = switchboard::v1;

HistoryStore::HistoryStore(StoreOptions options, Durable on_durable)
    : options_(std::move(options)),
      on_durable_(std::move(on_durable)),
      journal_(options_.journal_dir, options_.segment_bytes_max, options_.journal_free_bytes_min),
      durable_end_(journal_.end()) {
  if (journal_.truncated_bytes() > 0)
    spdlog::warn("journal: cut {} bytes of a torn tail (never acknowledged)", journal_.truncated_bytes());
}

HistoryStore::~HistoryStore() { stop(std::chrono::milliseconds(0)); }

void HistoryStore::start() {
  journal_thread_ = std::thread([this] { journal_loop(); });
  writer_thread_ = std::thread([this] { writer_loop(); });
}

void HistoryStore::submit(std::size_t shard, std::uint64_t seq, v1::JournalEntry&& entry) {
  {
    std::lock_guard lock(mutex_);
    pending_.push_back(Batch{shard, seq, std::move(entry), {}});
  }
  cv_.notify_one();
}

void HistoryStore::submit(std::size_t shard, std::uint64_t seq, std::vector<v1::HistoryEvent>&& events) {
  v1::JournalEntry entry;
  entry.set_shard(static_cast<std::uint32_t>(shard));
  for (auto& e : events) *entry.add_events() = std::move(e);
  submit(shard, seq, std::move(entry));
}

void HistoryStore::submit_snapshot(std::size_t shard, std::uint64_t seq, std::string&& snapshot) {
  v1::JournalEntry marker;
  marker.set_shard(static_cast<std::uint32_t>(shard));
  {
    std::lock_guard lock(mutex_);
    pending_.push_back(Batch{shard, seq, std::move(marker), std::move(snapshot)});
  }
  cv_.notify_one();
}

std::vector<std::pair<std::size_t, std::string>> HistoryStore::write_snapshots(std::vector<Batch>& work) {
  std::vector<std::pair<std::size_t, std::string>> marked;
  for (auto& b : work) {
    if (b.snapshot.empty()) continue;
    std::string error;
    auto* taken = b.entry.mutable_snapshot_taken();
    if (!write_snapshot_file(options_.journal_dir, b.shard, b.snapshot, *taken, error)) {
      // Not fatal: the journal still holds every call; the next snapshot tries again.
      spdlog::error("snapshot of shard {}: {}; the journal keeps every call until one is written", b.shard, error);
      ++stats_.snapshot_errors;
      b.entry.clear_snapshot_taken();
    } else {
      marked.emplace_back(b.shard, taken->file());
    }
    b.snapshot.clear();
  }
  return marked;
}

void HistoryStore::retain(const std::vector<std::pair<std::size_t, std::string>>& marked, JournalPosition batch_start) {
  for (const auto& [shard, file] : marked) {
    marked_at_[shard] = batch_start;  // the mark lies at or after the batch's start
    remove_snapshot_files_except(options_.journal_dir, shard, file);
    ++stats_.snapshots;
  }
  if (options_.shards == 0 || marked_at_.size() < options_.shards || !stats_.cursor_known) return;
  JournalPosition keep = JournalPosition{stats_.applied_segment, stats_.applied_offset};
  for (const auto& [shard, at] : marked_at_) keep = std::min(keep, at);
  const auto segments = list_segments(options_.journal_dir);
  const auto gone = std::count_if(segments.begin(), segments.end(), [&](std::uint64_t s) { return s < keep.segment; });
  if (gone == 0) return;
  JournalReader(options_.journal_dir).remove_before(keep);
  stats_.segments_removed += static_cast<std::uint64_t>(gone);
  spdlog::info("journal: {} segments before {} removed (covered by every shard's snapshot and by the database)", gone,
               format_position(keep));
}

void HistoryStore::journal_loop() {
  std::vector<Batch> work;
  std::vector<v1::JournalEntry> flat;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return !pending_.empty() || stopping_; });
      if (pending_.empty() && stopping_) return;
      // Group commit: what arrived while the last fsync ran goes in one batch; a batch interval,
      // when set, collects longer (fewer fsyncs, later acks).
      if (!stopping_ && options_.batch_interval.count() > 0) cv_.wait_for(lock, options_.batch_interval, [&] { return stopping_; });
      work.swap(pending_);
    }
    flat.clear();
    const auto marked = write_snapshots(work);
    const JournalPosition batch_start = journal_.end();
    std::uint64_t events = 0;
    std::unordered_map<std::size_t, std::uint64_t> highest;
    for (auto& b : work) {
      events += static_cast<std::uint64_t>(b.entry.events_size());
      flat.push_back(std::move(b.entry));
      highest[b.shard] = std::max(highest[b.shard], b.seq);
    }
    work.clear();
    std::string error;
    if (!journal_.append(flat, error) || !journal_.sync(error)) {
      // Acknowledging without a durable journal would break the promise; stop loudly instead.
      spdlog::critical("journal: {}; stopping so that nothing unjournaled is acknowledged", error);
      std::abort();
    }
    stats_.events_journaled += events;
    ++stats_.syncs;
    {
      std::lock_guard lock(durable_mutex_);
      durable_end_ = journal_.end();
    }
    durable_cv_.notify_one();
    for (const auto& [shard, seq] : highest) on_durable_(shard, seq);
    retain(marked, batch_start);
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

std::string cursor_problem(const std::optional<Cursor>& cursor, const std::string& journal_id, JournalPosition first,
                           JournalPosition end, const std::string& node, const std::string& dir) {
  if (!cursor) return {};
  std::string why;
  if (!cursor->journal_id.empty() && cursor->journal_id != journal_id)
    why = "the cursor was written from another journal (this one is new, or belongs to another node)";
  else if (end < cursor->position)
    why = "the cursor is ahead of this journal's end: events the database has are missing here";
  else if (cursor->position < first)
    why = "segments between the cursor and this journal's oldest segment are gone: their events never reached the database";
  if (why.empty()) return {};
  return "journal " + dir + " (id " + journal_id + ", from " + format_position(first) + " to " + format_position(end) +
         ") does not match the database's cursor for node " + node + " (journal " +
         (cursor->journal_id.empty() ? std::string("unnamed") : cursor->journal_id) + ", at " +
         format_position(cursor->position) + "): " + why +
         ". Nothing is written to the database until this is resolved. If this journal is the right one "
         "(the old journal is lost for good, or the database's cursor is stale), run `switchboard store reset-cursor "
         "--config FILE --node " + node +
         "`: the database forgets that cursor and this journal is written from its start; events the old journal held "
         "that never reached PostgreSQL are lost, rows already in PostgreSQL are kept and count once.";
}

namespace {

JournalPosition oldest_position(const std::string& dir) {
  const auto segments = list_segments(dir);
  return JournalPosition{segments.empty() ? 1 : segments.front(), 0};
}

}  // namespace

std::string HistoryStore::check_cursor_at_start() {
  PgWriter writer(options_.database_url, options_.node_id, journal_.id(), options_.transcripts);
  std::string error;
  if (!writer.connect(error)) return {};  // away: the writer checks when it connects
  const auto cursor = writer.cursor(error);
  if (!error.empty()) return {};  // e.g. a database not migrated yet: no cursor to disagree with
  return cursor_problem(cursor, journal_.id(), oldest_position(options_.journal_dir), journal_.end(), options_.node_id,
                        options_.journal_dir);
}

std::string HistoryStore::writer_problem() const {
  std::lock_guard lock(durable_mutex_);
  return writer_problem_;
}

void HistoryStore::wait_backoff() {
  std::unique_lock lock(durable_mutex_);
  durable_cv_.wait_for(lock, backoff_, [&] { return writer_stop_; });
  backoff_ = std::min(backoff_ * 2, options_.retry_max);
}

void HistoryStore::count_base_backlog(JournalPosition applied) {
  // Count what the database lacks from before this start, once, for the backlog gauge.
  JournalPosition end, pos = applied, next;
  {
    std::lock_guard lock(durable_mutex_);
    end = durable_end_;
  }
  stats_.base_journaled = stats_.events_journaled.load();
  stats_.base_written = stats_.events_written.load();
  std::uint64_t count = 0;
  std::vector<v1::HistoryEvent> scan;
  JournalReader reader(options_.journal_dir);
  std::string error;
  while (pos < end) {
    scan.clear();
    if (!reader.read(pos, end, 10'000, scan, next, error) || scan.empty()) break;
    count += scan.size();
    pos = next;
  }
  stats_.base_backlog = count;
}

bool HistoryStore::writer_connect(PgWriter& writer, std::optional<JournalPosition>& applied, bool& migrated) {
  std::string error;
  if (!writer.connect(error)) {
    if (stats_.db_up.exchange(false) || stats_.write_errors == 0) spdlog::warn("database unreachable: {}", error);
    ++stats_.write_errors;
    return false;
  }
  if (!migrated) {
    const MigrationReport r = migrate(options_.database_url, options_.migrations_dir);
    if (!r.ok) {
      spdlog::error("migrations: {}", r.error);
      writer.disconnect();
      ++stats_.write_errors;
      return false;
    }
    migrated = true;
    if (!r.applied.empty()) spdlog::info("migrations applied: {}", r.applied.size());
  }
  if (const long dropped = writer.drop_partitions_older_than(options_.retention_days, error); dropped > 0)
    spdlog::info("retention: dropped {} daily partitions older than {} days", dropped, options_.retention_days);
  if (!writer.connected()) return false;
  const auto cursor = writer.cursor(error);
  if (!error.empty()) return false;
  const JournalPosition oldest = oldest_position(options_.journal_dir);
  JournalPosition end;
  {
    std::lock_guard lock(durable_mutex_);
    end = durable_end_;
    writer_problem_ = cursor_problem(cursor, journal_.id(), oldest, end, options_.node_id, options_.journal_dir);
    if (!writer_problem_.empty()) {
      spdlog::critical("history writer stopped: {}", writer_problem_);
      writer.disconnect();
      return false;
    }
  }
  // A node that never wrote starts at the oldest segment still on disk.
  applied = cursor ? cursor->position : oldest;
  if (const long q = writer.quarantined(error); q >= 0) stats_.quarantined_in_db = q;
  if (!stats_.cursor_known) count_base_backlog(*applied);
  stats_.applied_segment = applied->segment;
  stats_.applied_offset = applied->offset;
  stats_.cursor_known = true;
  stats_.db_up = true;
  spdlog::info("database connected; journal cursor at {}", format_position(*applied));
  return true;
}

bool HistoryStore::write_isolating(PgWriter& writer, const std::vector<v1::HistoryEvent>& events,
                                   const std::vector<JournalPosition>& ends, std::size_t lo, std::size_t hi) {
  const auto part = std::span<const v1::HistoryEvent>(events).subspan(lo, hi - lo);
  WriteResult r = writer.write(part, ends[hi - 1]);
  if (r.status == WriteStatus::refused && hi - lo > 1) {
    const std::size_t mid = lo + (hi - lo) / 2;
    return write_isolating(writer, events, ends, lo, mid) && write_isolating(writer, events, ends, mid, hi);
  }
  if (r.status == WriteStatus::refused) {
    // This one event is what PostgreSQL will not take: keep it aside, carry on with the rest.
    spdlog::error("history event {} ({}) refused by PostgreSQL and quarantined: {}", events[lo].event_id(),
                  kind_name(events[lo]), r.error);
    r = writer.quarantine(events[lo], r.error, ends[lo]);
    if (r.status == WriteStatus::ok) {
      ++stats_.quarantined;
      ++stats_.quarantined_in_db;
    }
  }
  if (r.status != WriteStatus::ok) {
    ++stats_.write_errors;
    stats_.db_up = false;
    spdlog::warn("database write failed ({} events kept in the journal): {}", hi - lo, r.error);
    return false;
  }
  ++stats_.batches;
  stats_.events_written += hi - lo;
  stats_.rows_new += static_cast<std::uint64_t>(r.fresh);
  stats_.applied_segment = ends[hi - 1].segment;
  stats_.applied_offset = ends[hi - 1].offset;
  return true;
}

// StoreOptions::copy_journal: the calls of [from, to) without their events, and the snapshots
// marked there, go into PostgreSQL with the next write (docs/operations.md, "A node lost for good").
void HistoryStore::stage_copy(JournalReader& reader, PgWriter& writer, JournalPosition from, JournalPosition to) {
  JournalCopyRow row{from, to, {}, {}};
  v1::JournalCopy copy;
  JournalPosition next;
  std::string error;
  const bool ok = reader.scan(from, to, next, error, [&](const std::string& payload, JournalPosition start, JournalPosition end) {
    auto* r = copy.add_records();
    if (!r->mutable_entry()->ParseFromString(payload)) return false;  // read() found it whole: cannot happen
    r->mutable_entry()->clear_events();
    r->set_segment(start.segment);
    r->set_offset(start.offset);
    if (r->entry().has_snapshot_taken()) {
      v1::ShardSnapshot snapshot;
      std::string why;
      if (read_snapshot_file(options_.journal_dir, r->entry().snapshot_taken(), snapshot, why))
        row.snapshots.push_back({r->entry().shard(), end, snapshot.SerializeAsString()});
      else  // a newer one replaced it meanwhile: the copy keeps the calls until the next
        spdlog::debug("journal copy: snapshot of shard {} not copied: {}", r->entry().shard(), why);
    }
    return true;
  });
  if (!ok) spdlog::error("journal copy of {} to {} stopped early: {}", format_position(from), format_position(to), error);
  row.records = copy.SerializeAsString();
  writer.stage_copy(std::move(row), options_.shards);
}

void HistoryStore::writer_loop() {
  PgWriter writer(options_.database_url, options_.node_id, journal_.id(), options_.transcripts);
  JournalReader reader(options_.journal_dir);
  std::optional<JournalPosition> applied;
  bool migrated = !options_.migrate_on_start;
  std::vector<v1::HistoryEvent> batch;
  std::vector<JournalPosition> ends;
  std::optional<JournalPosition> copy_from;  // copy_journal: the first call not copied yet
  for (;;) {
    JournalPosition end;
    {
      std::unique_lock lock(durable_mutex_);
      if (writer_stop_ && (std::chrono::steady_clock::now() >= writer_deadline_ || (applied && *applied >= durable_end_)))
        return;
      if (writer.connected() && *applied >= durable_end_) {
        durable_cv_.wait_for(lock, std::chrono::milliseconds(200), [&] { return writer_stop_ || *applied < durable_end_; });
        continue;
      }
      end = durable_end_;
    }
    if (!writer.connected()) {
      if (!writer_connect(writer, applied, migrated)) wait_backoff();
      copy_from = applied;
      continue;
    }
    batch.clear();
    ends.clear();
    JournalPosition next;
    std::string error;
    if (!reader.read(*applied, end, options_.batch_events_max, batch, next, error, &ends)) {
      spdlog::critical("journal: {}", error);
      std::abort();
    }
    if (batch.empty()) {  // only empty segments, or calls without events, ahead: step over them
      applied = next;
      continue;
    }
    if (options_.copy_journal) stage_copy(reader, writer, *copy_from, next);
    if (!write_isolating(writer, batch, ends, 0, batch.size())) {
      writer.disconnect();
      applied.reset();  // re-read from the database's cursor: part of the batch may be in
      wait_backoff();
      continue;
    }
    stats_.db_up = true;
    copy_from = next;
    backoff_ = std::chrono::milliseconds(100);  // only a write that went through resets the backoff
    // Segments stay although PostgreSQL has their events: the replay on start reads the calls
    // from the journal's first segment (docs/architecture.md, "Crash recovery").
    applied = next;
    check_bound();
    if (batch.size() < options_.batch_events_max && options_.write_interval.count() > 0) {
      std::unique_lock lock(durable_mutex_);
      durable_cv_.wait_for(lock, options_.write_interval, [&] { return writer_stop_; });
    }
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
