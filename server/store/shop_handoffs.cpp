#include "shop_handoffs.hpp"

#include <pqxx/pqxx>

namespace sb::store {

namespace v1 = switchboard::v1;

Result<ClaimedHandoff> claim_handoff(const std::string& database_url, const std::string& shop, const std::string& node) {
  try {
    pqxx::connection conn(database_url);
    pqxx::work tx(conn);
    // One statement: two nodes adopting at once cannot both get it.
    const pqxx::result r = tx.exec_params(
        "UPDATE shop_handoffs SET adopted_by = $2, adopted_at = now() WHERE event_id = ("
        "  SELECT event_id FROM shop_handoffs WHERE shop_id = $1 AND adopted_at IS NULL "
        "  ORDER BY handed_at DESC LIMIT 1 FOR UPDATE SKIP LOCKED) "
        "RETURNING event_id, from_node, to_char(handed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), state",
        shop, node);
    if (r.empty())
      return Error{v1::ERROR_CODE_NOT_FOUND, "no hand-over of shop \"" + shop + "\" waits in PostgreSQL: release it on the node "
                                             "that serves it first, or wait a moment for that node's writer and retry"};
    ClaimedHandoff c;
    c.event_id = r[0][0].as<std::string>();
    c.from_node = r[0][1].as<std::string>();
    c.handed_at = r[0][2].as<std::string>();
    const pqxx::binarystring state(r[0][3]);
    c.state = state.str();
    tx.commit();
    return c;
  } catch (const pqxx::broken_connection& e) {
    return Error{v1::ERROR_CODE_UNAVAILABLE, std::string("PostgreSQL unreachable: ") + e.what()};
  } catch (const pqxx::sql_error& e) {
    return Error{v1::ERROR_CODE_UNAVAILABLE, std::string("claiming the hand-over failed: ") + e.what()};
  }
}

Result<bool> unclaim_handoff(const std::string& database_url, const std::string& event_id) {
  try {
    pqxx::connection conn(database_url);
    pqxx::work tx(conn);
    tx.exec_params0("UPDATE shop_handoffs SET adopted_by = NULL, adopted_at = NULL WHERE event_id = $1", event_id);
    tx.commit();
    return true;
  } catch (const pqxx::failure& e) {
    return Error{v1::ERROR_CODE_UNAVAILABLE, std::string("giving the hand-over back failed: ") + e.what()};
  }
}

}  // namespace sb::store
