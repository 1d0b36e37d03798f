// Crash recovery against the real binary: a seeded day driven live on the manual clock (time
// stands still while the node is down, so the comparison is exact), killed with SIGKILL at three
// moments and restarted each time with every client resuming, ends with the figures of the API,
// of /metrics and of the SQL views equal to the same day without a crash; every message a
// client saw acknowledged is in PostgreSQL once.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "store_helpers.hpp"
#include "support/server_process.hpp"
#include "support/test_postgres.hpp"

using namespace sb::test;
namespace v1 = switchboard::v1;
using BC = v1::ServerMessage::BodyCase;

namespace {

const std::vector<std::string> manual_clock{"--clock", "manual", "--clock-start", "2026-08-18T10:00:00+08:00"};

// The driver asks far faster than a person types.
const char* server_extra = "manual_clock_allowed = true\nmessages_per_second_max = 10000\ndrain_window_ms = 0\n";

// Two agents of window 2 for eight customers: some always wait.
const char* crash_shop_toml = R"(
[[shops]]
id = "crash"
time_zone = "+08:00"
[[shops.skills]]
name = "phones"
[[shops.agents]]
id = "a0"
skills = ["phones"]
window = 2
[[shops.agents]]
id = "a1"
skills = ["phones"]
window = 2
)";

struct Person {
  std::string role;  // ROLE_AGENT, ROLE_CUSTOMER, ROLE_SUPERVISOR
  std::string id;
  std::string resume;
  std::unique_ptr<JsonClient> client;
};

// Drives the day; reads the shop's state from the supervisor's shop view after every step
// (a call on the shop's shard: every delivery of earlier calls went out before its answer).
class CrashDay {
 public:
  CrashDay(std::uint32_t seed, const std::string& toml) : rng_(seed), toml_(toml) {
    people_.push_back(Person{"ROLE_SUPERVISOR", "sup", "", nullptr});
    for (int i = 0; i < 2; ++i) people_.push_back(Person{"ROLE_AGENT", "a" + std::to_string(i), "", nullptr});
    for (int i = 0; i < 8; ++i) people_.push_back(Person{"ROLE_CUSTOMER", "m" + std::to_string(i), "", nullptr});
    server_ = std::make_unique<ServerProcess>(toml_, manual_clock, server_extra);
    connect_all();
    for (int i = 1; i <= 2; ++i) ask(people_[i], R"("setAgentStatus":{"status":"AGENT_STATUS_ONLINE"})");
  }

  // A crash (SIGKILL) or a planned restart (SIGTERM: clients are told `shutdown`, their chats
  // held for the reconnect grace), a restart on the same journal, every client back with its
  // resume token.
  void crash(bool planned) {
    held_.clear();
    const auto view = shop_view();
    for (const auto& s : view.sessions()) held_.insert(s.member_id());
    for (const auto& q : view.queues())
      for (const auto& w : q.waiting()) held_.insert(w.member_id());
    if (planned) REQUIRE(server_->stop() == 0);
    else server_->kill9();
    for (auto& p : people_) p.client.reset();
    server_ = std::make_unique<ServerProcess>(toml_, manual_clock, server_extra);
    // Every replayed call made the events journaled for it: the state is the one before the crash.
    const std::string log = server_->stderr_text();
    CHECK_THAT(log, Catch::Contains("recovery: ") && !Catch::Contains("made other history events"));
    connect_all();
  }

