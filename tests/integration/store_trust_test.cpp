// The history path cannot be stalled or fooled: an event PostgreSQL refuses is isolated and
// kept aside while every other one arrives; a journal that does not match the database's cursor
// is refused at start with the command that resolves it; a full journal disk is refused before
// listening; poison frames never reach the journal; supervisor actions are kept.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <thread>

#include "shops.hpp"
#include "store/history_store.hpp"
#include "store/migrations.hpp"
#include "store_helpers.hpp"
#include "support/server_process.hpp"
#include "support/test_postgres.hpp"

using namespace sb::test;
namespace v1 = switchboard::v1;
using BC = v1::ServerMessage::BodyCase;

namespace {

const std::vector<std::string> manual_clock{"--clock", "manual", "--clock-start", "2026-08-18T10:00:00+08:00"};

v1::HistoryEvent message_event(int i, const std::string& text) {
  v1::HistoryEvent e;
  e.set_event_id("t-e" + std::to_string(i));
  e.set_shop_id("s1");
  e.set_at_ms(1'787'000'000'000 + i);
  e.set_day("2026-08-18");
  e.set_hour(10);
  e.set_skill("phones");
  auto* m = e.mutable_chat_message();
  m->set_session_id("t-s1");
  m->set_sender(v1::SENDER_CUSTOMER);
  m->set_sender_id("m1");
  m->set_text(text);
  return e;
}

sb::store::StoreOptions options(const TestPostgres& pg, const std::string& journal) {
  sb::store::StoreOptions o;
  o.database_url = pg.url();
  o.journal_dir = journal;
  o.node_id = "n1";
  o.migrations_dir = std::string(SB_SOURCE_DIR) + "/migrations";
  o.batch_interval = std::chrono::milliseconds(5);
  return o;
}

void wait_for(const std::function<bool()>& done, std::chrono::seconds limit = std::chrono::seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  REQUIRE(done());
}

}  // namespace

TEST_CASE("an event PostgreSQL refuses is quarantined; every good event of the batch arrives", "[history][trust]") {
  TestPostgres pg;
  const std::string journal = temp_dir();
  sb::store::HistoryStore store(options(pg, journal), [](std::size_t, std::uint64_t) {});
  store.start();
  // 6,000 events in one submit (the writer takes 5,000 a batch); one carries a NUL, which
  // PostgreSQL's text type refuses ("invalid byte sequence for encoding UTF8: 0x00").
  std::vector<v1::HistoryEvent> events;
  for (int i = 0; i < 6000; ++i) events.push_back(message_event(i, i == 3217 ? std::string("a\0b", 3) : "good " + std::to_string(i)));
  store.submit(0, 1, std::move(events));
  wait_for([&] { return store.stats().events_written == 6000; });
  CHECK(store.stats().quarantined == 1);
  CHECK(pg.query("SELECT count(*) FROM messages") == "5999");
  CHECK(pg.query("SELECT event_id FROM quarantined_events") == "t-e3217");
  CHECK(pg.query("SELECT error LIKE '%0x00%' FROM quarantined_events") == "t");
  CHECK(pg.query("SELECT length(payload) > 0 FROM quarantined_events") == "t");
  CHECK(store.writer_problem().empty());
  // The writer keeps going: later events arrive too.
  store.submit(0, 2, {message_event(7000, "after")});
  wait_for([&] { return store.stats().events_written == 6001; });
  CHECK(pg.query("SELECT count(*) FROM messages") == "6000");
  store.stop(std::chrono::milliseconds(2000));
  std::filesystem::remove_all(journal);
}

TEST_CASE("a quarantined event shows in /metrics and /readyz; the node stays ready", "[history][trust]") {
  TestPostgres pg;
  const std::string journal = temp_dir();
  {
    sb::store::HistoryStore store(options(pg, journal), [](std::size_t, std::uint64_t) {});
    store.start();
    store.submit(0, 1, {message_event(1, std::string("x\0y", 3)), message_event(2, "fine")});
    wait_for([&] { return store.stats().events_written == 2; });
    store.stop(std::chrono::milliseconds(1000));
  }
  // A server on the same journal and database carries on from the cursor.
  std::string toml = store_toml(pg, journal);
  toml.replace(toml.find("[store]\n"), 8, "[store]\nnode_id = \"n1\"\n");
  ServerProcess server(toml + day_shop_toml, manual_clock);
  JsonClient c(server.port());
  c.send(customer_hello("day", "m1", "h"));
  REQUIRE(c.reply("h").has_welcome());
  wait_drained(server);
  const auto ready = server.get("/readyz");
  CHECK(ready.status == 200);
  CHECK(ready.body == R"({"status":"ready","note":"1 history events of this node refused by PostgreSQL are in quarantined_events"})");
  CHECK(pg.query("SELECT count(*) FROM quarantined_events") == "1");
  CHECK(server.scrape().find("switchboard_history_quarantined_total 0") != std::string::npos);  // counted by the run that met it
  std::filesystem::remove_all(journal);
}

