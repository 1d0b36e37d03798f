#include "trace_export.hpp"

#include "history_names.hpp"

#include <pqxx/pqxx>

#include <algorithm>
#include <unordered_map>

namespace sb::store {

namespace v1 = switchboard::v1;

namespace {

// Status names as the writer keeps them (history_names.hpp); an unknown one reads as offline.
switchboard::v1::AgentStatus status_of(const pqxx::field& f) {
  return enum_from_sql<switchboard::v1::AgentStatus>(f.c_str()).value_or(switchboard::v1::AGENT_STATUS_OFFLINE);
}


// Epoch milliseconds of a timestamptz column, -1 for NULL. Events are stored at whole
// milliseconds, so the rounding is exact.
std::string ms(const std::string& column) {
  return "coalesce(round(extract(epoch FROM " + column + ") * 1000)::bigint, -1)";
}

struct Leg {
  std::string agent, skill;
  std::int64_t started = -1, first_reply = -1, ended = -1;
  bool transferred_out = false;
  std::vector<v1::TraceStep> steps;
};

struct SessionRow {
  std::int64_t closed = -1;
  switchboard::v1::CloseReason reason = switchboard::v1::CLOSE_REASON_UNSPECIFIED;
  int rating = 0;
  std::vector<Leg> legs;
  std::string first_text;
  bool first_seen = false;
};

class ShopExport {
 public:
  ShopExport(pqxx::read_transaction& tx, const TraceExportShop& shop, core::DayNumber day, TraceExportReport& report)
      : tx_(tx), shop_(shop), report_(report) {
    start_ = shop.zone.day_start(day);
    day_end_ = start_ + core::ms_per_day;
    window_end_ = day_end_ + shop.attribution_window_ms;
    date_ = core::format_date(day);
  }

  // Appends the shop's records; returns the latest moment anything of the day still happens.
  std::int64_t run(std::vector<v1::TraceRecord>& out) {
    agent_statuses(out);
    sessions();
    arrivals(out);
    orders(out);
    return last_;
  }

  std::int64_t start() const { return start_; }

 private:
  // $1 is always the shop; the rest as each query needs them.
  template <class... Args>
  pqxx::result query(const std::string& sql, Args&&... args) {
    return tx_.exec_params(sql, shop_.id, std::forward<Args>(args)...);
  }
  void seen(std::int64_t t) { last_ = std::max(last_, t); }
  void note(const std::string& what, std::uint64_t n) {
    if (n > 0) report_.notes.push_back(shop_.id + ": " + std::to_string(n) + " " + what);
  }

  void agent_statuses(std::vector<v1::TraceRecord>& out) {
    auto add = [&](const std::string& agent, std::int64_t at, v1::AgentStatus status) {
      auto* s = out.emplace_back().mutable_agent_status();
      s->set_at_ms(at);
      s->set_shop_id(shop_.id);
      s->set_agent_id(agent);
      s->set_status(status);
      ++report_.agent_changes;
      seen(at);
    };
    // Where each agent stood when the day began.
    for (const auto& row : query("SELECT DISTINCT ON (agent_id) agent_id, status FROM agent_status_changes "
                                 "WHERE shop_id = $1 AND at < to_timestamp($2 / 1000.0) "
                                 "ORDER BY agent_id, at DESC, length(event_id) DESC, event_id DESC",
                                 start_))
      if (status_of(row[1]) != v1::AGENT_STATUS_OFFLINE) add(row[0].c_str(), start_, status_of(row[1]));
    for (const auto& row : query("SELECT agent_id, " + ms("at") + ", status FROM agent_status_changes "
                                 "WHERE shop_id = $1 AND at >= to_timestamp($2 / 1000.0) AND at < to_timestamp($3 / 1000.0) "
                                 "ORDER BY at, length(event_id), event_id",
                                 start_, window_end_))
      add(row[0].c_str(), row[1].as<std::int64_t>(), status_of(row[2]));
  }

