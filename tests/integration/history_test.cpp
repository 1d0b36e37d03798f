// Durable history in PostgreSQL: migrations, the SQL views against the figures API, a crash
// of the server and an outage of the database, with nothing lost and nothing counted twice.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "scripted_day.hpp"
#include "shops.hpp"
#include "store_helpers.hpp"
#include "store/migrations.hpp"
#include "store/pg_writer.hpp"
#include "support/server_process.hpp"
#include "support/test_postgres.hpp"

using namespace sb::test;
namespace v1 = switchboard::v1;
using BC = v1::ServerMessage::BodyCase;

namespace {

// Customers who each start one request; returns the request ids the server acknowledged.
struct Load {
  explicit Load(ServerProcess& s) : server(s) {}
  ServerProcess& server;
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::vector<std::string> acked;
  std::vector<double> ack_ms;

  void run_customers(int from, int count) {
    for (int i = from; i < from + count && !stop; ++i) {
      try {
        JsonClient c(server.port());
        const std::string m = "load-" + std::to_string(i);
        c.send(customer_hello("day", m, "h"));
        if (!c.reply("h").has_welcome()) continue;
        c.send(R"({"requestId":"e","enter":{"skill":"phones"}})");
        c.reply("e");
        const auto t0 = std::chrono::steady_clock::now();
        c.send(R"({"requestId":"t","sendText":{"text":"hello"}})");
        const auto ack = c.reply("t");
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        std::lock_guard lock(mutex);
        if (ack.has_ack() && !ack.ack().id().empty()) {
          acked.push_back(ack.ack().id());
          ack_ms.push_back(ms);
        }
      } catch (const std::exception&) {
        // The server went away mid-conversation: what it acknowledged is what counts.
      }
    }
  }
};

// Customers arriving for `seconds`, numbered from `from`.
void run_for(Load& load, int from, std::chrono::seconds seconds) {
  const auto end = std::chrono::steady_clock::now() + seconds;
  for (int i = from; std::chrono::steady_clock::now() < end; i += 10) load.run_customers(i, 10);
}

std::string id_list(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "'" : ",'") + id + "'";
  return out;
}

}  // namespace

