#include "pg_writer.hpp"

#include <pqxx/pqxx>

#include <tuple>

#include "core/time.hpp"
#include "history_names.hpp"
#include "history_rows.hpp"

namespace sb::store {

namespace v1 = switchboard::v1;

namespace {

std::string utc_date(core::TimeMs t) { return core::format_date(core::to_local(t, 0).day); }

}  // namespace

PgWriter::PgWriter(std::string url, std::string node_id, std::string journal_id, bool transcripts)
    : url_(std::move(url)), node_id_(std::move(node_id)), journal_id_(std::move(journal_id)), transcripts_(transcripts) {}

PgWriter::~PgWriter() = default;

bool PgWriter::connect(std::string& error) {
  try {
    conn_ = std::make_unique<pqxx::connection>(url_);
    // The journal is the durability point: a commit PostgreSQL loses in a crash takes its
    // cursor with it, and the batch is written again from the journal.
    pqxx::nontransaction(*conn_).exec0("SET synchronous_commit = off");
    days_ready_.clear();
    staging_ready_ = false;
    return true;
  } catch (const std::exception& e) {
    conn_.reset();
    error = e.what();
    return false;
  }
}

void PgWriter::disconnect() { conn_.reset(); }

long PgWriter::drop_partitions_older_than(int days, std::string& error) {
  try {
    pqxx::work tx(*conn_);
    const long n = tx.exec_params1("SELECT switchboard_drop_partitions_before(current_date - $1::int)", days)[0].as<long>();
    tx.commit();
    return n;
  } catch (const std::exception& e) {
    error = e.what();
    conn_.reset();
    return -1;
  }
}

std::optional<Cursor> PgWriter::cursor(std::string& error) {
  try {
    pqxx::work tx(*conn_);
    const auto r = tx.exec_params("SELECT segment, \"offset\", coalesce(journal_id, '') FROM journal_cursor WHERE node_id = $1",
                                  node_id_);
    tx.commit();
    if (r.empty()) return std::nullopt;
    return Cursor{JournalPosition{r[0][0].as<std::uint64_t>(), r[0][1].as<std::uint64_t>()}, r[0][2].as<std::string>()};
  } catch (const std::exception& e) {
    error = e.what();
    conn_.reset();
    return std::nullopt;
  }
}

long PgWriter::quarantined(std::string& error) {
  try {
    pqxx::work tx(*conn_);
    const long n = tx.exec_params1("SELECT count(*) FROM quarantined_events WHERE node_id = $1", node_id_)[0].as<long>();
    tx.commit();
    return n;
  } catch (const std::exception& e) {
    error = e.what();
    conn_.reset();
    return -1;
  }
}

bool PgWriter::reset_cursor(std::string& error) {
  try {
    pqxx::work tx(*conn_);
    const auto r = tx.exec_params("DELETE FROM journal_cursor WHERE node_id = $1", node_id_);
    // The copy of the old journal (copy_journal) has its positions: a new journal starts again at
    // segment 1, so a rebuild must never mix the two.
    tx.exec_params0("DELETE FROM node_journal_copies WHERE node_id = $1", node_id_);
    tx.exec_params0("DELETE FROM node_snapshots WHERE node_id = $1", node_id_);
    tx.commit();
    return r.affected_rows() > 0;
  } catch (const std::exception& e) {
    error = e.what();
    conn_.reset();
    return false;
  }
}

namespace {

// SQLSTATE classes that blame the rows themselves (or the schema they meet): data exceptions
// (a NUL byte, a number out of range), integrity violations, undefined or mistyped columns and
// functions (schema drift), program limits, errors raised by the batch function. Anything else
// (a connection, a read-only or recovering server, a deadlock, a full disk) is "not now":
// retried with backoff, never quarantined.
bool transient(const std::string& sqlstate) {
  const std::string cls = sqlstate.substr(0, 2);
  return !(cls == "22" || cls == "23" || cls == "42" || cls == "44" || cls == "54" || cls == "P0");
}

template <class Write>
WriteResult guarded(std::unique_ptr<pqxx::connection>& conn, std::set<std::string>& days_ready, Write&& write) {
  WriteResult r;
  try {
    r.fresh = write();
    return r;
  } catch (const pqxx::broken_connection& e) {
    r.status = WriteStatus::unreachable;
    r.error = e.what();
  } catch (const pqxx::sql_error& e) {
    r.status = transient(e.sqlstate()) ? WriteStatus::unreachable : WriteStatus::refused;
    r.error = e.what();
    if (r.status == WriteStatus::refused) return r;  // the transaction is gone; the connection is fine
  } catch (const std::exception& e) {
    r.status = WriteStatus::unreachable;
    r.error = e.what();
  }
  conn.reset();  // start from a fresh connection next time
  days_ready.clear();
  return r;
}

void move_cursor(pqxx::work& tx, const std::string& node, const std::string& journal, JournalPosition end) {
  tx.exec_params0(
      "INSERT INTO journal_cursor (node_id, segment, \"offset\", journal_id) VALUES ($1, $2, $3, $4) "
      "ON CONFLICT (node_id) DO UPDATE SET segment = excluded.segment, \"offset\" = excluded.\"offset\", "
      "journal_id = excluded.journal_id, updated_at = now()",
      node, static_cast<long long>(end.segment), static_cast<long long>(end.offset), journal);
}

}  // namespace

// A shop's hand-over goes in with the batch that holds it, so the adopting node finds it only
// once every earlier event of the shop is in the tables too (docs/operations.md, "Moving a shop").
void PgWriter::write_handoffs(pqxx::work& tx, std::span<const v1::HistoryEvent> events) {
  for (const auto& e : events) {
    if (!e.has_shop_handed_over()) continue;
    const auto& h = e.shop_handed_over();
    const pqxx::binarystring state(h.state().data(), h.state().size());
    tx.exec_params0(
        "INSERT INTO shop_handoffs (event_id, shop_id, from_node, to_node, handed_at, state) "
        "VALUES ($1, $2, $3, $4, $5::timestamptz, $6) ON CONFLICT DO NOTHING",
        e.event_id(), e.shop_id(), h.from_node(), h.to_node(), core::format_rfc3339_utc(e.at_ms()), state);
  }
}

// A lost node's shops are rebuilt from these (docs/operations.md, "A node lost for good"). Rows
// wholly before the oldest of the shards' snapshots are no longer needed once every shard has one.
void PgWriter::write_copy(pqxx::work& tx) {
  if (!copy_) return;
  const JournalCopyRow& c = *copy_;
  if (!c.records.empty()) {
    const pqxx::binarystring records(c.records.data(), c.records.size());
    tx.exec_params0(
        "INSERT INTO node_journal_copies (node_id, segment, \"offset\", end_segment, end_offset, records) "
        "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        node_id_, static_cast<long long>(c.from.segment), static_cast<long long>(c.from.offset),
        static_cast<long long>(c.to.segment), static_cast<long long>(c.to.offset), records);
  }
  for (const auto& snap : c.snapshots) {
    const pqxx::binarystring state(snap.state.data(), snap.state.size());
    tx.exec_params0(
        "INSERT INTO node_snapshots (node_id, shard, segment, \"offset\", state) VALUES ($1, $2, $3, $4, $5) "
        "ON CONFLICT (node_id, shard) DO UPDATE SET segment = excluded.segment, \"offset\" = excluded.\"offset\", "
        "state = excluded.state, written_at = now()",
        node_id_, static_cast<int>(snap.shard), static_cast<long long>(snap.after.segment),
        static_cast<long long>(snap.after.offset), state);
  }
  if (c.snapshots.empty() || shards_ == 0) return;
  tx.exec_params0(
      "WITH oldest AS (SELECT segment, \"offset\" FROM node_snapshots WHERE node_id = $1 ORDER BY segment, \"offset\" LIMIT 1), "
      "     marked AS (SELECT count(*) AS n FROM node_snapshots WHERE node_id = $1) "
      "DELETE FROM node_journal_copies c USING oldest, marked "
      "WHERE c.node_id = $1 AND marked.n >= $2 AND (c.end_segment, c.end_offset) <= (oldest.segment, oldest.\"offset\")",
      node_id_, static_cast<long long>(shards_));
}

WriteResult PgWriter::write(std::span<const v1::HistoryEvent> events, JournalPosition end) {
  std::set<std::string> days;
  auto result = guarded(conn_, days_ready_, [&]() -> long {
    pqxx::work tx(*conn_);
    for (const auto& e : events) days.insert(utc_date(e.at_ms()));
    for (const auto& d : days) {
      if (days_ready_.count(d) != 0) continue;
      tx.exec_params("SELECT switchboard_ensure_day($1::date)", d);
    }
    // One staging table for the connection's life, emptied at each commit: creating one per
    // batch cost PostgreSQL a file and catalog rows each time and made switchboard_apply_batch
    // plan its statements again for every batch.
    if (!staging_ready_) tx.exec0("CREATE TEMP TABLE IF NOT EXISTS batch_events (LIKE history_batch_v2) ON COMMIT DELETE ROWS");
    {
      pqxx::stream_to copy(tx, "batch_events", history_columns);
      for (const auto& e : events) {
        if (!transcripts_ && e.has_chat_message()) continue;
        if (e.has_shop_handed_over()) continue;  // bytes, not a row of the figures: below
        const HistoryRow r = flatten(e);
        copy << std::make_tuple(e.event_id(), core::format_rfc3339_utc(e.at_ms()), e.shop_id(), kind_name(e), r.day, r.hour, r.skill,
                                r.request_id, r.session_id, r.agent_id, r.member_id, r.body, r.leg, r.at2, r.flag, r.amount,
                                r.category, r.ref_id, r.tier, r.reason, r.score, r.ms, r.detail, r.actor_id);
      }
      copy.complete();
    }
    const long fresh = tx.exec1("SELECT switchboard_apply_batch()")[0].as<long>();
    write_handoffs(tx, events);
    write_copy(tx);
    move_cursor(tx, node_id_, journal_id_, end);
    tx.commit();
    staging_ready_ = true;
    copy_.reset();
    return fresh;
  });
  if (result.status == WriteStatus::ok) days_ready_.insert(days.begin(), days.end());
  return result;
}

WriteResult PgWriter::quarantine(const v1::HistoryEvent& event, const std::string& why, JournalPosition end) {
  return guarded(conn_, days_ready_, [&]() -> long {
    pqxx::work tx(*conn_);
    const std::string payload = event.SerializeAsString();
    // The event's own text may be what PostgreSQL refused: only bytes and server-made names go in.
    const pqxx::binarystring bytes(payload.data(), payload.size());
    tx.exec_params0(
        "INSERT INTO quarantined_events (event_id, node_id, shop_id, kind, at, payload, error) "
        "VALUES ($1, $2, $3, $4, to_timestamp($5 / 1000.0), $6, $7) ON CONFLICT DO NOTHING",
        event.event_id(), node_id_, event.shop_id(), kind_name(event), static_cast<double>(event.at_ms()), bytes,
        why);
    move_cursor(tx, node_id_, journal_id_, end);
    tx.commit();
    return 0;
  });
}

}  // namespace sb::store