  void sessions() {
    for (const auto& row : query("SELECT session_id, " + ms("closed_at") + ", coalesce(close_reason, ''), coalesce(rating, 0) "
                                 "FROM sessions WHERE shop_id = $1 AND day = $2::date",
                                 date_)) {
      SessionRow& s = sessions_[row[0].c_str()];
      s.closed = row[1].as<std::int64_t>();
      s.reason = enum_from_sql<v1::CloseReason>(row[2].c_str()).value_or(v1::CLOSE_REASON_UNSPECIFIED);
      s.rating = row[3].as<int>();
      seen(s.closed);
    }
    for (const auto& row : query("SELECT l.session_id, l.agent_id, l.skill, " + ms("l.started_at") + ", " + ms("l.first_reply_at") +
                                 ", " + ms("l.ended_at") + ", coalesce(l.transferred_out, false) FROM legs l "
                                 "JOIN sessions s USING (session_id) WHERE s.shop_id = $1 AND s.day = $2::date "
                                 "ORDER BY l.session_id, l.leg",
                                 date_)) {
      auto it = sessions_.find(row[0].c_str());
      if (it == sessions_.end()) continue;
      Leg leg;
      leg.agent = row[1].c_str();
      leg.skill = row[2].c_str();
      leg.started = row[3].as<std::int64_t>();
      leg.first_reply = row[4].as<std::int64_t>();
      leg.ended = row[5].as<std::int64_t>();
      leg.transferred_out = row[6].as<bool>();
      it->second.legs.push_back(std::move(leg));
    }
    std::uint64_t before_assignment = 0, foreign = 0;
    for (const auto& row : query("SELECT m.session_id, " + ms("m.at") + ", m.sender, m.sender_id, m.body FROM messages m "
                                 "JOIN sessions s USING (session_id) WHERE s.shop_id = $1 AND s.day = $2::date "
                                 "AND m.at >= to_timestamp($3 / 1000.0) AND m.at < to_timestamp($4 / 1000.0) "
                                 "ORDER BY m.session_id, m.at, length(m.event_id), m.event_id",
                                 date_, start_, window_end_)) {
      auto it = sessions_.find(row[0].c_str());
      if (it == sessions_.end() || it->second.legs.empty()) continue;
      SessionRow& s = it->second;
      const std::int64_t at = row[1].as<std::int64_t>();
      const v1::Sender sender = enum_from_sql<v1::Sender>(row[2].c_str()).value_or(v1::SENDER_UNSPECIFIED);
      if (sender == v1::SENDER_SYSTEM) continue;
      if (sender == v1::SENDER_CUSTOMER && !s.first_seen) {  // the message that started the request
        s.first_seen = true;
        s.first_text = row[4].c_str();
        continue;
      }
      // The leg this message belongs to: the last one started by then.
      Leg* leg = nullptr;
      for (auto& l : s.legs)
        if (l.started <= at) leg = &l;
      if (leg == nullptr) {
        ++before_assignment;  // written while queued: a trace starts its steps at the assignment
        continue;
      }
      v1::TraceStep step;
      step.set_after_ms(at - leg->started);
      step.set_text(row[4].c_str());
      if (sender == v1::SENDER_CUSTOMER) {
        step.set_kind(v1::TraceStep::KIND_CUSTOMER_TEXT);
      } else if (row[3].c_str() == leg->agent) {
        step.set_kind(v1::TraceStep::KIND_AGENT_TEXT);
      } else {
        ++foreign;  // someone other than the leg's agent
        continue;
      }
      leg->steps.push_back(std::move(step));
      seen(at);
    }
    note("customer messages written while queued (after the first) left out", before_assignment);
    note("agent messages by someone other than the leg's agent left out", foreign);
  }

