// `--log-format json`: every log line as one JSON object, for log shippers: the time in the
// server's own zone with its UTC offset, the level, the logger, the thread and the message.
#pragma once

#include <spdlog/formatter.h>

#include <memory>

namespace sb::app {

class JsonLogFormatter : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;
};

// "text" (the default) or "json"; false for anything else.
bool set_log_format(const std::string& format);

}  // namespace sb::app
