#include "journal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <stdexcept>

namespace sb::store {

namespace fs = std::filesystem;
namespace v1 = switchboard::v1;

namespace {

void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint32_t get_u32(const char* p) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

// Length of the valid prefix of a segment's bytes.
std::uint64_t valid_prefix(const std::string& data) {
  std::uint64_t pos = 0;
  while (pos + 8 <= data.size()) {
    const std::uint32_t len = get_u32(data.data() + pos), crc = get_u32(data.data() + pos + 4);
    if (len > journal_record_bytes_max || pos + 8 + len > data.size()) break;
    if (crc32_of(std::string_view(data).substr(pos + 8, len)) != crc) break;
    pos += 8 + len;
  }
  return pos;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

std::uint32_t crc32_of(std::string_view bytes) {
  // The same CRC-32 as Boost's crc_32_type (journals written before stay readable), a few times faster.
  uLong crc = crc32_z(0L, Z_NULL, 0);
  crc = crc32_z(crc, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size());
  return static_cast<std::uint32_t>(crc);
}

std::string segment_path(const std::string& dir, std::uint64_t segment) {
  char name[32];
  std::snprintf(name, sizeof name, "%016llu.journal", static_cast<unsigned long long>(segment));
  return dir + "/" + name;
}

std::vector<std::uint64_t> list_segments(const std::string& dir) {
  std::vector<std::uint64_t> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (e.path().extension() == ".journal") out.push_back(std::stoull(name.substr(0, name.find('.'))));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string format_position(JournalPosition p) {
  return "segment " + std::to_string(p.segment) + " offset " + std::to_string(p.offset);
}

namespace {

void fsync_dir(const std::string& dir) {
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

// Writes `name` in `dir` holding one line, atomically (a temporary file renamed) and durably.
void write_line_durably(const std::string& dir, const std::string& name, const std::string& value) {
  const std::string path = dir + "/" + name, tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const std::string line = value + "\n";
  if (fd < 0 || ::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size()) || ::fsync(fd) != 0 ||
      ::close(fd) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0)
    throw std::runtime_error(errno_text("journal directory " + dir + ": cannot write " + name));
  fsync_dir(dir);
}

// The journal's name: read from journal.id, or made (16 random bytes, hex) for a new journal.
std::string journal_id(const std::string& dir) {
  const std::string path = dir + "/journal.id";
  if (std::ifstream in(path); in) {
    std::string id;
    std::getline(in, id);
    if (!id.empty()) return id;
  }
  std::ifstream random("/dev/urandom", std::ios::binary);
  unsigned char bytes[16] = {};
  random.read(reinterpret_cast<char*>(bytes), sizeof bytes);
  if (!random) throw std::runtime_error("journal directory " + dir + ": cannot read /dev/urandom for a journal id");
  std::string id;
  for (unsigned char b : bytes) {
    id.push_back("0123456789abcdef"[b >> 4]);
    id.push_back("0123456789abcdef"[b & 15]);
  }
  write_line_durably(dir, "journal.id", id);
  return id;
}

// The records' format (journal.format): a build refuses a journal it cannot read rather than
// misread it. 1: the generic HistoryEvent of before typed history (no file); 2: typed events.
void check_format(const std::string& dir, bool has_segments) {
  const std::string path = dir + "/journal.format";
  std::ifstream in(path);
  std::string line;
  if (in) std::getline(in, line);
  if (line == journal_format) return;
  if (!in && !has_segments) {
    std::ofstream(path) << journal_format << "\n";
    fsync_dir(dir);
    return;
  }
  const std::string found = in ? "\"" + line + "\"" : "format 1 (no journal.format: written before typed history)";
  throw std::runtime_error("journal directory " + dir + " holds " + found + "; this build reads \"" + journal_format +
                           "\". Let the build that wrote it drain it into PostgreSQL (start it, wait for "
                           "switchboard_journal_backlog_events 0, stop it), then move the folder aside and start this build "
                           "(run `switchboard store reset-cursor` if it then refuses the new journal)");
}

}  // namespace

JournalWriter::JournalWriter(std::string dir, std::uint64_t segment_bytes_max, std::uint64_t free_bytes_min)
    : dir_(std::move(dir)), segment_bytes_max_(segment_bytes_max) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) throw std::runtime_error("journal directory " + dir_ + ": " + ec.message());
  const auto space = fs::space(dir_, ec);
  if (!ec && space.available < free_bytes_min)
    throw std::runtime_error("journal directory " + dir_ + " has " + std::to_string(space.available >> 20) +
                             " MiB free, under store.journal_free_bytes_min (" + std::to_string(free_bytes_min >> 20) +
                             " MiB): free space there before starting");
  const auto segments = list_segments(dir_);
  check_format(dir_, !segments.empty());
  id_ = journal_id(dir_);
  std::uint64_t segment = segments.empty() ? 1 : segments.back();
  std::uint64_t offset = 0;
  if (!segments.empty()) {
    const std::string path = segment_path(dir_, segment);
    const std::string data = read_file(path);
    offset = valid_prefix(data);
    if (offset < data.size()) {
      // A torn tail from a crash mid-write: never acknowledged, so cut it off.
      truncated_bytes_ = data.size() - offset;
      if (::truncate(path.c_str(), static_cast<off_t>(offset)) != 0) throw std::runtime_error(errno_text("truncate " + path));
    }
  }
  std::string error;
  if (!open_segment(segment, error)) throw std::runtime_error(error);
  end_ = JournalPosition{segment, offset};
}

JournalWriter::~JournalWriter() {
  if (fd_ >= 0) ::close(fd_);
}

bool JournalWriter::open_segment(std::uint64_t segment, std::string& error) {
  if (fd_ >= 0) ::close(fd_);
  const std::string path = segment_path(dir_, segment);
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    error = errno_text("open " + path);
    return false;
  }
  fsync_dir(dir_);  // make the new file's directory entry durable too
  return true;
}

bool JournalWriter::append(const std::vector<v1::HistoryEvent>& events, std::string& error) {
  std::vector<v1::JournalEntry> entries(events.size());
  for (std::size_t i = 0; i < events.size(); ++i) *entries[i].add_events() = events[i];
  return append(entries, error);
}

bool JournalWriter::append(const std::vector<v1::JournalEntry>& entries, std::string& error) {
  buffer_.clear();
  std::string payload;
  for (const auto& e : entries) {
    payload.clear();
    e.SerializeToString(&payload);
    if (payload.size() > journal_record_bytes_max) {
      error = "a call at " + std::to_string(e.now_ms()) + " ms with " + std::to_string(e.events_size()) +
              " history events is larger than a journal record may be";
      return false;
    }
    if (end_.offset + buffer_.size() > 0 && end_.offset + buffer_.size() + 8 + payload.size() > segment_bytes_max_ &&
        !roll(error))
      return false;
    put_u32(buffer_, static_cast<std::uint32_t>(payload.size()));
    put_u32(buffer_, crc32_of(payload));
    buffer_ += payload;
  }
  if (!write_all(error)) return false;
  end_.offset += buffer_.size();
  return true;
}

// Writes what is buffered, then continues in a new segment file.
bool JournalWriter::roll(std::string& error) {
  if (!write_all(error)) return false;
  end_.offset += buffer_.size();
  buffer_.clear();
  if (::fdatasync(fd_) != 0) {
    error = errno_text("fdatasync journal");
    return false;
  }
  if (!open_segment(end_.segment + 1, error)) return false;
  end_ = JournalPosition{end_.segment + 1, 0};
  return true;
}

bool JournalWriter::write_all(std::string& error) {
  std::size_t written = 0;
  while (written < buffer_.size()) {
    const ssize_t n = ::write(fd_, buffer_.data() + written, buffer_.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      error = errno_text("write journal");
      return false;
    }
    written += static_cast<std::size_t>(n);
  }
  return true;
}

bool JournalWriter::sync(std::string& error) {
  if (::fdatasync(fd_) != 0) {
    error = errno_text("fdatasync journal");
    return false;
  }
  return true;
}

bool JournalReader::scan(JournalPosition from, JournalPosition limit, JournalPosition& next, std::string& error,
                         const std::function<bool(const std::string&, JournalPosition, JournalPosition)>& take) {
  next = from;
  bool more = true;
  while (next < limit && more) {
    const std::string path = segment_path(dir_, next.segment);
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      error = "journal segment " + path + " is missing";
      return false;
    }
    in.seekg(static_cast<std::streamoff>(next.offset));
    const std::uint64_t seg_limit = next.segment == limit.segment ? limit.offset : UINT64_MAX;
    char header[8];
    std::string payload;
    while (next.offset < seg_limit && more && in.read(header, 8)) {
      const std::uint32_t len = get_u32(header), crc = get_u32(header + 4);
      payload.resize(len);
      if (len > journal_record_bytes_max || !in.read(payload.data(), len) || crc32_of(payload) != crc) {
        error = path + ": corrupt record at offset " + std::to_string(next.offset);
        return false;
      }
      const JournalPosition start = next;
      next.offset += 8 + len;
      more = take(payload, start, next);
    }
    if (!error.empty()) return false;
    if (!more || next.segment >= limit.segment) break;
    next = JournalPosition{next.segment + 1, 0};  // this segment is read to its end
  }
  return error.empty();
}