  // The steps of one session's legs, from the messages, transfers and the close.
  void script(SessionRow& s, v1::TraceArrival& arrival) {
    std::uint64_t unscripted_transfers = 0;
    for (std::size_t i = 0; i < s.legs.size(); ++i) {
      Leg& leg = s.legs[i];
      const bool has_agent_text = std::any_of(leg.steps.begin(), leg.steps.end(),
                                              [](const auto& st) { return st.kind() == v1::TraceStep::KIND_AGENT_TEXT; });
      if (leg.first_reply >= 0 && !has_agent_text) {  // kept without transcripts (store.transcripts = false)
        auto& st = leg.steps.emplace_back();
        st.set_after_ms(leg.first_reply - leg.started);
        st.set_kind(v1::TraceStep::KIND_AGENT_TEXT);
        st.set_text("...");
      }
      if (leg.transferred_out && leg.ended >= 0) {
        if (i + 1 < s.legs.size()) {
          auto& st = leg.steps.emplace_back();
          st.set_after_ms(leg.ended - leg.started);
          st.set_kind(v1::TraceStep::KIND_TRANSFER);
          st.set_to_skill(s.legs[i + 1].skill);
          // Taken at once: to that agent (a transfer to a skill picks them again under the same plan).
          if (s.legs[i + 1].started == leg.ended) st.set_to_agent_id(s.legs[i + 1].agent);
        } else {
          ++unscripted_transfers;
        }
      }
      if (i + 1 == s.legs.size() && s.closed >= 0) {
        auto& st = leg.steps.emplace_back();
        st.set_after_ms(std::max<std::int64_t>(0, s.closed - leg.started));
        // A supervisor's close is played by the agent and a vanished customer's by the
        // customer: either way the session ends then, which is all the figures see.
        st.set_kind(s.reason == v1::CLOSE_REASON_CUSTOMER || s.reason == v1::CLOSE_REASON_CUSTOMER_LEFT
                        ? v1::TraceStep::KIND_CUSTOMER_CLOSE
                        : v1::TraceStep::KIND_AGENT_CLOSE);
      }
      std::stable_sort(leg.steps.begin(), leg.steps.end(), [](const auto& a, const auto& b) { return a.after_ms() < b.after_ms(); });
      auto* l = arrival.add_legs();
      for (auto& st : leg.steps) *l->add_steps() = std::move(st);
      report_.steps += static_cast<std::uint64_t>(l->steps_size());
    }
    note("transfers whose next leg never started left out", unscripted_transfers);
    if (s.rating > 0) {
      arrival.set_rating(s.rating);
      arrival.set_rating_after_ms(1000);  // the history keeps the final score, not its moment
      seen(s.closed + shop_.rating_window_ms);
    }
    if (!s.first_text.empty()) arrival.set_text(s.first_text);
    ++report_.sessions;
  }

  void arrivals(std::vector<v1::TraceRecord>& out) {
    struct Unconnected {
      std::size_t record;
      std::int64_t at;
    };
    std::unordered_map<std::string, std::vector<Unconnected>> by_member;  // where a left message may belong
    for (const auto& row : query("SELECT request_id, member_id, skill, coalesce(tier, 'C'), " + ms("begun_at") +
                                 ", outcome, coalesce(session_id, ''), " + ms("ended_at") +
                                 " FROM requests WHERE shop_id = $1 AND day = $2::date "
                                 "ORDER BY begun_at, length(request_id), request_id",
                                 date_)) {
      auto* a = out.emplace_back().mutable_arrival();
      a->set_at_ms(row[4].as<std::int64_t>());
      a->set_shop_id(shop_.id);
      a->set_member_id(row[1].c_str());
      a->set_skill(row[2].c_str());
      a->set_tier(enum_from_sql<v1::Tier>(row[3].c_str()).value_or(v1::TIER_C));
      a->set_text("hello");
      const std::string outcome = row[5].c_str();
      const std::int64_t ended = row[7].as<std::int64_t>();
      if (outcome == "abandoned" && ended >= a->at_ms()) a->set_patience_ms(std::max<std::int64_t>(1, ended - a->at_ms()));
      if (outcome == "no_agent" || outcome == "queue_full") by_member[a->member_id()].push_back({out.size() - 1, a->at_ms()});
      if (auto it = sessions_.find(row[6].c_str()); it != sessions_.end()) script(it->second, *a);
      ++report_.arrivals;
      seen(a->at_ms());
    }
    for (const auto& row : query("SELECT member_id, coalesce(skill, ''), " + ms("at") + " FROM outside_hours_messages "
                                 "WHERE shop_id = $1 AND at >= to_timestamp($2 / 1000.0) AND at < to_timestamp($3 / 1000.0) "
                                 "ORDER BY at, length(event_id), event_id",
                                 start_, day_end_)) {
      auto* a = out.emplace_back().mutable_arrival();
      a->set_at_ms(row[2].as<std::int64_t>());
      a->set_shop_id(shop_.id);
      a->set_member_id(row[0].c_str());
      a->set_skill(row[1].c_str());
      a->set_text("hello");
      by_member[a->member_id()].push_back({out.size() - 1, a->at_ms()});
      ++report_.arrivals;
      seen(a->at_ms());
    }
    std::uint64_t orphans = 0;
    for (const auto& row : query("SELECT member_id, body, " + ms("left_at") + ", " + ms("replied_at") +
                                 ", coalesce(replied_by, ''), coalesce(reply, '') FROM left_messages "
                                 "WHERE shop_id = $1 AND day = $2::date ORDER BY left_at, length(message_id), message_id",
                                 date_)) {
      const std::int64_t left_at = row[2].as<std::int64_t>();
      // The latest unconnected arrival of that member by then is the chat it was left from.
      const Unconnected* from = nullptr;
      for (const auto& u : by_member[row[0].c_str()])
        if (u.at <= left_at) from = &u;
      if (from == nullptr) {
        ++orphans;
        continue;
      }
      out[from->record].mutable_arrival()->set_left_message(row[1].c_str());
      ++report_.left_messages;
      const std::int64_t replied = row[3].as<std::int64_t>();
      if (replied >= 0 && replied < window_end_) {
        auto* r = out.emplace_back().mutable_left_reply();
        r->set_at_ms(replied);
        r->set_shop_id(shop_.id);
        r->set_member_id(row[0].c_str());
        r->set_agent_id(row[4].c_str());
        r->set_text(row[5].c_str());
        seen(replied);
      }
    }
    note("left messages with no unconnected chat of that member before them left out", orphans);
  }

