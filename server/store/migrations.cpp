#include "migrations.hpp"
#include "journal.hpp"  // crc32_of

#include <pqxx/pqxx>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace sb::store {

namespace fs = std::filesystem;

std::vector<std::string> split_sql(const std::string& text) {
  std::vector<std::string> out;
  std::string current;
  std::size_t i = 0;
  auto flush = [&] {
    const auto first = current.find_first_not_of(" \t\r\n");
    if (first != std::string::npos) out.push_back(current.substr(first));
    current.clear();
  };
  while (i < text.size()) {
    const char c = text[i];
    if (c == '-' && i + 1 < text.size() && text[i + 1] == '-') {  // line comment
      const auto end = text.find('\n', i);
      i = end == std::string::npos ? text.size() : end;
      continue;
    }
    if (c == '\'' || c == '"') {  // quoted literal or identifier ('' escapes itself)
      const auto end = text.find(c, i + 1);
      const auto stop = end == std::string::npos ? text.size() : end + 1;
      current.append(text, i, stop - i);
      i = stop;
      continue;
    }
    if (c == '$') {  // dollar quote: $$ or $tag$
      const auto close = text.find('$', i + 1);
      if (close != std::string::npos) {
        const std::string tag = text.substr(i, close - i + 1);
        if (std::all_of(tag.begin() + 1, tag.end() - 1, [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_'; })) {
          const auto end = text.find(tag, close + 1);
          const auto stop = end == std::string::npos ? text.size() : end + tag.size();
          current.append(text, i, stop - i);
          i = stop;
          continue;
        }
      }
    }
    if (c == ';') {
      flush();
      ++i;
      continue;
    }
    current.push_back(c);
    ++i;
  }
  flush();
  return out;
}

namespace {

std::string checksum(const std::string& text) {
  std::ostringstream s;
  s << std::hex << crc32_of(text);
  return s.str();
}

std::string first_line(const std::string& statement) {
  const auto nl = statement.find('\n');
  return statement.substr(0, std::min<std::size_t>(nl, 100));
}

}  // namespace

MigrationReport migrate(const std::string& database_url, const std::string& migrations_dir) {
  MigrationReport report;
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(migrations_dir, ec))
    if (entry.path().extension() == ".sql") files.push_back(entry.path());
  if (ec) {
    report.error = migrations_dir + ": " + ec.message();
    return report;
  }
  std::sort(files.begin(), files.end());
  try {
    pqxx::connection conn(database_url);
    {
      pqxx::work tx(conn);
      tx.exec0("CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, checksum text NOT NULL, "
               "applied_at timestamptz NOT NULL DEFAULT now())");
      tx.commit();
    }
    for (const auto& path : files) {
      std::ifstream in(path);
      std::stringstream buf;
      buf << in.rdbuf();
      const std::string text = buf.str(), name = path.filename().string(), sum = checksum(text);
      pqxx::work tx(conn);
      // One migrator at a time across nodes.
      tx.exec("SELECT pg_advisory_xact_lock(727274)");
      const pqxx::result seen = tx.exec_params("SELECT checksum FROM schema_migrations WHERE name = $1", name);
      if (!seen.empty()) {
        if (seen[0][0].as<std::string>() != sum) {
          report.error = path.string() + ": was changed after it was applied (checksum " + seen[0][0].as<std::string>() +
                         ", now " + sum + "); add a new migration instead";
          return report;
        }
        ++report.already;
        continue;
      }
      const auto statements = split_sql(text);
      for (std::size_t i = 0; i < statements.size(); ++i) {
        try {
          tx.exec(statements[i]);
        } catch (const pqxx::sql_error& e) {
          report.error = path.string() + ": statement " + std::to_string(i + 1) + " (" + first_line(statements[i]) +
                         "): " + e.what();
          return report;  // the transaction rolls back: the database is as it was before this file
        }
      }
      tx.exec_params0("INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)", name, sum);
      tx.commit();
      report.applied.push_back(name);
    }
  } catch (const std::exception& e) {
    report.error = std::string("database: ") + e.what();
    return report;
  }
  report.ok = true;
  return report;
}

}  // namespace sb::store