  void step() {
    const auto view = shop_view();
    std::map<std::string, std::string> session_of;  // member -> session
    std::vector<const v1::SessionView*> sessions;
    for (const auto& s : view.sessions()) {
      session_of[s.member_id()] = s.session_id();
      sessions.push_back(&s);
    }
    std::set<std::string> waiting;
    for (const auto& q : view.queues())
      for (const auto& w : q.waiting()) waiting.insert(w.member_id());
    const int roll = static_cast<int>(rng_() % 10);
    Person& customer = people_[3 + rng_() % 8];
    const bool busy = session_of.count(customer.id) > 0 || waiting.count(customer.id) > 0;
    if (roll < 3 && !busy) {
      ask(customer, R"("enter":{})");
      text(customer, "");
    } else if (roll < 5 && busy) {
      text(customer, "");
    } else if (roll < 8 && !sessions.empty()) {
      const auto* s = sessions[rng_() % sessions.size()];
      text(people_[s->agent_id() == "a0" ? 1 : 2], s->session_id());
    } else if (!sessions.empty()) {
      const auto* s = sessions[rng_() % sessions.size()];
      ask(people_[s->agent_id() == "a0" ? 1 : 2], R"("closeSession":{"sessionId":")" + s->session_id() + R"("})");
    }
    const long ms = (rng_() % 4 == 0) ? 50'000 : 1'000 + static_cast<long>(rng_() % 20'000);
    REQUIRE(server_->advance_ms(ms).status == 200);
  }

  ServerProcess& server() { return *server_; }
  const std::vector<std::string>& acked() const { return acked_; }

 private:
  v1::ServerMessage ask(Person& p, const std::string& body) {
    const std::string rid = "r" + std::to_string(++request_);
    p.client->send(R"({"requestId":")" + rid + R"(",)" + body + "}");
    INFO(p.id << " " << body);
    v1::ServerMessage r;
    try {
      r = p.client->reply(rid);
    } catch (const std::exception& e) {
      FAIL(e.what() << "; the server said: " << server_->stderr_text());
    }
    REQUIRE(!r.has_error());
    return r;
  }

  void text(Person& p, const std::string& session) {
    const std::string body = "t" + std::to_string(request_ + 1);
    if (ask(p, R"("sendText":{"sessionId":")" + session + R"(","text":")" + body + R"("})").has_ack()) acked_.push_back(body);
  }

  v1::ShopView shop_view() { return ask(people_[0], R"("getShopView":{})").shop_view(); }

  void connect_all() {
    for (auto& p : people_) {
      p.client = std::make_unique<JsonClient>(server_->port());
      const std::string token = server_->token("crash", p.id, p.role == "ROLE_AGENT" ? "agent"
                                                               : p.role == "ROLE_CUSTOMER" ? "customer"
                                                                                           : "supervisor");
      const std::string member = p.role == "ROLE_CUSTOMER" ? R"(,"memberId":")" + p.id + "\"" : "";
      p.client->send(R"({"requestId":"h","hello":{"role":")" + p.role + R"(","shopId":"crash")" + member +
                     R"(,"token":")" + token + R"(","resumeToken":")" + p.resume + R"("}})");
      const auto w = p.client->reply("h");
      INFO(p.id << ": " << w.DebugString());
      REQUIRE(w.has_welcome());
      if (held_.count(p.id) > 0) CHECK(w.welcome().resumed());  // its queue place or session came back
      p.resume = w.welcome().resume_token();
    }
  }

  std::mt19937 rng_;
  std::string toml_;
  std::unique_ptr<ServerProcess> server_;
  std::vector<Person> people_;
  std::vector<std::string> acked_;
  std::set<std::string> held_;  // customers queued or in a session at the last step
  int request_ = 0;
};

// The shop's counters and figure gauges in /metrics (connection gauges and resumes differ by design).
std::string shop_series(const std::string& metrics) {
  std::istringstream in(metrics);
  std::string line, out;
  while (std::getline(in, line))
    if (line.find("shop=\"crash\"") != std::string::npos && line.find("connected") == std::string::npos) out += line + "\n";
  return out;
}

struct DayResult {
  std::string figures, metrics, sql;
  std::vector<std::string> acked;
  std::uint64_t first_segment = 0;  // the journal's oldest segment at the end
  std::string snapshot_metrics;
};

// A shard snapshots every 13 calls and segments roll at 8 KiB, so the day's restarts load
// mid-day snapshots and the journal drops segments the snapshots and the database cover.
const char* snapshot_store_keys = "snapshot_calls = 13\nsegment_bytes_max = 8192\n\n";

