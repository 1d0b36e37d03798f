// The local journal: every call into the shards' cores (its time, inputs and the history events
// it produced) appended in order to segment files and fsynced per batch before anything it
// caused is acknowledged. The database writer reads the events back from its cursor, so
// PostgreSQL being away never loses one; on start the calls are replayed through the core to
// rebuild the live state (crash recovery, docs/architecture.md).
// Record: u32 payload length, u32 CRC-32 of the payload, payload (a JournalEntry).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "switchboard/v1/history.pb.h"

namespace sb::store {

struct JournalPosition {
  std::uint64_t segment = 1;
  std::uint64_t offset = 0;
  auto operator<=>(const JournalPosition&) const = default;
};

constexpr std::uint32_t journal_record_bytes_max = 1 << 20;
constexpr const char* journal_format = "switchboard-journal 3";  // records: switchboard.v1.JournalEntry (a call, its events)

class JournalWriter {
 public:
  // Opens (creating) the directory, finds the end of the last segment and cuts off a torn tail.
  // Throws std::runtime_error when the directory cannot be used: the server cannot start.
  // Also refuses a directory with less than `free_bytes_min` of room: a full disk is found
  // before the server listens, not at the first event.
  JournalWriter(std::string dir, std::uint64_t segment_bytes_max, std::uint64_t free_bytes_min = 0);
  ~JournalWriter();
  JournalWriter(const JournalWriter&) = delete;
  JournalWriter& operator=(const JournalWriter&) = delete;

  // Returns false and an error on a write or sync failure.
  bool append(const std::vector<switchboard::v1::JournalEntry>& entries, std::string& error);
  // Each event as an entry of its own, without a call (tests of the journal and the writer).
  bool append(const std::vector<switchboard::v1::HistoryEvent>& events, std::string& error);
  bool sync(std::string& error);
  JournalPosition end() const { return end_; }
  // Names this journal for as long as its directory lives (journal.id, made with the first
  // segment): the database's cursor records it, so a cursor never continues in another journal.
  const std::string& id() const { return id_; }
  std::uint64_t truncated_bytes() const { return truncated_bytes_; }
  const std::string& dir() const { return dir_; }

 private:
  bool open_segment(std::uint64_t segment, std::string& error);
  bool roll(std::string& error);
  bool write_all(std::string& error);

  std::string dir_;
  std::string id_;
  std::uint64_t segment_bytes_max_;
  int fd_ = -1;
  JournalPosition end_;
  std::uint64_t truncated_bytes_ = 0;
  std::string buffer_;
};

class JournalReader {
 public:
  explicit JournalReader(std::string dir) : dir_(std::move(dir)) {}
  // Appends the events of records read from `from` (whole records, until at least max_events
  // or `limit`); sets `next`. A corrupt record inside the durable range is an error (the
  // journal was damaged). `ends`, when given, gets for each event a position a cursor may move
  // to once that event is written: the record's end for its last event, its start for the others
  // (rewriting an event is harmless: the database takes each event id once).
  bool read(JournalPosition from, JournalPosition limit, std::size_t max_events,
            std::vector<switchboard::v1::HistoryEvent>& out, JournalPosition& next, std::string& error,
            std::vector<JournalPosition>* ends = nullptr);
  // Appends up to max_entries whole records (the calls, for replay).
  bool read_entries(JournalPosition from, JournalPosition limit, std::size_t max_entries,
                    std::vector<switchboard::v1::JournalEntry>& out, JournalPosition& next, std::string& error);
  // Deletes segments wholly before `pos`.
  void remove_before(JournalPosition pos);
  // Hands each record's payload and its start and end to `take` until it returns false.
  bool scan(JournalPosition from, JournalPosition limit, JournalPosition& next, std::string& error,
            const std::function<bool(const std::string&, JournalPosition, JournalPosition)>& take);

 private:
  std::string dir_;
};

std::string segment_path(const std::string& dir, std::uint64_t segment);
std::string format_position(JournalPosition p);  // "segment 3 offset 1024"
std::vector<std::uint64_t> list_segments(const std::string& dir);
std::uint32_t crc32_of(std::string_view bytes);  // CRC-32 (IEEE), zlib's: table-driven, 8 bytes a step
// The prefix of every id this node's cores make, kept in the journal directory (id_prefix) for
// as long as the journal lives: a replay after a crash makes the same ids as before it, and a
// new journal gets `fresh`. Throws std::runtime_error when the directory cannot be used.
std::string persisted_id_prefix(const std::string& dir, const std::string& fresh);

}  // namespace sb::store