TEST_CASE("a wiped journal is refused at start with the command that resolves it", "[history][trust]") {
  TestPostgres pg;
  const std::string journal = temp_dir();
  std::string shops = store_toml(pg, journal) + day_shop_toml;
  shops.replace(shops.find("[store]\n"), 8, "[store]\ncopy_journal = true\n");  // its copy goes with the cursor
  auto one_request = [](ServerProcess& server, const std::string& member) {
    JsonClient c(server.port());
    c.send(customer_hello("day", member, "h"));
    REQUIRE(c.reply("h").has_welcome());
    c.send(R"({"requestId":"e","enter":{}})");
    c.send(R"({"requestId":"t","sendText":{"text":"hi"}})");
    REQUIRE(c.reply("t").has_ack());
    wait_drained(server);
  };
  {
    ServerProcess server(shops, manual_clock);
    one_request(server, "m1");
  }
  CHECK(pg.query("SELECT (SELECT count(*) FROM node_journal_copies) > 0 AND (SELECT count(*) FROM node_snapshots) > 0") == "t");
  std::filesystem::remove_all(journal);  // the journal disk was replaced
  try {
    ServerProcess server(shops, manual_clock);
    FAIL("the server started on a journal that does not match the database's cursor");
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    CHECK(msg.find("does not match the database's cursor for node node1") != std::string::npos);
    CHECK(msg.find("the cursor was written from another journal") != std::string::npos);
    CHECK(msg.find("switchboard store reset-cursor --config FILE --node node1") != std::string::npos);
  }
  CHECK(pg.query("SELECT count(*) FROM requests") == "1");
  // The operator resolves it; the node starts and its new events arrive.
  const std::string config = temp_dir() + "/config.toml";
  std::ofstream(config) << test_auth_toml() << shops;
  int rc = 0;
  const std::string out = run(binary_path() + " store reset-cursor --config " + config, rc);
  CHECK(rc == 0);
  CHECK(out.find("node node1: cursor removed") != std::string::npos);
  CHECK(pg.query("SELECT (SELECT count(*) FROM node_journal_copies) + (SELECT count(*) FROM node_snapshots)") == "0");
  ServerProcess server(shops, manual_clock);
  one_request(server, "m2");
  CHECK(pg.query("SELECT count(*) FROM requests") == "2");
  std::filesystem::remove_all(journal);
}

TEST_CASE("a journal disk without room is refused before the server listens", "[history][trust]") {
  TestPostgres pg;
  const std::string journal = temp_dir();
  std::string toml = store_toml(pg, journal);
  toml.replace(toml.find("[store]\n"), 8, "[store]\njournal_free_bytes_min = 1125899906842624\n");  // 1 PiB
  try {
    ServerProcess server(toml + day_shop_toml, manual_clock);
    FAIL("the server started without room for its journal");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find("under store.journal_free_bytes_min") != std::string::npos);
  }
  std::filesystem::remove_all(journal);
}

