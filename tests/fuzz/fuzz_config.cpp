// libFuzzer harness for the config parser: any text is either a configuration or a
// ConfigError naming the problem, never a crash or another exception.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "app/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const sb::app::AppConfig c = sb::app::parse_config(text, "fuzz.toml");
    if (c.shops.empty()) std::abort();  // a config without shops must have been refused
  } catch (const sb::app::ConfigError& e) {
    if (std::string(e.what()).find("fuzz.toml") == std::string::npos) std::abort();  // names the file
  }
  return 0;
}