  void orders(std::vector<v1::TraceRecord>& out) {
    for (const auto& row : query("SELECT order_id, member_id, coalesce(amount, 0), coalesce(category, ''), " + ms("received_at") +
                                 " FROM orders WHERE shop_id = $1 AND received_at >= to_timestamp($2 / 1000.0) "
                                 "AND received_at < to_timestamp($3 / 1000.0) ORDER BY received_at, order_id",
                                 start_, window_end_)) {
      auto* o = out.emplace_back().mutable_order();
      o->set_at_ms(row[4].as<std::int64_t>());
      o->mutable_order()->set_order_id(row[0].c_str());
      o->mutable_order()->set_shop_id(shop_.id);
      o->mutable_order()->set_member_id(row[1].c_str());
      o->mutable_order()->set_amount(row[2].as<double>());
      o->mutable_order()->set_category(row[3].c_str());
      ++report_.orders;
      seen(o->at_ms());
    }
  }

  pqxx::read_transaction& tx_;
  const TraceExportShop& shop_;
  TraceExportReport& report_;
  std::int64_t start_ = 0, day_end_ = 0, window_end_ = 0, last_ = 0;
  std::string date_;
  std::unordered_map<std::string, SessionRow> sessions_;
};

}  // namespace

TraceExportReport export_trace(const TraceExportOptions& options, sim::Trace& trace) {
  TraceExportReport report;
  const auto day = core::parse_date(options.day);
  if (!day) {
    report.error = "day \"" + options.day + "\" is not a date (YYYY-MM-DD)";
    return report;
  }
  if (options.shops.empty()) {
    report.error = "no shop to export";
    return report;
  }
  trace = sim::Trace{};
  std::int64_t start = INT64_MAX, last = 0;
  try {
    pqxx::connection conn(options.database_url);
    pqxx::read_transaction tx(conn);  // one snapshot: a writer running meanwhile cannot tear the day
    for (const auto& shop : options.shops) {
      ShopExport e(tx, shop, *day, report);
      start = std::min(start, e.start());
      last = std::max(last, e.run(trace.records));
      trace.header.add_shop_ids(shop.id);
    }
  } catch (const pqxx::undefined_column& e) {
    report.error = std::string("the database predates migration 0004 (run switchboard migrate): ") + e.what();
    return report;
  } catch (const std::exception& e) {
    report.error = std::string("reading the history: ") + e.what();
    return report;
  }
  // By time; within a millisecond statuses stay before arrivals, then orders and replies, the
  // order they were appended in (an agent online before the first customer, as live).
  std::stable_sort(trace.records.begin(), trace.records.end(),
                   [](const v1::TraceRecord& a, const v1::TraceRecord& b) { return sim::record_time(a) < sim::record_time(b); });
  trace.header.set_format("switchboard.trace.v1");
  trace.header.set_day(options.day);
  trace.header.set_source("export from PostgreSQL day=" + options.day);
  trace.header.set_start_ms(start);
  trace.header.set_end_ms(std::max(start, last) + 1);
  return report;
}

}  // namespace sb::store
