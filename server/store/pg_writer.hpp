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
  // Writes the events and moves the cursor to `end`, in one transaction.
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
  std::string url_, node_id_, journal_id_;
  bool transcripts_;
  std::unique_ptr<pqxx::connection> conn_;
  std::set<std::string> days_ready_;  // partitions known to exist
  bool staging_ready_ = false;        // this connection has its temp table batch_events
};

}  // namespace sb::store
