// Applies migrations/NNNN_name.sql in order, each once and in its own transaction, recorded in
// schema_migrations with a checksum. A failure leaves the database as it was and names the
// file and the statement that failed.
#pragma once

#include <string>
#include <vector>

namespace sb::store {

struct MigrationReport {
  bool ok = false;
  std::string error;
  std::vector<std::string> applied;  // file names applied by this run
  std::size_t already = 0;           // files found applied before
};

MigrationReport migrate(const std::string& database_url, const std::string& migrations_dir);

// Splits SQL text into statements, respecting quotes, dollar quotes and comments.
std::vector<std::string> split_sql(const std::string& text);

}  // namespace sb::store
