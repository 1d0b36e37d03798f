// Snapshot files: each shard's newest ShardSnapshot in <journal_dir>/snapshots, written whole
// and durably (a temporary file fsynced and renamed) before the journal marks it, so a marker in
// the journal always names a complete file; read back and checked (size, CRC-32) on start; the shard checks the layout.
#pragma once

#include <cstddef>
#include <string>

#include "switchboard/v1/history.pb.h"
#include "switchboard/v1/snapshot.pb.h"

namespace sb::store {

std::string snapshots_dir(const std::string& journal_dir);
// Writes `bytes` as a new file of `shard`; fills `marker` (file name, CRC-32, size). False with
// `error` when it cannot (the journal then goes on without this snapshot).
bool write_snapshot_file(const std::string& journal_dir, std::size_t shard, const std::string& bytes,
                         switchboard::v1::JournalEntry::SnapshotTaken& marker, std::string& error);
// Reads the file a marker names; false with `error` saying what is wrong and what to do.
bool read_snapshot_file(const std::string& journal_dir, const switchboard::v1::JournalEntry::SnapshotTaken& marker,
                        switchboard::v1::ShardSnapshot& out, std::string& error);
// Removes the shard's other snapshot files once the marker of `keep` is durable.
void remove_snapshot_files_except(const std::string& journal_dir, std::size_t shard, const std::string& keep);

}  // namespace sb::store
