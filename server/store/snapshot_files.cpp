#include "snapshot_files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "journal.hpp"

namespace sb::store {

namespace fs = std::filesystem;

namespace {

std::string prefix_of(std::size_t shard) { return "shard-" + std::to_string(shard) + "-"; }

bool fsync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  return ::close(fd) == 0 && ok;
}

}  // namespace

std::string snapshots_dir(const std::string& journal_dir) { return journal_dir + "/snapshots"; }

bool write_snapshot_file(const std::string& journal_dir, std::size_t shard, const std::string& bytes,
                         switchboard::v1::JournalEntry::SnapshotTaken& marker, std::string& error) {
  const std::string dir = snapshots_dir(journal_dir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    error = "cannot make " + dir + ": " + ec.message();
    return false;
  }
  // Named by the wall time in nanoseconds: unique per shard, and sorted as written.
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch());
  const std::string name = prefix_of(shard) + std::to_string(ns.count()) + ".pb";
  const std::string path = dir + "/" + name, tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) {
      error = "cannot write " + tmp + ": " + std::strerror(errno);
      fs::remove(tmp, ec);
      return false;
    }
  }
  if (!fsync_path(tmp, O_RDONLY) || ::rename(tmp.c_str(), path.c_str()) != 0 || !fsync_path(dir, O_RDONLY | O_DIRECTORY)) {
    error = "cannot make " + path + " durable: " + std::strerror(errno);
    fs::remove(tmp, ec);
    return false;
  }
  marker.set_file(name);
  marker.set_crc32(crc32_of(bytes));
  marker.set_bytes(bytes.size());
  return true;
}

bool read_snapshot_file(const std::string& journal_dir, const switchboard::v1::JournalEntry::SnapshotTaken& marker,
                        switchboard::v1::ShardSnapshot& out, std::string& error) {
  const std::string path = snapshots_dir(journal_dir) + "/" + marker.file();
  const std::string what_to_do =
      ": the shards' live state cannot be rebuilt from it. Restore the file from a backup, or move the journal folder "
      "aside to start without live state (open chats and queues are lost)";
  std::ifstream in(path, std::ios::binary);
  if (marker.file().empty() || marker.file().find('/') != std::string::npos || !in) {
    error = "snapshot " + path + " named by the journal cannot be opened" + what_to_do;
    return false;
  }
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.size() != marker.bytes() || crc32_of(bytes) != marker.crc32()) {
    error = "snapshot " + path + " is damaged (" + std::to_string(bytes.size()) + " bytes, the journal says " +
            std::to_string(marker.bytes()) + ", or its CRC-32 differs)" + what_to_do;
    return false;
  }
  if (!out.ParseFromString(bytes)) {
    error = "snapshot " + path + " is not a ShardSnapshot" + what_to_do;
    return false;
  }
  return true;
}

void remove_snapshot_files_except(const std::string& journal_dir, std::size_t shard, const std::string& keep) {
  std::error_code ec;
  const std::string prefix = prefix_of(shard);
  for (const auto& f : fs::directory_iterator(snapshots_dir(journal_dir), ec)) {
    const std::string name = f.path().filename().string();
    if (name.rfind(prefix, 0) == 0 && name != keep) fs::remove(f.path(), ec);
  }
}

}  // namespace sb::store