std::uint64_t first_segment(const std::string& journal) {
  std::uint64_t first = UINT64_MAX;
  for (const auto& f : std::filesystem::directory_iterator(journal))
    if (f.path().extension() == ".journal") first = std::min<std::uint64_t>(first, std::stoull(f.path().stem().string()));
  return first;
}

DayResult play(std::uint32_t seed, int steps, const std::set<int>& crashes) {
  TestPostgres pg;
  const std::string journal = temp_dir();
  CrashDay day(seed, store_toml(pg, journal) + snapshot_store_keys + crash_shop_toml);
  for (int i = 0; i < steps; ++i) {
    if (crashes.count(i) > 0) day.crash(i == *std::next(crashes.begin()));  // the second one is planned
    day.step();
  }
  ServerProcess& s = day.server();
  wait_drained(s);
  DayResult r;
  r.figures = s.get("/api/v1/shops/crash/figures?date=2026-08-18", s.token("crash", "sup", "supervisor")).body;
  r.metrics = shop_series(s.scrape());
  r.sql = pg.query("SELECT row_to_json(f)::text FROM shop_day_figures f WHERE shop_id = 'crash'") + "\n" +
          pg.query("SELECT json_agg(h ORDER BY hour)::text FROM shop_hour_figures h WHERE shop_id = 'crash'") + "\n" +
          pg.query("SELECT json_agg(a ORDER BY agent_id)::text FROM agent_day_figures a WHERE shop_id = 'crash'") + "\n" +
          pg.query("SELECT count(*) FROM sessions WHERE shop_id = 'crash' AND closed_at IS NULL");
  r.acked = day.acked();
  REQUIRE(s.advance_ms(1).status == 200);  // one more journal batch, after the cursor passed the rest
  REQUIRE(s.advance_ms(1).status == 200);
  r.first_segment = first_segment(journal);
  for (const char* name : {"switchboard_snapshots_total", "switchboard_journal_segments_removed_total"})
    r.snapshot_metrics += s.metric(name) > 0 ? "" : std::string(name) + " is 0; ";
  // Every acknowledged text (each body unique) is kept exactly once.
  std::string bodies;
  for (const auto& b : r.acked) bodies += (bodies.empty() ? "'" : ",'") + b + "'";
  if (!bodies.empty())
    CHECK(pg.query("SELECT count(*) || '/' || count(DISTINCT body) FROM messages WHERE body IN (" + bodies + ")") ==
          std::to_string(r.acked.size()) + "/" + std::to_string(r.acked.size()));
  if (std::getenv("SB_KEEP")) std::system(("ls -la " + journal + " " + journal + "/snapshots; cp -r " + journal + " /tmp/kept").c_str());
  std::system(("rm -rf " + journal).c_str());
  return r;
}

}  // namespace

TEST_CASE("kill -9 at three moments and a SIGTERM restart in a day: every figure equals the day without them", "[recovery][crash]") {
  const std::uint32_t seed = std::random_device{}();
  INFO("seed " << seed);
  constexpr int steps = 90;
  std::mt19937 pick(seed);
  std::set<int> crashes;
  while (crashes.size() < 4) crashes.insert(5 + static_cast<int>(pick() % (steps - 5)));
  const DayResult calm = play(seed, steps, {});
  const DayResult crashed = play(seed, steps, crashes);
  REQUIRE(!calm.acked.empty());
  if (const char* dir = std::getenv("SB_RECOVERY_DUMP")) {  // for a person comparing the two days
    for (const auto& [name, r] : {std::pair{"calm", &calm}, std::pair{"crashed", &crashed}})
      std::ofstream(std::string(dir) + "/" + name + ".txt") << r->figures << "\n" << r->metrics << "\n" << r->sql << "\n";
  }
  CHECK(crashed.acked.size() == calm.acked.size());
  // Restarts loaded snapshots and the journal shed what they cover: recovery did not need segment 1.
  CHECK(crashed.first_segment > 1);
  INFO(calm.snapshot_metrics << crashed.snapshot_metrics);
  CHECK(calm.snapshot_metrics.empty());
  CHECK(crashed.figures == calm.figures);
  CHECK(crashed.metrics == calm.metrics);
  CHECK(crashed.sql == calm.sql);
}