TEST_CASE("migrations apply once, twice changes nothing, a broken file fails cleanly", "[history][migrations]") {
  TestPostgres pg;
  std::size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::string(SB_SOURCE_DIR) + "/migrations"))
    files += e.path().extension() == ".sql" ? 1 : 0;
  const std::string n = std::to_string(files);
  int rc = 0;
  std::string out = run(binary_path() + " migrate --database '" + pg.url() + "'", rc);
  CHECK(rc == 0);
  CHECK(out.find(n + " applied, 0 already applied") != std::string::npos);
  const std::string tables = pg.query("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'");
  out = run(binary_path() + " migrate --database '" + pg.url() + "'", rc);
  CHECK(rc == 0);
  CHECK(out.find("0 applied, " + n + " already applied") != std::string::npos);
  CHECK(pg.query("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == tables);

  const std::string dir = temp_dir();
  std::system(("cp " + std::string(SB_SOURCE_DIR) + "/migrations/*.sql " + dir).c_str());
  std::ofstream(dir + "/9999_broken.sql") << "CREATE TABLE should_not_exist (x int);\nSELECT no_such_function();\n";
  out = run(binary_path() + " migrate --database '" + pg.url() + "' --migrations " + dir, rc);
  CHECK(rc != 0);
  CHECK(out.find("9999_broken.sql: statement 2 (SELECT no_such_function()") != std::string::npos);
  CHECK(pg.query("SELECT to_regclass('should_not_exist') IS NULL") == "t");
  CHECK(pg.query("SELECT count(*) FROM schema_migrations") == n);
  std::system(("rm -rf " + dir).c_str());
}

TEST_CASE("the SQL views, the figures API and /metrics agree on a scripted day", "[history][day]") {
  TestPostgres pg;
  const std::string journal = temp_dir();
  ServerProcess server(store_toml(pg, journal) + day_shop_toml,
                       {"--clock", "manual", "--clock-start", "2026-08-18T06:30:00+08:00"});
  run_scripted_day(server);
  wait_drained(server);
  for (const std::string date : {"2026-08-18", "2026-08-19"}) {
    INFO(date);
    const auto api = shop_figures(server, date).figures();
    const std::string row = pg.query(
        "SELECT concat_ws(',', requests, sessions, sessions_judged, sessions_responded_45s, messages_left, messages_replied, "
        "sessions_valid, sessions_rated, sessions_satisfied, members_inquiring, members_converted, online_duration_s, "
        "requests_abandoned, requests_no_agent, first_response_breaches) FROM shop_day_figures "
        "WHERE shop_id = 'day' AND day = '" + date + "'");
    const std::string expected = std::to_string(api.connection_rate().denominator()) + "," +
                                 std::to_string(api.connection_rate().numerator()) + "," +
                                 std::to_string(api.response_45s_rate().denominator()) + "," +
                                 std::to_string(api.response_45s_rate().numerator()) + "," +
                                 std::to_string(api.message_reply_rate().denominator()) + "," +
                                 std::to_string(api.message_reply_rate().numerator()) + "," +
                                 std::to_string(api.rating_rate().denominator()) + "," +
                                 std::to_string(api.rating_rate().numerator()) + "," +
                                 std::to_string(api.satisfaction().numerator()) + "," +
                                 std::to_string(api.inquiry_conversion_rate().denominator()) + "," +
                                 std::to_string(api.inquiry_conversion_rate().numerator()) + "," +
                                 std::to_string(api.online_duration_s()) + "," + std::to_string(api.requests_abandoned()) +
                                 "," + std::to_string(api.requests_no_agent()) + "," +
                                 std::to_string(api.first_response_breaches());
    CHECK(row == expected);
  }
  // Every hour of the hourly view equals the API's hour: every numerator, denominator and the
  // online seconds; every agent of the agent view its API row (judged, valid, rated, online).
  const auto day818 = shop_figures(server, "2026-08-18");
  for (const auto& hour : day818.hours()) {
    const auto& f = hour.figures();
    INFO("hour " << hour.hour());
    const std::string sql = pg.query(
        "SELECT coalesce((SELECT concat_ws(',', requests, sessions, sessions_judged, sessions_responded_45s, messages_left, "
        "messages_replied, sessions_valid, sessions_rated, sessions_satisfied, members_inquiring, members_converted, "
        "online_duration_s) FROM shop_hour_figures WHERE shop_id = 'day' AND day = '2026-08-18' AND hour = " +
        std::to_string(hour.hour()) + "), '0,0,0,0,0,0,0,0,0,0,0,0')");
    const std::string want = std::to_string(f.connection_rate().denominator()) + "," + std::to_string(f.connection_rate().numerator()) +
                             "," + std::to_string(f.response_45s_rate().denominator()) + "," +
                             std::to_string(f.response_45s_rate().numerator()) + "," +
                             std::to_string(f.message_reply_rate().denominator()) + "," +
                             std::to_string(f.message_reply_rate().numerator()) + "," + std::to_string(f.rating_rate().denominator()) +
                             "," + std::to_string(f.rating_rate().numerator()) + "," + std::to_string(f.satisfaction().numerator()) +
                             "," + std::to_string(f.inquiry_conversion_rate().denominator()) + "," +
                             std::to_string(f.inquiry_conversion_rate().numerator()) + "," + std::to_string(f.online_duration_s());
    CHECK(sql == want);
  }
  CHECK(pg.query("SELECT sum(online_duration_s) FROM shop_hour_figures WHERE shop_id = 'day' AND day = '2026-08-18'") ==
        std::to_string(day818.figures().online_duration_s()));
  for (const auto& a : day818.agents()) {
    INFO("agent " << a.agent_id());
    const std::string sql = pg.query(
        "SELECT coalesce((SELECT concat_ws(',', sessions_judged, sessions_valid, sessions_rated, online_duration_s) "
        "FROM agent_day_figures WHERE shop_id = 'day' AND day = '2026-08-18' AND agent_id = '" + a.agent_id() + "'), 'none')");
    CHECK(sql == std::to_string(a.figures().response_45s_rate().denominator()) + "," +
                     std::to_string(a.figures().rating_rate().denominator()) + "," +
                     std::to_string(a.figures().rating_rate().numerator()) + "," + std::to_string(a.figures().online_duration_s()));
  }
  // A 0/0 rate is 0 in SQL as in the API, never NULL.
  CHECK(pg.query("SELECT switchboard_rate(0, 0)") == "0");
  CHECK(pg.query("SELECT count(*) FROM shop_hour_figures WHERE connection_rate IS NULL OR inquiry_conversion_rate IS NULL "
                 "OR rating_rate IS NULL OR satisfaction IS NULL OR message_reply_rate IS NULL") == "0");
  // One query answers "what was shop day's 45-second rate on 8-18".
  CHECK(pg.query("SELECT round(response_45s_rate, 4) FROM shop_day_figures WHERE shop_id = 'day' AND day = '2026-08-18'") ==
        "0.6667");
  CHECK(pg.query("SELECT count(*) FROM legs WHERE transferred_out") == "1");
  CHECK(pg.query("SELECT array_to_string(agents, '>') || ' ' || transfers FROM session_details "
                 "WHERE session_id IN (SELECT session_id FROM legs WHERE transferred_out)") == "alice>bob 1");
  // /metrics counts since start = the SQL totals of both days.
  const std::string m = server.scrape();
  auto total = [&](const std::string& name) {
    double sum = 0;
    std::istringstream lines(m);
    std::string line;
    while (std::getline(lines, line))
      if (line.rfind(name + "{", 0) == 0 && line.find("shop=\"day\"") != std::string::npos)
        sum += std::stod(line.substr(line.rfind(' ') + 1));
    return std::to_string(static_cast<long>(sum));
  };
  CHECK(total("switchboard_requests_total") == pg.query("SELECT sum(requests) FROM shop_day_figures WHERE shop_id = 'day'"));
  CHECK(total("switchboard_sessions_responded_45s_total") ==
        pg.query("SELECT sum(sessions_responded_45s) FROM shop_day_figures WHERE shop_id = 'day'"));
  CHECK(total("switchboard_members_converted_total") ==
        pg.query("SELECT sum(members_converted) FROM shop_day_figures WHERE shop_id = 'day'"));
  CHECK(pg.query("SELECT count(*) FROM orders WHERE shop_id = 'day'") == "3");
  CHECK(pg.query("SELECT body FROM messages WHERE body = 'battery question'") == "battery question");
  CHECK(pg.query("SELECT count(*) FROM skill_hour_figures WHERE shop_id = 'day' AND day = '2026-08-18'") == "4");
  std::system(("rm -rf " + journal).c_str());
}

TEST_CASE("kill -9 under load: every acknowledged event is in PostgreSQL exactly once", "[history][crash]") {
  TestPostgres pg;
  const std::string journal = temp_dir();
  std::vector<std::string> acked;
  {
    ServerProcess server(store_toml(pg, journal) + always_open_toml, {});
    Load load{server};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) threads.emplace_back([&load, t] { load.run_customers(t * 1000, 1000); });
    std::mt19937 rng(std::random_device{}());
    std::this_thread::sleep_for(std::chrono::milliseconds(500 + rng() % 1500));
    server.kill9();
    load.stop = true;
    for (auto& t : threads) t.join();
    acked = load.acked;
  }
  INFO("acknowledged before the crash: " << acked.size());
  REQUIRE(acked.size() > 20);
  ServerProcess restarted(store_toml(pg, journal) + always_open_toml, {});
  wait_drained(restarted);
  CHECK(pg.query("SELECT count(*) FROM requests WHERE request_id IN (" + id_list(acked) + ")") == std::to_string(acked.size()));
  // The figures in SQL equal a recount from the raw rows.
  CHECK(pg.query("SELECT sum(requests) || '/' || sum(sessions) || '/' || sum(sessions_judged) FROM shop_day_figures "
                 "WHERE shop_id = 'day'") ==
        pg.query("SELECT (SELECT count(*) FROM requests) || '/' || (SELECT count(*) FROM sessions) || '/' || "
                 "(SELECT count(*) FROM sessions WHERE closed_at IS NOT NULL)"));
  std::system(("rm -rf " + journal).c_str());
}

