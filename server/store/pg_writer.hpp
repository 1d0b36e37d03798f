// Writes batches of history events into PostgreSQL: COPY into a temp table, then
// switchboard_apply_batch() inserts what is new (by event id) and updates the tables people
// query, and the node's journal cursor moves, all in one transaction.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <pqxx/connection>

#include "journal.hpp"


namespace sb::store {

class PgWriter {
 public:
  PgWriter(std::string url, std::string node_id, bool transcripts);
  ~PgWriter();

  bool connected() const { return conn_ != nullptr; }
  bool connect(std::string& error);
  void disconnect();
  // Retention: drops daily partitions older than `days`; returns how many, or -1 and an error.
  long drop_partitions_older_than(int days, std::string& error);
  // The node's cursor; nullopt with empty error when the node never wrote.
  std::optional<JournalPosition> cursor(std::string& error);
  // Returns the number of events that were new to the database, or -1 and an error.
  long write(const std::vector<switchboard::v1::HistoryEvent>& events, JournalPosition end, std::string& error);

 private:
  std::string url_, node_id_;
  bool transcripts_;
  std::unique_ptr<pqxx::connection> conn_;
  std::set<std::string> days_ready_;  // partitions known to exist
};

}  // namespace sb::store
