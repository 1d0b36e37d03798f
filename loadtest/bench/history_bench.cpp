// Sustained history events/s into PostgreSQL through the real store (journal fsync per batch,
// COPY, switchboard_apply_batch), side by side with a row-by-row INSERT baseline doing the same
// apply work, in the same run against the same database. Prints a table.
#include <CLI/CLI.hpp>
#include <pqxx/pqxx>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <thread>

#include "core/time.hpp"
#include "store/history_names.hpp"
#include "store/history_rows.hpp"
#include "store/history_store.hpp"
#include "store/migrations.hpp"

namespace v1 = switchboard::v1;
using Clock = std::chrono::steady_clock;

namespace {

// A realistic session's worth of events: 12 per session.
std::vector<v1::HistoryEvent> make_events(const std::string& run, std::size_t sessions) {
  std::vector<v1::HistoryEvent> out;
  out.reserve(sessions * 12);
  const std::int64_t t0 = *sb::core::parse_rfc3339("2026-08-18T07:00:00+08:00");
  std::uint64_t n = 0;
  for (std::size_t s = 0; s < sessions; ++s) {
    const std::int64_t at = t0 + static_cast<std::int64_t>(s) * 50;
    const std::string sid = run + "-s" + std::to_string(s), rid = run + "-r" + std::to_string(s);
    auto add = [&](std::int64_t dt) -> v1::HistoryEvent& {
      auto& e = out.emplace_back();
      e.set_event_id(run + "-e" + std::to_string(n++));
      e.set_shop_id("shop" + std::to_string(s % 50));
      e.set_at_ms(at + dt);
      e.set_day("2026-08-18");
      e.set_hour(static_cast<std::uint32_t>(7 + (s * 50 / 3'600'000) % 17));
      e.set_skill(s % 2 ? "phones" : "aircon");
      return e;
    };
    const std::string member = "m" + std::to_string(s % 100'000), agent = "a" + std::to_string(s % 40);
    auto text = [&](std::int64_t dt, v1::Sender sender, const char* words) {
      auto* m = add(dt).mutable_chat_message();
      m->set_session_id(sid);
      m->set_sender(sender);
      m->set_sender_id(sender == v1::SENDER_CUSTOMER ? member : agent);
      m->set_text(words);
    };
    auto* b = add(0).mutable_request_begun();
    b->set_request_id(rid);
    b->set_member_id(member);
    b->set_tier(v1::TIER_C);
    auto* c = add(2000).mutable_session_connected();
    c->set_session_id(sid);
    c->set_request_id(rid);
    c->set_member_id(member);
    c->set_agent_id(agent);
    c->set_begun_at_ms(at);
    auto* l = add(2000).mutable_leg_started();
    l->set_session_id(sid);
    l->set_leg(1);
    l->set_agent_id(agent);
    l->set_clock_started_at_ms(at);
    text(2001, v1::SENDER_CUSTOMER, "Is the X200 in stock? I need it before the 818 sale ends.");
    auto* r = add(9000).mutable_leg_first_reply();
    r->set_session_id(sid);
    r->set_leg(1);
    r->set_agent_id(agent);
    text(9000, v1::SENDER_AGENT, "Yes, we have 3 left. Shall I reserve one for you?");
    auto* v = add(9000).mutable_session_valid();
    v->set_session_id(sid);
    v->set_member_id(member);
    v->set_agent_id(agent);
    text(15000, v1::SENDER_CUSTOMER, "Yes please, the black one.");
    text(20000, v1::SENDER_AGENT, "Done. Anything else?");
    auto* e = add(60000).mutable_leg_ended();
    e->set_session_id(sid);
    e->set_leg(1);
    e->set_agent_id(agent);
    auto* cl = add(60000).mutable_session_closed();
    cl->set_session_id(sid);
    cl->set_member_id(member);
    cl->set_reason(v1::CLOSE_REASON_AGENT);
    cl->set_judged_agent_id(agent);
    cl->set_responded_45s(true);
    auto* f = add(1'860'000).mutable_rating_final();
    f->set_session_id(sid);
    f->set_score(5);
    f->set_agent_id(agent);
  }
  return out;
}

double run_store(const std::string& url, const std::string& migrations, const std::string& journal,
                 const std::vector<v1::HistoryEvent>& events, std::size_t batch_max, std::uint64_t& syncs) {
  sb::store::StoreOptions o;
  o.database_url = url;
  o.journal_dir = journal;
  o.node_id = "bench-" + std::to_string(::getpid());
  o.migrations_dir = migrations;
  o.batch_interval = std::chrono::milliseconds(5);
  o.batch_events_max = batch_max;
  sb::store::HistoryStore store(o, [](std::size_t, std::uint64_t) {});
  store.start();
  const auto t0 = Clock::now();
  // Submit as shards do: one call's events at a time (about one session's worth).
  for (std::size_t i = 0; i < events.size(); i += 12) {
    std::vector<v1::HistoryEvent> call(events.begin() + static_cast<std::ptrdiff_t>(i),
                                       events.begin() + static_cast<std::ptrdiff_t>(std::min(i + 12, events.size())));
    store.submit(0, i / 12 + 1, std::move(call));
  }
  while (store.stats().events_written < events.size()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  syncs = store.stats().syncs;
  store.stop(std::chrono::milliseconds(1000));
  // Nothing lost: every session and every chat message of this run is in the database, once.
  pqxx::connection c(url);
  pqxx::work tx(c);
  const std::string run = events.front().event_id().substr(0, events.front().event_id().find('-'));
  const auto sessions = tx.exec_params1("SELECT count(*) FROM sessions WHERE session_id LIKE $1", run + "-s%")[0].as<std::size_t>();
  const auto messages = tx.exec_params1("SELECT count(*) FROM messages WHERE session_id LIKE $1", run + "-s%")[0].as<std::size_t>();
  if (sessions * 12 != events.size() || messages * 3 != events.size()) {
    std::cerr << "store lost events: " << sessions << " sessions and " << messages << " messages for " << events.size()
              << " events\n";
    std::exit(1);
  }
  return seconds;
}

double run_baseline(const std::string& url, const std::vector<v1::HistoryEvent>& events, std::size_t batch_max) {
  pqxx::connection c(url);
  c.prepare("ins",
            "INSERT INTO batch_events (event_id, at, shop_id, kind, day, hour, skill, request_id, session_id, agent_id, "
            "member_id, body, leg, at2, flag, amount, category, ref_id, tier, reason, score, ms, detail, actor_id) "
            "VALUES ($1, $2::timestamptz, $3, $4, $5::date, $6, $7, $8, $9, $10, $11, $12, $13, $14::timestamptz, $15, $16, $17, "
            "$18, $19, $20, $21, $22, $23, $24)");
  const auto t0 = Clock::now();
  for (std::size_t i = 0; i < events.size(); i += batch_max) {
    pqxx::work tx(c);
    tx.exec("SELECT switchboard_ensure_day('2026-08-17'), switchboard_ensure_day('2026-08-18')");
    tx.exec0("CREATE TEMP TABLE batch_events (LIKE history_batch_v2) ON COMMIT DROP");
    for (std::size_t j = i; j < std::min(i + batch_max, events.size()); ++j) {
      const auto& e = events[j];
      const auto r = sb::store::flatten(e);
      tx.exec_prepared0("ins", e.event_id(), sb::core::format_rfc3339_utc(e.at_ms()), e.shop_id(), sb::store::kind_name(e), r.day,
                        r.hour, r.skill, r.request_id, r.session_id, r.agent_id, r.member_id, r.body, r.leg, r.at2, r.flag, r.amount,
                        r.category, r.ref_id, r.tier, r.reason, r.score, r.ms, r.detail, r.actor_id);
    }
    tx.exec("SELECT switchboard_apply_batch()");
    tx.commit();
  }
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"History write benchmark: the store (journal + COPY) against row-by-row INSERT"};
  std::string url, migrations = SB_MIGRATIONS_DIR, journal = "/tmp/sb-bench-journal";
  std::size_t sessions = 50'000, baseline_sessions = 5'000, batch_max = 5000;
  app.add_option("--database", url, "PostgreSQL URL")->required();
  app.add_option("--sessions", sessions, "Sessions for the store run (12 events each)");
  app.add_option("--baseline-sessions", baseline_sessions, "Sessions for the INSERT baseline (12 events each)");
  app.add_option("--batch-events-max", batch_max, "Events per transaction, both runs");
  app.add_option("--journal", journal, "Journal folder (emptied first)");
  app.add_option("--migrations", migrations, "Folder of migrations to apply");
  CLI11_PARSE(app, argc, argv);

  const auto report = sb::store::migrate(url, migrations);
  if (!report.ok) {
    std::cerr << "migrate: " << report.error << "\n";
    return 1;
  }
  std::filesystem::remove_all(journal);
  const auto store_events = make_events("st" + std::to_string(::getpid()), sessions);
  const auto base_events = make_events("bl" + std::to_string(::getpid()), baseline_sessions);
  std::uint64_t syncs = 0;
  const double base_s = run_baseline(url, base_events, batch_max);
  const double store_s = run_store(url, migrations, journal, store_events, batch_max, syncs);
  std::filesystem::remove_all(journal);
  const double store_rate = static_cast<double>(store_events.size()) / store_s;
  const double base_rate = static_cast<double>(base_events.size()) / base_s;
  std::printf("| method | events | seconds | events/s |\n|---|---:|---:|---:|\n");
  std::printf("| store: journal fsync per batch + COPY + apply | %zu | %.2f | %.0f |\n", store_events.size(), store_s, store_rate);
  std::printf("| baseline: row-by-row INSERT + same apply | %zu | %.2f | %.0f |\n", base_events.size(), base_s, base_rate);
  std::printf("\nstore / baseline: %.1fx; journal fsyncs: %llu; goal >= 50000 events/s: %s\n", store_rate / base_rate,
              static_cast<unsigned long long>(syncs), store_rate >= 50'000 ? "met" : "MISSED");
  return 0;
}