TEST_CASE("PostgreSQL away under load: chats go on, the backlog shows it and drains, counts match", "[history][outage]") {
  TestPostgres pg;
  const std::string journal = temp_dir();
  ServerProcess server(store_toml(pg, journal) + always_open_toml, {});
  Load before{server};
  before.run_customers(0, 60);
  wait_drained(server);
  pg.stop_immediate();
  Load during{server};
  during.run_customers(1000, 150);
  CHECK(server.metric("switchboard_db_up") == 0);
  CHECK(server.metric("switchboard_journal_backlog_events") > 0);
  pg.start();
  wait_drained(server);
  auto all = before.acked;
  all.insert(all.end(), during.acked.begin(), during.acked.end());
  REQUIRE(during.acked.size() == 150);
  CHECK(pg.query("SELECT count(*) FROM requests WHERE request_id IN (" + id_list(all) + ")") == std::to_string(all.size()));
  CHECK(pg.query("SELECT count(*) FROM requests") == std::to_string(all.size()));
  CHECK(pg.query("SELECT count(*) FROM requests WHERE outcome = 'waiting'") == "0");
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  const double m_before = median(before.ack_ms), m_during = median(during.ack_ms);
  INFO("median ack latency before " << m_before << " ms, during the outage " << m_during << " ms");
  CHECK(m_during < m_before * 2 + 20);  // the live path never waits for the database
  std::system(("rm -rf " + journal).c_str());
}

