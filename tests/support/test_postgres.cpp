#include "test_postgres.hpp"

#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace sb::test {

namespace {

constexpr const char* pgbin = "/usr/lib/postgresql/15/bin";

std::string capture(const std::string& cmd, int* status = nullptr) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) throw std::runtime_error("popen failed: " + cmd);
  std::array<char, 4096> buf;
  while (std::fgets(buf.data(), buf.size(), p) != nullptr) out += buf.data();
  const int rc = pclose(p);
  if (status != nullptr) *status = rc;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

}  // namespace

TestPostgres::TestPostgres() {
  char tmpl[] = "/tmp/sb-pg-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  port_ = 20000 + static_cast<int>(getpid() % 20000);
  if (geteuid() == 0) capture("chown -R postgres:postgres " + dir_);
  int rc = 0;
  const std::string out = capture(run_as_owner(std::string(pgbin) + "/initdb -D " + dir_ + "/data -U switchboard --auth=trust -E UTF8 --locale=C.UTF-8"), &rc);
  if (rc != 0) throw std::runtime_error("initdb failed: " + out);
  start();
  url_ = "postgresql:///postgres?host=" + dir_ + "&port=" + std::to_string(port_) + "&user=switchboard";
  query("CREATE DATABASE switchboard");
  url_ = "postgresql:///switchboard?host=" + dir_ + "&port=" + std::to_string(port_) + "&user=switchboard";
}

TestPostgres::~TestPostgres() {
  capture(run_as_owner(std::string(pgbin) + "/pg_ctl -D " + dir_ + "/data -m immediate stop"));
  capture("rm -rf '" + dir_ + "'");
}

std::string TestPostgres::run_as_owner(const std::string& cmd) const {
  return geteuid() == 0 ? "runuser -u postgres -- " + cmd : cmd;
}

void TestPostgres::start() {
  int rc = 0;
  const std::string out = capture(run_as_owner(std::string(pgbin) + "/pg_ctl -D " + dir_ + "/data -l " + dir_ +
                                               "/log -w -o \"-k " + dir_ + " -p " + std::to_string(port_) +
                                               " -c listen_addresses='' -c fsync=off\" start"),
                                  &rc);
  if (rc != 0) throw std::runtime_error("pg_ctl start failed: " + out);
}

void TestPostgres::stop_immediate() { capture(run_as_owner(std::string(pgbin) + "/pg_ctl -D " + dir_ + "/data -m immediate -w stop")); }

void TestPostgres::stop_fast() { capture(run_as_owner(std::string(pgbin) + "/pg_ctl -D " + dir_ + "/data -m fast -w stop")); }

std::string TestPostgres::query(const std::string& sql) const {
  int rc = 0;
  std::string escaped;
  for (char c : sql) {
    if (c == '\'') escaped += "'\\''";
    else escaped += c;
  }
  const std::string out = capture("psql '" + url_ + "' -v ON_ERROR_STOP=1 -AtX -c '" + escaped + "'", &rc);
  if (rc != 0) throw std::runtime_error("psql failed: " + out);
  return out;
}

}  // namespace sb::test