TEST_CASE("a journal this configuration cannot replay is refused at start with what to do", "[recovery][errors]") {
  const std::string journal = temp_dir();
  // The database may be away: the journal alone decides.
  const std::string store = "[store]\ndatabase_url = \"postgresql://127.0.0.1:1/none\"\njournal_dir = \"" + journal +
                            "\"\nbatch_interval_ms = 5\n\n";
  // "crash" is on shard 1 of 3 and on shard 0 of 2.
  std::vector<std::string> three_shards = manual_clock;
  three_shards.insert(three_shards.end(), {"--threads", "3"});
  {
    ServerProcess server(store + crash_shop_toml, three_shards, server_extra);
    JsonClient c(server.port());
    c.send(R"({"requestId":"h","hello":{"role":"ROLE_CUSTOMER","shopId":"crash","memberId":"m1","token":")" +
           server.token("crash", "m1", "customer") + R"("}})");
    REQUIRE(c.reply("h").has_welcome());
    server.kill9();
  }
  auto refusal = [&](const std::string& toml, const std::vector<std::string>& args) -> std::string {
    try {
      ServerProcess server(toml, args, server_extra);
      return "started";
    } catch (const std::runtime_error& e) {
      return e.what();
    }
  };
  std::vector<std::string> two_shards = manual_clock;
  two_shards.insert(two_shards.end(), {"--threads", "2"});
  CHECK_THAT(refusal(store + crash_shop_toml, two_shards), Catch::Contains("start with the same server.threads"));
  CHECK_THAT(refusal(store + "[[shops]]\nid = \"other\"\n[[shops.skills]]\nname = \"general\"\n", three_shards),
             Catch::Contains("holds live state of shop \"crash\", which this config lacks"));
  // The marked snapshot of "crash"'s shard, damaged, then gone.
  auto marked_snapshot = [&] {
    std::string found;
    for (const auto& f : std::filesystem::directory_iterator(journal + "/snapshots"))
      if (f.path().filename().string().rfind("shard-1-", 0) == 0) found = f.path().string();
    REQUIRE(!found.empty());
    return found;
  };
  std::string snapshot = marked_snapshot();
  const auto intact = std::filesystem::file_size(snapshot);
  std::ofstream(snapshot, std::ios::app) << "x";
  CHECK_THAT(refusal(store + crash_shop_toml, three_shards), Catch::Contains(snapshot + " is damaged") &&
                                                                 Catch::Contains("Restore the file from a backup"));
  std::filesystem::resize_file(snapshot, intact);
  CHECK_THAT(refusal(store + crash_shop_toml, three_shards), Catch::Contains("started"));
  snapshot = marked_snapshot();  // that start snapshotted again
  std::filesystem::remove(snapshot);
  CHECK_THAT(refusal(store + crash_shop_toml, three_shards), Catch::Contains(snapshot + " named by the journal cannot be opened"));
  std::filesystem::remove(journal + "/0000000000000001.journal");
  std::ofstream(journal + "/0000000000000002.journal");
  CHECK_THAT(refusal(store + crash_shop_toml, three_shards), Catch::Contains("the calls before it are gone"));
  std::system(("rm -rf " + journal).c_str());
}

