#include "recovery.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <limits>

#include "core/time.hpp"
#include "store/journal.hpp"

namespace sb::app {

bool recover(net::Server& server, const std::string& journal_dir, std::string& why) {
  const auto segments = store::list_segments(journal_dir);
  if (segments.empty()) return true;  // a new journal: nothing to recover
  if (segments.front() != 1) {
    why = "journal " + journal_dir + " starts at segment " + std::to_string(segments.front()) +
          ": the calls before it are gone, so the shops' live state cannot be rebuilt. Move the folder aside to start "
          "without live state (open chats and queues are lost; run `switchboard store reset-cursor` if the database "
          "then refuses the new journal)";
    return false;
  }
  const auto t0 = std::chrono::steady_clock::now();
  store::JournalReader reader(journal_dir);
  const store::JournalPosition limit{segments.back(), std::numeric_limits<std::uint64_t>::max()};
  store::JournalPosition pos{1, 0}, next;
  std::vector<switchboard::v1::JournalEntry> batch;
  std::optional<core::TimeMs> last;
  for (;;) {
    batch.clear();
    std::string error;
    if (!reader.read_entries(pos, limit, 10'000, batch, next, error)) {
      why = "journal " + journal_dir + ": " + error;
      return false;
    }
    if (batch.empty()) break;
    for (const auto& e : batch) {
      if (!server.replay(e, why)) {
        why = "journal " + journal_dir + ": " + why;
        return false;
      }
      if (e.call_case() != switchboard::v1::JournalEntry::CALL_NOT_SET) last = std::max(last.value_or(e.now_ms()), e.now_ms());
    }
    pos = next;
  }
  if (!last) return true;
  server.recovered(*last);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  spdlog::info("recovery: {} calls replayed in {} ms; time continues from {}", server.replayed_calls(), ms,
               core::format_rfc3339_utc(*last));
  if (server.replay_divergences() > 0)
    spdlog::error("recovery: {} replayed calls made other history events than journaled: the shop config or the build "
                  "changed since they were made, so the live state may differ from before the crash",
                  server.replay_divergences());
  return true;
}

}  // namespace sb::app
