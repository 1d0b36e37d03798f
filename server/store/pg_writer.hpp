// Writes batches of history events into PostgreSQL: COPY into a temp table, then
// switchboard_apply_batch() inserts what is new (by event id) and updates the tables people
// query, and the node's journal cursor moves, all in one transaction.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include <pqxx/connection>
#include <pqxx/transaction>

#include "journal.hpp"


namespace sb::store {

// The node's cursor as PostgreSQL keeps it: how far, and in which journal.
struct Cursor {
  JournalPosition position;
  std::string journal_id;  // empty: written before journals had ids (adopted by the next write)
};

// How a write went: a database that refused the rows (a data or schema error: retrying cannot
// help, the events must be isolated) is a different matter from one that is away.
enum class WriteStatus { ok, refused, unreachable };

struct WriteResult {
  WriteStatus status = WriteStatus::ok;
  long fresh = 0;     // events new to the database
  std::string error;  // when not ok: what PostgreSQL said
};

// What of the journal goes into PostgreSQL with the next write (StoreOptions::copy_journal):
// the calls of a range as one node_journal_copies row, and the snapshots marked in it.
struct JournalCopyRow {
  JournalPosition from, to;
  std::string records;  // a serialized switchboard.v1.JournalCopy
  struct Snapshot {
    std::uint32_t shard = 0;
    JournalPosition after;  // just past its marker
    std::string state;      // a serialized ShardSnapshot
  };
  std::vector<Snapshot> snapshots;
};

class PgWriter {
 public:
  PgWriter(std::string url, std::string node_id, std::string journal_id, bool transcripts);
  ~PgWriter();

  bool connected() const { return conn_ != nullptr; }
  bool connect(std::string& error);
  void disconnect();
  // Retention: drops daily partitions older than `days`; returns how many, or -1 and an error.
  long drop_partitions_older_than(int days, std::string& error);
  // The node's cursor; nullopt with empty error when the node never wrote.
  std::optional<Cursor> cursor(std::string& error);
  // Writes the events and moves the cursor to `end`, in one transaction; with a staged copy,
  // that too (then forgotten). `shards`: the node's, to tell when every one has a snapshot.
  void stage_copy(JournalCopyRow copy, std::size_t shards) {
    copy_ = std::move(copy);
    shards_ = shards;
  }
  WriteResult write(std::span<const switchboard::v1::HistoryEvent> events, JournalPosition end);
  // Keeps one refused event aside in quarantined_events with the database's error and moves the
  // cursor past it, in one transaction.
  WriteResult quarantine(const switchboard::v1::HistoryEvent& event, const std::string& why, JournalPosition end);
  // Events of this node in quarantined_events (-1 and an error when it cannot tell).
  long quarantined(std::string& error);
  // Forgets the node's cursor (switchboard store reset-cursor); true if there was one.
  bool reset_cursor(std::string& error);

 private:
  void write_handoffs(pqxx::work& tx, std::span<const switchboard::v1::HistoryEvent> events);
  void write_copy(pqxx::work& tx);
  std::string url_, node_id_, journal_id_;
  bool transcripts_;
  std::unique_ptr<pqxx::connection> conn_;
  std::set<std::string> days_ready_;  // partitions known to exist
  bool staging_ready_ = false;        // this connection has its temp table batch_events
  std::optional<JournalCopyRow> copy_;
  std::size_t shards_ = 0;
};

}  // namespace sb::store
