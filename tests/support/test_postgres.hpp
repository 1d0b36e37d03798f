// A throwaway PostgreSQL 15 cluster for one test: initdb in a temp dir, a unix socket there,
// removed afterwards. As root the cluster runs as user postgres (initdb refuses root).
#pragma once

#include <string>

namespace sb::test {

class TestPostgres {
 public:
  TestPostgres();
  ~TestPostgres();
  TestPostgres(const TestPostgres&) = delete;
  TestPostgres& operator=(const TestPostgres&) = delete;

  const std::string& url() const { return url_; }
  // Runs SQL with psql and returns its unaligned, tuples-only output (trimmed).
  std::string query(const std::string& sql) const;
  void stop_immediate();  // like a crash: pg_ctl stop -m immediate
  void stop_fast();       // an orderly stop: pg_ctl stop -m fast
  void start();

 private:
  std::string run_as_owner(const std::string& cmd) const;
  std::string dir_, url_;
  int port_ = 0;
};

}  // namespace sb::test