bool JournalReader::read(JournalPosition from, JournalPosition limit, std::size_t max_events,
                         std::vector<v1::HistoryEvent>& out, JournalPosition& next, std::string& error,
                         std::vector<JournalPosition>* ends) {
  const std::size_t first = out.size();  // count only what this call adds
  v1::JournalEntry entry;
  return scan(from, limit, next, error, [&](const std::string& payload, JournalPosition start, JournalPosition end) {
    if (!entry.ParseFromString(payload)) {
      error = segment_path(dir_, start.segment) + ": corrupt record at offset " + std::to_string(start.offset);
      return false;
    }
    const int n = entry.events_size();
    for (int i = 0; i < n; ++i) {
      out.push_back(std::move(*entry.mutable_events(i)));
      if (ends != nullptr) ends->push_back(i + 1 == n ? end : start);
    }
    return out.size() - first < max_events;
  });
}

bool JournalReader::read_entries(JournalPosition from, JournalPosition limit, std::size_t max_entries,
                                 std::vector<v1::JournalEntry>& out, JournalPosition& next, std::string& error) {
  const std::size_t first = out.size();
  return scan(from, limit, next, error, [&](const std::string& payload, JournalPosition start, JournalPosition) {
    if (!out.emplace_back().ParseFromString(payload)) {
      error = segment_path(dir_, start.segment) + ": corrupt record at offset " + std::to_string(start.offset);
      return false;
    }
    return out.size() - first < max_entries;
  });
}

void JournalReader::remove_before(JournalPosition pos) {
  for (std::uint64_t s : list_segments(dir_)) {
    if (s >= pos.segment) break;
    std::error_code ec;
    fs::remove(segment_path(dir_, s), ec);
  }
}

std::string persisted_id_prefix(const std::string& dir, const std::string& fresh) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error("journal directory " + dir + ": " + ec.message());
  const std::string path = dir + "/id_prefix";
  if (std::ifstream in(path); in) {
    std::string prefix;
    std::getline(in, prefix);
    if (!prefix.empty()) return prefix;
  }
  write_line_durably(dir, "id_prefix", fresh);
  return fresh;
}

}  // namespace sb::store
