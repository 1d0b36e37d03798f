#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "store/journal.hpp"

using namespace sb::store;
namespace v1 = switchboard::v1;

namespace {

std::string temp_dir() {
  char tmpl[] = "/tmp/sb-journal-unit-XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  return tmpl;
}

std::vector<v1::HistoryEvent> events(int from, int count) {
  std::vector<v1::HistoryEvent> out;
  for (int i = from; i < from + count; ++i) {
    auto& e = out.emplace_back();
    e.set_event_id("e" + std::to_string(i));
    e.mutable_chat_message()->set_text(std::string(100, 'x') + "\t\n\\ 你好");
  }
  return out;
}

}  // namespace

TEST_CASE("journal: records carry the standard CRC-32, so journals written before stay readable", "[journal]") {
  CHECK(crc32_of("123456789") == 0xCBF43926u);  // the check value of CRC-32 (IEEE 802.3)
  CHECK(crc32_of("") == 0u);
}

TEST_CASE("journal: records survive reopening and are read back across segment rolls", "[journal]") {
  const std::string dir = temp_dir();
  std::string error;
  JournalPosition end;
  {
    JournalWriter w(dir, 4096);  // small segments: many rolls
    REQUIRE(w.append(events(0, 100), error));
    REQUIRE(w.sync(error));
    REQUIRE(w.append(events(100, 50), error));
    REQUIRE(w.sync(error));
    end = w.end();
  }
  CHECK(list_segments(dir).size() > 3);
  JournalWriter reopened(dir, 4096);
  CHECK(reopened.end() == end);
  CHECK(reopened.truncated_bytes() == 0);

  JournalReader r(dir);
  std::vector<v1::HistoryEvent> got;
  JournalPosition pos{list_segments(dir).front(), 0}, next;
  while (pos < end) {
    REQUIRE(r.read(pos, end, 7, got, next, error));
    REQUIRE(pos < next);
    pos = next;
  }
  REQUIRE(got.size() == 150);
  for (int i = 0; i < 150; ++i) CHECK(got[static_cast<std::size_t>(i)].event_id() == "e" + std::to_string(i));
  CHECK(got[0].chat_message().text() == std::string(100, 'x') + "\t\n\\ 你好");

  r.remove_before(JournalPosition{end.segment, 0});
  CHECK(list_segments(dir).size() == 1);
  std::filesystem::remove_all(dir);
}

TEST_CASE("journal: a torn tail from a crash mid-write is cut off on open", "[journal]") {
  const std::string dir = temp_dir();
  std::string error;
  JournalPosition end;
  {
    JournalWriter w(dir, 1 << 20);
    REQUIRE(w.append(events(0, 10), error));
    REQUIRE(w.sync(error));
    end = w.end();
  }
  // Half a record: a length header promising more bytes than follow.
  {
    std::ofstream f(segment_path(dir, end.segment), std::ios::app | std::ios::binary);
    const char torn[] = {100, 0, 0, 0, 1, 2, 3, 4, 'p', 'a'};
    f.write(torn, sizeof torn);
  }
  JournalWriter w(dir, 1 << 20);
  CHECK(w.truncated_bytes() == 10);
  CHECK(w.end() == end);
  REQUIRE(w.append(events(10, 1), error));
  REQUIRE(w.sync(error));
  JournalReader r(dir);
  std::vector<v1::HistoryEvent> got;
  JournalPosition next;
  REQUIRE(r.read(JournalPosition{end.segment, 0}, w.end(), 100, got, next, error));
  CHECK(got.size() == 11);
  CHECK(got.back().event_id() == "e10");
  std::filesystem::remove_all(dir);
}

TEST_CASE("journal: corruption inside the durable range is reported, not skipped", "[journal]") {
  const std::string dir = temp_dir();
  std::string error;
  JournalPosition end;
  {
    JournalWriter w(dir, 1 << 20);
    REQUIRE(w.append(events(0, 3), error));
    REQUIRE(w.sync(error));
    end = w.end();
  }
  {
    std::fstream f(segment_path(dir, end.segment), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(20);
    f.put('Z');
  }
  JournalReader r(dir);
  std::vector<v1::HistoryEvent> got;
  JournalPosition next;
  CHECK_FALSE(r.read(JournalPosition{end.segment, 0}, end, 100, got, next, error));
  CHECK(error.find("corrupt") != std::string::npos);
  std::filesystem::remove_all(dir);
}
