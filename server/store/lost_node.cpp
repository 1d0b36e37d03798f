#include "lost_node.hpp"

#include <pqxx/pqxx>

#include <algorithm>

#include "core/time.hpp"

namespace sb::store {

namespace v1 = switchboard::v1;

namespace {

template <class F>
auto guarded_call(const char* what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const pqxx::broken_connection& e) {
    return Error{v1::ERROR_CODE_UNAVAILABLE, std::string("PostgreSQL unreachable: ") + e.what()};
  } catch (const pqxx::sql_error& e) {
    return Error{v1::ERROR_CODE_UNAVAILABLE, std::string(what) + " failed: " + e.what()};
  }
}

std::string bytes_of(const pqxx::field& f) { return pqxx::binarystring(f).str(); }

Result<bool> read_snapshots(pqxx::work& tx, const std::string& node, LostNodeCopy& out) {
  const auto rows = tx.exec_params("SELECT shard, segment, \"offset\", state FROM node_snapshots WHERE node_id = $1 ORDER BY shard", node);
  for (const auto& row : rows) {
    LostNodeCopy::Snapshot s;
    s.shard = row[0].as<std::uint32_t>();
    s.after = JournalPosition{row[1].as<std::uint64_t>(), row[2].as<std::uint64_t>()};
    if (!s.state.ParseFromString(bytes_of(row[3])))
      return Error{v1::ERROR_CODE_INVALID_STATE, "node " + node + "'s snapshot of shard " + std::to_string(s.shard) +
                                                     " in node_snapshots is not a ShardSnapshot: it cannot be rebuilt from"};
    out.snapshots.push_back(std::move(s));
  }
  return true;
}

// Rows may overlap (a write retried after a partial one): each call is kept once, by position.
Result<bool> read_calls(pqxx::work& tx, const std::string& node, LostNodeCopy& out) {
  const auto rows = tx.exec_params(
      "SELECT records FROM node_journal_copies WHERE node_id = $1 ORDER BY segment, \"offset\"", node);
  std::optional<JournalPosition> last;
  for (const auto& row : rows) {
    v1::JournalCopy copy;
    if (!copy.ParseFromString(bytes_of(row[0])))
      return Error{v1::ERROR_CODE_INVALID_STATE, "a row of node " + node + "'s node_journal_copies is not a JournalCopy"};
    for (auto& r : *copy.mutable_records()) {
      const JournalPosition at{r.segment(), r.offset()};
      if (last && at <= *last) continue;
      last = at;
      out.calls.push_back({at, std::move(*r.mutable_entry())});
    }
  }
  return true;
}

}  // namespace

Result<LostNodeCopy> read_lost_node(const std::string& database_url, const std::string& node) {
  return guarded_call("reading the lost node's copy", [&]() -> Result<LostNodeCopy> {
    pqxx::connection conn(database_url);
    pqxx::work tx(conn);
    LostNodeCopy out;
    if (auto r = read_snapshots(tx, node, out); !r) return r.error();
    if (auto r = read_calls(tx, node, out); !r) return r.error();
    tx.commit();
    if (out.snapshots.empty() && out.calls.empty())
      return Error{v1::ERROR_CODE_NOT_FOUND, "PostgreSQL holds no copy of node " + node + "'s journal (node_journal_copies): "
                                             "only a node that ran with store.copy_journal (on in a [cluster]) can be rebuilt from"};
    return out;
  });
}

Result<std::string> record_rebuild(const std::string& database_url, const std::string& shop, const std::string& lost,
                                   const std::string& me, std::int64_t at_ms, const std::string& state) {
  return guarded_call("recording the rebuild", [&]() -> Result<std::string> {
    pqxx::connection conn(database_url);
    pqxx::work tx(conn);
    const std::string id = "rebuilt:" + shop + ":" + lost + ":" + std::to_string(at_ms);
    const pqxx::binarystring bytes(state.data(), state.size());
    const auto r = tx.exec_params(
        "INSERT INTO shop_handoffs (event_id, shop_id, from_node, to_node, handed_at, state, adopted_by, adopted_at, rebuilt) "
        "VALUES ($1, $2, $3, $4, $5::timestamptz, $6, $4, now(), true) ON CONFLICT DO NOTHING RETURNING event_id",
        id, shop, lost, me, core::format_rfc3339_utc(at_ms), bytes);
    if (r.empty()) {
      const auto who = tx.exec_params("SELECT coalesce(adopted_by, '') FROM shop_handoffs WHERE event_id = $1", id);
      return Error{v1::ERROR_CODE_INVALID_STATE, "shop \"" + shop + "\" was already rebuilt from node " + lost + " by node " +
                                                     (who.empty() ? std::string("?") : who[0][0].as<std::string>())};
    }
    tx.commit();
    return id;
  });
}

Result<bool> drop_rebuild(const std::string& database_url, const std::string& record_id) {
  return guarded_call("giving the rebuild back", [&]() -> Result<bool> {
    pqxx::connection conn(database_url);
    pqxx::work tx(conn);
    tx.exec_params0("DELETE FROM shop_handoffs WHERE event_id = $1 AND rebuilt", record_id);
    tx.commit();
    return true;
  });
}

Result<std::vector<std::pair<std::string, std::string>>> shops_rebuilt_from(const std::string& database_url,
                                                                             const std::string& node) {
  using Out = std::vector<std::pair<std::string, std::string>>;
  return guarded_call("reading rebuilt shops", [&]() -> Result<Out> {
    pqxx::connection conn(database_url);
    pqxx::work tx(conn);
    Out out;
    // Only where the shop's newest adoption is that rebuild: a planned move may have brought it back since.
    for (const auto& row : tx.exec_params(
             "SELECT shop_id, coalesce(adopted_by, '') FROM ("
             "  SELECT DISTINCT ON (shop_id) shop_id, from_node, adopted_by, rebuilt FROM shop_handoffs "
             "  WHERE adopted_at IS NOT NULL ORDER BY shop_id, adopted_at DESC) newest "
             "WHERE rebuilt AND from_node = $1", node))
      out.emplace_back(row[0].as<std::string>(), row[1].as<std::string>());
    tx.commit();
    return out;
  });
}

}  // namespace sb::store