TEST_CASE("poison frames never reach the journal; supervisor actions are kept with who and when", "[history][trust]") {
  TestPostgres pg;
  const std::string journal = temp_dir();
  ServerProcess server(store_toml(pg, journal) + day_shop_toml, manual_clock);
  JsonClient alice(server.port()), boss(server.port()), c(server.port());
  alice.send(R"({"requestId":"h","hello":{"role":"ROLE_AGENT","shopId":"day","token":")" + server.token("day", "alice", "agent") + R"("}})");
  REQUIRE(alice.reply("h").has_welcome());
  alice.send(R"({"requestId":"on","setAgentStatus":{"status":"AGENT_STATUS_ONLINE"}})");
  alice.reply("on");
  boss.send(R"({"requestId":"h","hello":{"role":"ROLE_SUPERVISOR","shopId":"day","token":")" +
            server.token("day", "boss", "supervisor") + R"("}})");
  REQUIRE(boss.reply("h").has_welcome());
  c.send(customer_hello("day", "m1", "h"));
  REQUIRE(c.reply("h").has_welcome());
  c.send(R"({"requestId":"e","enter":{}})");
  c.reply("e");
  for (const char* poison : {R"({"requestId":"p1","sendText":{"text":"a\u0000b"}})", R"({"requestId":"p2","enter":{"tier":40000}})",
                             R"({"requestId":"p3","sendText":{"text":"\u0001"}})"}) {
    c.send(poison);
    CHECK(c.expect(BC::kError).error().code() == v1::ERROR_CODE_INVALID_ARGUMENT);
  }
  wait_drained(server);
  CHECK(pg.query("SELECT count(*) FROM requests") == "0");  // the refused first messages began nothing
  c.send(R"({"requestId":"t","sendText":{"text":"a real question"}})");
  const std::string sid = c.expect(BC::kAssigned).assigned().session_id();
  auto act = [&](const std::string& rid, const std::string& body) {
    boss.send(R"({"requestId":")" + rid + R"(",)" + body + "}");
    CHECK(boss.reply(rid).has_ack());
  };
  act("w", R"("watchSession":{"sessionId":")" + sid + R"("})");
  act("win", R"("setWindow":{"agentId":"alice","window":2})");
  act("x", R"("transfer":{"sessionId":")" + sid + R"(","toSkill":"aircon"})");
  act("c", R"("closeSession":{"sessionId":")" + sid + R"("})");
  act("s", R"("setAgentStatus":{"agentId":"alice","status":"AGENT_STATUS_PAUSED"})");
  wait_drained(server);
  CHECK(pg.query("SELECT count(*) FROM quarantined_events") == "0");
  CHECK(pg.query("SELECT count(*) FROM messages WHERE body = 'a real question'") == "1");
  CHECK(pg.query("SELECT string_agg(action || ':' || coalesce(agent_id, '') || ':' || coalesce(detail, ''), ',' ORDER BY at, length(event_id), event_id) "
                 "FROM supervisor_actions WHERE supervisor_id = 'boss'") ==
        "watch_session:alice:,set_window:alice:1 -> 2,transfer:alice:to skill aircon,close_session::,"
        "set_agent_status:alice:AGENT_STATUS_PAUSED");
  CHECK(pg.query("SELECT count(DISTINCT session_id) FROM supervisor_actions WHERE session_id IS NOT NULL") == "1");
  std::filesystem::remove_all(journal);
}

TEST_CASE("the writer's backoff grows across failed batches, not only failed connects", "[history][trust]") {
  TestPostgres pg;
  const std::string journal = temp_dir();
  sb::store::HistoryStore store(options(pg, journal), [](std::size_t, std::uint64_t) {});
  store.start();
  store.submit(0, 1, {message_event(1, "before")});
  wait_for([&] { return store.stats().events_written == 1; });
  // A server that takes connections but refuses every write for now (a failover, a read-only
  // standby): not the events' fault, so nothing is quarantined and the writer waits longer each time.
  pg.query("ALTER SYSTEM SET default_transaction_read_only = on");
  pg.query("SELECT pg_reload_conf()");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const std::uint64_t errors_before = store.stats().write_errors;
  store.submit(0, 2, {message_event(2, "during")});
  std::this_thread::sleep_for(std::chrono::milliseconds(3500));
  const std::uint64_t failed = store.stats().write_errors - errors_before;
  INFO(failed << " failed writes in 3.5 s");
  CHECK(failed >= 3);
  CHECK(failed <= 7);  // 100, 200, 400, 800, 1600 ms apart; retrying at once would be dozens
  CHECK(store.stats().quarantined == 0);
  pg.query("ALTER SYSTEM RESET default_transaction_read_only");
  pg.query("SELECT pg_reload_conf()");
  wait_for([&] { return store.stats().events_written == 2; });
  CHECK(pg.query("SELECT count(*) FROM messages") == "2");
  CHECK(pg.query("SELECT count(*) FROM quarantined_events") == "0");
  store.stop(std::chrono::milliseconds(1000));
  std::filesystem::remove_all(journal);
}