TEST_CASE("a batch written twice counts once; awkward text survives COPY", "[history][idempotent]") {
  TestPostgres pg;
  REQUIRE(sb::store::migrate(pg.url(), std::string(SB_SOURCE_DIR) + "/migrations").ok);
  sb::store::PgWriter writer(pg.url(), "n1", "journal-1", true);
  std::string error;
  REQUIRE(writer.connect(error));
  std::vector<v1::HistoryEvent> batch;
  auto add = [&](const std::string& id) -> v1::HistoryEvent& {
    auto& e = batch.emplace_back();
    e.set_event_id(id);
    e.set_shop_id("s1");
    e.set_at_ms(1'787'000'000'000);
    e.set_day("2026-08-18");
    e.set_hour(10);
    e.set_skill("phones");
    return e;
  };
  auto* b = add("e1").mutable_request_begun();
  b->set_request_id("r1");
  b->set_member_id("m1");
  auto* c = add("e2").mutable_session_connected();
  c->set_session_id("s1-s2");
  c->set_request_id("r1");
  c->set_member_id("m1");
  c->set_agent_id("a1");
  c->set_begun_at_ms(1'786'999'990'000);
  auto* l = add("e3").mutable_leg_started();
  l->set_session_id("s1-s2");
  l->set_leg(1);
  l->set_agent_id("a1");
  auto* m = add("e4").mutable_chat_message();
  m->set_session_id("s1-s2");
  m->set_sender(v1::SENDER_CUSTOMER);
  m->set_sender_id("m1");
  m->set_text("tab\there\nnew line \\ backslash 'quote' \"dq\" 你好");
  auto* cl = add("e5").mutable_session_closed();
  cl->set_session_id("s1-s2");
  cl->set_judged_agent_id("a1");
  cl->set_responded_45s(true);
  const auto first = writer.write(batch, {1, 500});
  INFO(first.error);
  CHECK(first.fresh == 4);  // new rows: request, session, leg, message
  CHECK(writer.write(batch, {1, 500}).fresh == 0);
  CHECK(pg.query("SELECT count(*) FROM sessions") == "1");
  CHECK(pg.query("SELECT count(*) FROM legs") == "1");
  CHECK(pg.query("SELECT count(*) FROM messages") == "1");
  CHECK(pg.query("SELECT count(*) FROM requests") == "1");
  CHECK(pg.query("SELECT outcome FROM requests") == "connected");
  CHECK(pg.query("SELECT responded_45s FROM sessions") == "t");
  CHECK(pg.query("SELECT count(*) FROM messages WHERE body = E'tab\\there\\nnew line \\\\ backslash ''quote'' \"dq\" 你好'") == "1");
  CHECK(pg.query("SELECT segment || ':' || \"offset\" FROM journal_cursor WHERE node_id = 'n1'") == "1:500");
  // Retention drops whole daily partitions.
  CHECK(pg.query("SELECT switchboard_drop_partitions_before(current_date + 36500)") == "1");
  CHECK(pg.query("SELECT count(*) FROM messages") == "0");
}

