#include "json_log.hpp"

#include <spdlog/spdlog.h>

#include <ctime>
#include <nlohmann/json.hpp>

namespace sb::app {

namespace {

// RFC 3339 in the machine's zone: 2026-12-03T21:22:20.123+08:00.
std::string local_rfc3339(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  std::tm tm{};
  localtime_r(&secs, &tm);
  char buf[64];
  const long off = tm.tm_gmtoff / 60;
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03lld%c%02ld:%02ld", static_cast<long long>(ms), off < 0 ? '-' : '+', std::labs(off) / 60,
                std::labs(off) % 60);
  return buf;
}

}  // namespace

void JsonLogFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  const auto level = spdlog::level::to_string_view(msg.level);
  nlohmann::json line{{"time", local_rfc3339(msg.time)},
                      {"level", std::string(level.data(), level.size())},
                      {"logger", std::string(msg.logger_name.data(), msg.logger_name.size())},
                      {"thread", msg.thread_id},
                      {"msg", std::string(msg.payload.data(), msg.payload.size())}};
  // A message quoting a client's bytes may not be UTF-8: replaced, never a lost line.
  const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  dest.append(text.data(), text.data() + text.size());
}

std::unique_ptr<spdlog::formatter> JsonLogFormatter::clone() const { return std::make_unique<JsonLogFormatter>(); }

bool set_log_format(const std::string& format) {
  if (format == "text") return true;
  if (format != "json") return false;
  spdlog::set_formatter(std::make_unique<JsonLogFormatter>());
  return true;
}

}  // namespace sb::app