// Real downtime on the scaled clock (20x: 1 s real is 20 s of the shop's time). The clock
// resumes at the last journaled time, so the outage itself takes none of the shop's time; the
// connections cut count as dropped there, their grace running from that moment; the pending
// 45-second clock goes on and is judged when due; a customer not back within the grace has
// abandoned.
TEST_CASE("a crash on the scaled clock: time resumes at the last journaled call, grace and clocks run from there", "[recovery][crash]") {
  const std::string journal = temp_dir();
  const std::string store = "[store]\ndatabase_url = \"postgresql://127.0.0.1:1/none\"\njournal_dir = \"" + journal +
                            "\"\nbatch_interval_ms = 0\n\n";
  const std::string shop = std::string(crash_shop_toml).substr(0, std::string(crash_shop_toml).find("[[shops.agents]]\nid = \"a1\"")) +
                           "[shops.thresholds]\nreconnect_grace_s = 20\n";
  const std::vector<std::string> scaled{"--clock", "scaled", "--speed", "20", "--clock-start", "2026-08-18T10:00:00+08:00"};
  auto server = std::make_unique<ServerProcess>(store + shop, scaled, server_extra);
  auto hello = [&](JsonClient& c, const std::string& role, const std::string& id, const std::string& resume = "") {
    c.send(R"({"requestId":"h","hello":{"role":")" + role + R"(","shopId":"crash","memberId":")" + id + R"(","token":")" +
           (resume.empty() ? server->token("crash", id, role == "ROLE_AGENT" ? "agent" : "customer") : "") +
           R"(","resumeToken":")" + resume + R"("}})");
    const auto w = c.reply("h");
    REQUIRE(w.has_welcome());
    return w.welcome();
  };
  auto server_time_s = [&](JsonClient& c) {
    c.send(R"({"requestId":"p","ping":{}})");
    return c.reply("p").pong().server_time().seconds();
  };
  std::string agent_resume, m1_resume;
  std::int64_t crashed_at = 0;
  {
    JsonClient agent(server->port()), m1(server->port()), m2(server->port());
    agent_resume = hello(agent, "ROLE_AGENT", "a0").resume_token();
    agent.send(R"({"requestId":"on","setAgentStatus":{"status":"AGENT_STATUS_ONLINE"}})");
    REQUIRE(agent.reply("on").has_ack());
    m1_resume = hello(m1, "ROLE_CUSTOMER", "m1").resume_token();
    hello(m2, "ROLE_CUSTOMER", "m2");
    for (auto* c : {&m1, &m2}) {
      c->send(R"({"requestId":"e","enter":{}})");
      REQUIRE(c->reply("e").has_ack());
    }
    // m1 and m2 have a0 (window 2) and no reply yet: their 45-second clocks run.
    for (auto* c : {&m1, &m2}) {
      c->send(R"({"requestId":"t","sendText":{"text":"hello?"}})");
      REQUIRE(c->reply("t").has_ack());
      REQUIRE(c->expect(BC::kAssigned).has_assigned());
    }
    crashed_at = server_time_s(m1);
    server->kill9();
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));  // 40 s of the shop's time, were it counted
  server = std::make_unique<ServerProcess>(store + shop, scaled, server_extra);
  JsonClient agent(server->port()), m1(server->port());
  // Back where it was: neither at --clock-start nor 40 s later.
  const auto resumed_at = server_time_s(agent);
  CHECK(resumed_at >= crashed_at);
  CHECK(resumed_at <= crashed_at + 8);
  CHECK(hello(agent, "ROLE_AGENT", "a0", agent_resume).resumed());
  CHECK(hello(m1, "ROLE_CUSTOMER", "m1", m1_resume).resumed());
  // m2 does not come back: after its 20-s grace its chat is gone (its session closes as the
  // customer's leaving). m1's leg, still unanswered, breaches 45 s after it started.
  const auto closed = agent.expect(BC::kSessionClosed, std::chrono::milliseconds(3000));
  CHECK(closed.session_closed().reason() == v1::CLOSE_REASON_CUSTOMER_LEFT);
  const auto breach = agent.expect(BC::kFirstResponseBreach, std::chrono::milliseconds(4000));
  CHECK(breach.has_first_response_breach());
  const auto figures = server->get("/api/v1/shops/crash/figures?date=2026-08-18", server->token("crash", "sup", "supervisor"));
  REQUIRE(figures.status == 200);
  INFO(figures.body);
  CHECK_THAT(figures.body, Catch::Contains("\"firstResponseBreaches\":1"));
  std::system(("rm -rf " + journal).c_str());
}