TEST_CASE("PostgreSQL stopped for 30 s under load: nothing lost, backlog drains", "[history][outage30]") {
  TestPostgres pg;
  const std::string journal = temp_dir();
  ServerProcess server(store_toml(pg, journal) + always_open_toml, {});
  Load before(server);
  run_for(before, 0, std::chrono::seconds(2));
  wait_drained(server);
  pg.stop_fast();
  Load during(server);
  std::thread load([&] { run_for(during, 1'000'000, std::chrono::seconds(30)); });
  std::this_thread::sleep_for(std::chrono::seconds(15));
  const double backlog_mid = server.metric("switchboard_journal_backlog_events");
  const double up_mid = server.metric("switchboard_db_up");
  CHECK(server.get("/readyz").status == 200);  // far under the bound: still ready
  load.join();
  CHECK(up_mid == 0);
  CHECK(backlog_mid > 0);
  pg.start();
  wait_drained(server, std::chrono::seconds(60));
  auto all = before.acked;
  all.insert(all.end(), during.acked.begin(), during.acked.end());
  INFO("before " << before.acked.size() << ", during the 30 s outage " << during.acked.size());
  REQUIRE(during.acked.size() > 100);
  CHECK(pg.query("SELECT count(*) FROM requests") == std::to_string(all.size()));
  CHECK(pg.query("SELECT count(*) FROM requests WHERE request_id IN (" + id_list(all) + ")") == std::to_string(all.size()));
  std::sort(before.ack_ms.begin(), before.ack_ms.end());
  std::sort(during.ack_ms.begin(), during.ack_ms.end());
  const double m_before = before.ack_ms[before.ack_ms.size() / 2], m_during = during.ack_ms[during.ack_ms.size() / 2];
  INFO("median ack latency before " << m_before << " ms, during " << m_during << " ms");
  CHECK(m_during < m_before * 2 + 20);
  std::system(("rm -rf " + journal).c_str());
}

TEST_CASE("a journal backlog over its bound makes the node not ready, and ready again once drained", "[history][bound]") {
  TestPostgres pg;
  pg.stop_fast();  // away from the start: the server must still start and serve
  const std::string journal = temp_dir();
  ServerProcess server("[store]\ndatabase_url = \"" + pg.url() + "\"\njournal_dir = \"" + journal +
                           "\"\nbatch_interval_ms = 2\njournal_bytes_max = 1048576\nsegment_bytes_max = 65536\n\n" +
                           always_open_toml,
                       {});
  CHECK(server.get("/readyz").status == 200);
  Load load(server);
  for (int i = 0; i < 20'000 && server.metric("switchboard_journal_backlog_bytes") <= 1'048'576; i += 50)
    load.run_customers(i, 50);
  // Over the bound: still serving and journaling, but not ready, and it says why.
  const auto ready = server.get("/readyz");
  CHECK(ready.status == 503);
  CHECK(ready.body.find("journal backlog over its bound") != std::string::npos);
  JsonClient c(server.port());
  c.send(customer_hello("day", "late", "h"));
  CHECK(c.reply("h").has_welcome());
  pg.start();
  wait_drained(server, std::chrono::seconds(60));
  for (int i = 0; i < 100 && server.get("/readyz").status != 200; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(server.get("/readyz").status == 200);
  CHECK(pg.query("SELECT count(*) FROM requests") == std::to_string(load.acked.size()));
  std::system(("rm -rf " + journal).c_str());
}

TEST_CASE("SIGTERM flushes the journal and lets the writer catch up before exiting", "[history][stop]") {
  TestPostgres pg;
  const std::string journal = temp_dir();
  // A long group-commit interval: events are still waiting for their batch when SIGTERM comes.
  ServerProcess server("[store]\ndatabase_url = \"" + pg.url() + "\"\njournal_dir = \"" + journal +
                           "\"\nbatch_interval_ms = 200\n\n" + always_open_toml,
                       {});
  Load load(server);
  std::thread customers([&] { load.run_customers(0, 40); });
  customers.join();
  JsonClient late(server.port());
  late.send(customer_hello("day", "last", "h"));
  late.reply("h");
  late.send(R"({"requestId":"e","enter":{}})");
  late.send(R"({"requestId":"t","sendText":{"text":"just before the stop"}})");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // sent, not yet journaled
  const int status = server.stop();
  INFO(server.stderr_text());
  CHECK(status == 0);
  REQUIRE(load.acked.size() == 40);
  // No restart: what was acknowledged, and what was in flight at the stop, is in the database.
  CHECK(pg.query("SELECT count(*) FROM requests WHERE request_id IN (" + id_list(load.acked) + ")") == "40");
  CHECK(pg.query("SELECT count(*) FROM requests WHERE member_id = 'last'") == "1");
  std::system(("rm -rf " + journal).c_str());
}
