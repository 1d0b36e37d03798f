#include "replay.hpp"

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <google/protobuf/util/message_differencer.h>

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <sstream>
#include <unordered_map>

#include <unistd.h>

#include "app/config.hpp"
#include "app/trace_io.hpp"
#include "core/proto_time.hpp"
#include "async_ws.hpp"
#include "net/codec.hpp"
#include "net/token.hpp"
#include "net/ws_client.hpp"
#include "sim/trace_customer.hpp"
#include "workers.hpp"

namespace sb::load {

namespace asio = boost::asio;
namespace v1 = switchboard::v1;
using Steady = std::chrono::steady_clock;
using core::TimeMs;

namespace {

// Blocking HTTP calls (orders) off the event loop, in order.
class HttpWorker {
 public:
  HttpWorker(std::string host, unsigned short port) : host_(std::move(host)), port_(port), thread_([this] { run(); }) {}
  ~HttpWorker() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  void post(std::string target, std::string body, std::string bearer) {
    {
      std::lock_guard lock(mu_);
      jobs_.push_back({std::move(target), std::move(body), std::move(bearer)});
    }
    cv_.notify_one();
  }
  int failures() const { return failures_; }
  std::size_t pending() {
    std::lock_guard lock(mu_);
    return jobs_.size() + (busy_ ? 1 : 0);
  }

 private:
  struct Job {
    std::string target, body, bearer;
  };
  void run() {
    for (;;) {
      Job j;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return done_ || !jobs_.empty(); });
        if (jobs_.empty()) return;
        j = std::move(jobs_.front());
        jobs_.pop_front();
        busy_ = true;
      }
      const auto r = net::http_call(host_, port_, "POST", j.target, j.body, j.bearer);
      if (r.status != 200) {
        ++failures_;
        std::fprintf(stderr, "order refused: %d %s\n", r.status, r.body.c_str());
      }
      std::lock_guard lock(mu_);
      busy_ = false;
    }
  }
  std::string host_;
  unsigned short port_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  bool done_ = false, busy_ = false;
  std::atomic<int> failures_{0};
  std::thread thread_;
};

// A trace's chat played live: the customer's behaviour (the simulator's own, sim/trace_customer)
// and its connection.
struct Chat {
  sim::TraceCustomer customer;
  std::shared_ptr<AsyncWs> ws;
  bool departed = false;
};

std::string key(const std::string& shop, const std::string& person) { return shop + '\x1f' + person; }

// Online time to the second is not compared (each shift change may land up to jitter x speed
// late): strips it from both, shop and hours (agents are not compared at all), and returns how
// far the hours' online time was apart in all.
long without_online_time(v1::ShopFigures& a, v1::ShopFigures& b) {
  a.clear_agents();
  b.clear_agents();
  a.mutable_figures()->set_online_duration_s(0);
  b.mutable_figures()->set_online_duration_s(0);
  long off = 0;
  for (int h = 0; h < a.hours_size() && h < b.hours_size(); ++h) {
    off += std::labs(static_cast<long>(a.hours(h).figures().online_duration_s()) - static_cast<long>(b.hours(h).figures().online_duration_s()));
    a.mutable_hours(h)->mutable_figures()->set_online_duration_s(0);
    b.mutable_hours(h)->mutable_figures()->set_online_duration_s(0);
  }
  return off;
}

class Replayer {
 public:
  Replayer(const ReplayOptions& o, std::string label, sim::Trace trace, app::AppConfig cfg)
      : o_(o), label_(std::move(label)), trace_(std::move(trace)), cfg_(std::move(cfg)), http_(o.host, o.port),
        server_(asio::ip::make_address(o.host), o.port) {}

  int run() {
    if (!sync_clock()) return 2;
    // A worker plays every P-th shop of the trace; shops share no state, so each worker's
    // figures are exact on their own.
    std::set<std::string> configured;
    for (const auto& s : cfg_.shops) configured.insert(s.id);
    for (int i = 0; i < trace_.header.shop_ids_size(); ++i) {
      const std::string& id = trace_.header.shop_ids(i);
      if (configured.count(id) && (o_.part < 0 || i % o_.processes == o_.part)) shops_.insert({id, true});
    }
    next_record_ = 0;
    started_ = Steady::now();
    schedule_records();
    progress();
    ioc_.run();
    return finish();
  }

 private:
  Steady::time_point real_at(TimeMs v) const {
    return probe_real_ + std::chrono::microseconds(static_cast<std::int64_t>((v - probe_virtual_) * 1000.0 / o_.speed));
  }

  TimeMs ping_server() {
    net::WsClient c;
    if (auto e = c.connect(o_.host, o_.port); !e.empty()) {
      std::fprintf(stderr, "switchboard-load: cannot connect to %s:%u: %s\n", o_.host.c_str(), o_.port, e.c_str());
      return -1;
    }
    c.send_text(R"({"requestId":"p","ping":{}})");
    const auto reply = c.recv(std::chrono::seconds(5));
    v1::ServerMessage m;
    std::string err;
    if (!reply || !net::from_json(*reply, m, err) || !m.has_pong()) return -1;
    return core::time_of(m.pong().server_time());
  }

  // Maps trace time to real time from the server's own clock, and checks its speed.
  bool sync_clock() {
    const auto r0 = Steady::now();
    const TimeMs v0 = ping_server();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const auto r1 = Steady::now();
    const TimeMs v1 = ping_server();
    if (v0 < 0 || v1 < 0) {
      std::fprintf(stderr, "switchboard-load: the server at %s:%u did not answer a ping\n", o_.host.c_str(), o_.port);
      return false;
    }
    const double real_ms = std::chrono::duration<double, std::milli>(r1 - r0).count();
    const double speed = static_cast<double>(v1 - v0) / real_ms;
    if (speed < o_.speed * 0.8 || speed > o_.speed * 1.2) {
      std::fprintf(stderr, "switchboard-load: the server's clock runs at %.1fx, not %.0fx: start it with --clock scaled --speed %.0f\n",
                   speed, o_.speed, o_.speed);
      return false;
    }
    probe_real_ = r1;
    probe_virtual_ = v1;
    TimeMs first = trace_.header.end_ms();
    for (const auto& r : trace_.records) first = std::min(first, sim::record_time(r));
    const TimeMs lead = static_cast<TimeMs>(2000 * o_.speed);  // two real seconds to get going
    if (first < v1 + lead || first > v1 + lead + static_cast<TimeMs>(60'000 * o_.speed)) {
      std::fprintf(stderr,
                   "switchboard-load: the server's clock is at %s but the trace starts at %s: start the server with "
                   "--clock scaled --speed %.0f --clock-start %s\n",
                   core::format_rfc3339_utc(v1).c_str(), core::format_rfc3339_utc(first).c_str(), o_.speed,
                   core::format_rfc3339_utc(first - static_cast<TimeMs>(5000 * o_.speed)).c_str());
      return false;
    }
    return true;
  }


  // One timer walks the records in time order.
  void schedule_records() {
    if (next_record_ >= trace_.records.size()) {
      maybe_done();
      return;
    }
    record_timer_.expires_at(real_at(sim::record_time(trace_.records[next_record_])));
    record_timer_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      const auto now = Steady::now();
      note_lateness(now - record_timer_.expiry());
      while (next_record_ < trace_.records.size() && real_at(sim::record_time(trace_.records[next_record_])) <= now)
        play(trace_.records[next_record_++]);
      schedule_records();
    });
  }

  template <typename F>
  void after(TimeMs virtual_ms, F&& f) {
    auto t = std::make_shared<asio::steady_timer>(ioc_);
    t->expires_after(std::chrono::microseconds(static_cast<std::int64_t>(virtual_ms * 1000.0 / o_.speed)));
    t->async_wait([this, t, f = std::forward<F>(f)](boost::system::error_code ec) {
      if (ec) return;
      note_lateness(Steady::now() - t->expiry());
      f();
    });
  }

  // How late timers fire, in real time: the replay's jitter, reported at the end.
  void note_lateness(Steady::duration late) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(late).count();
    std::size_t bucket = 0;
    while (bucket + 1 < late_us_.size() && us >= (std::int64_t{1} << (bucket + 1)) * 100) ++bucket;  // 100 us, 200, 400, ...
    ++late_us_[bucket];
    late_max_us_ = std::max<std::int64_t>(late_max_us_, us);
  }

  double late_p99_ms() const {
    std::uint64_t total = 0, seen = 0;
    for (auto n : late_us_) total += n;
    for (std::size_t b = 0; b < late_us_.size(); ++b) {
      seen += late_us_[b];
      if (total > 0 && seen * 100 >= total * 99) return static_cast<double>(std::int64_t{1} << (b + 1)) * 0.1;
    }
    return 0;
  }

  // Connection n's local address: worker i uses 127.0.0.(1 + i*S) .. 127.0.0.((i+1)*S), so
  // workers never share a source address's ephemeral ports; empty: the kernel's choice.
  std::string source_for(std::size_t n) const {
    if (o_.sources <= 1 && o_.part < 0) return {};
    const int first = 1 + std::max(0, o_.part) * o_.sources;
    return "127.0.0." + std::to_string(first + static_cast<int>(n % static_cast<std::size_t>(o_.sources)));
  }

  bool plan_has_agent(const std::string& shop, const std::string& agent) const {
    for (const auto& sc : cfg_.shops)
      if (sc.id == shop)
        return std::any_of(sc.agents.begin(), sc.agents.end(), [&](const auto& a) { return a.id == agent; });
    return false;
  }

  std::shared_ptr<AsyncWs> agent_conn(const std::string& shop, const std::string& agent) {
    auto& conn = agents_[key(shop, agent)];
    if (conn) return conn;
    conn = std::make_shared<AsyncWs>(
        ioc_, [](const v1::ServerMessage&) {},
        [this, shop, agent](const std::string& why) {
          if (!why.empty()) note_error("agent " + agent + ": " + why);
        });
    conn->open(server_, source_for(agents_.size()), "/ws/shops/" + shop);
    v1::ClientMessage hello;
    hello.mutable_hello()->set_role(v1::ROLE_AGENT);
    hello.mutable_hello()->set_shop_id(shop);
    hello.mutable_hello()->set_token(net::mint_token(cfg_.server.keys, shop, agent, "agent", 86'400));
    conn->send(hello);
    return conn;
  }

  void play(const v1::TraceRecord& r) {
    switch (r.body_case()) {
      case v1::TraceRecord::kAgentStatus: {
        const auto& s = r.agent_status();
        if (!shops_.count(s.shop_id())) return;
        ++shift_changes_[s.shop_id()];
        v1::ClientMessage m;
        m.mutable_set_agent_status()->set_status(s.status());
        agent_conn(s.shop_id(), s.agent_id())->send(m);
        return;
      }
      case v1::TraceRecord::kArrival: arrive(r.arrival()); return;
      case v1::TraceRecord::kOrder: {
        const auto& o = r.order().order();
        if (!shops_.count(o.shop_id())) return;
        http_.post("/api/v1/shops/" + o.shop_id() + "/orders", net::to_json(o),
                   net::mint_token(cfg_.server.keys, o.shop_id(), "replay", "orders", 86'400));
        ++orders_;
        return;
      }
      case v1::TraceRecord::kLeftReply: {
        const auto& l = r.left_reply();
        auto it = left_ids_.find(key(l.shop_id(), l.member_id()));
        if (it == left_ids_.end()) return;
        v1::ClientMessage m;
        m.mutable_reply_left_message()->set_message_id(it->second);
        m.mutable_reply_left_message()->set_text(l.text().empty() ? "replied" : l.text());
        agent_conn(l.shop_id(), l.agent_id())->send(m);
        left_ids_.erase(it);
        return;
      }
      default: return;
    }
  }

  void arrive(const v1::TraceArrival& a) {
    if (!shops_.count(a.shop_id())) return;
    const auto idx = static_cast<std::uint32_t>(chats_.size());
    const std::string shop = a.shop_id();
    chats_.push_back(Chat{sim::TraceCustomer(&a, [this, shop](const std::string& id) { return plan_has_agent(shop, id); }), nullptr, false});
    ++open_customers_;
    ++arrivals_;
    auto ws = std::make_shared<AsyncWs>(
        ioc_, [this, idx](const v1::ServerMessage& m) { on_customer_message(idx, m); },
        [this, idx](const std::string& why) {
          if (!why.empty()) note_error("customer " + chats_[idx].customer.arrival().member_id() + ": " + why);
          depart(idx, false);
        });
    chats_[idx].ws = ws;
    ws->open(server_, source_for(idx), "/ws/shops/" + shop);
    v1::ClientMessage hello;
    hello.mutable_hello()->set_role(v1::ROLE_CUSTOMER);
    hello.mutable_hello()->set_shop_id(a.shop_id());
    hello.mutable_hello()->set_token(net::mint_token(cfg_.server.keys, a.shop_id(), a.member_id(), "customer", 86'400, a.tier()));
    ws->send(hello);
    for (const auto& m : chats_[idx].customer.opening()) ws->send(m);
    if (auto p = chats_[idx].customer.patience()) plan(idx, *p);
  }

  void plan(std::uint32_t idx, const sim::Planned& p) {
    after(p.after_ms, [this, idx, p] { act(idx, p); });
  }

  // A planned action of the trace's customer (or its leg's agent) is due.
  void act(std::uint32_t idx, const sim::Planned& p) {
    Chat& c = chats_[idx];
    if (c.departed) return;
    auto out = c.customer.fire(p);
    if (!out) {
      if (p.what == sim::Planned::What::step) ++steps_skipped_;
      return;
    }
    auto& m = out->message;
    if (m.has_leave_message()) m.set_request_id("lm");  // its ack names the message, then the customer goes
    if (m.body_case() != v1::ClientMessage::BODY_NOT_SET) {
      if (out->from == sim::Outgoing::From::agent) agent_conn(c.customer.arrival().shop_id(), c.customer.agent())->send(m);
      else c.ws->send(m);
      if (p.what == sim::Planned::What::step) ++messages_out_;
    }
    if (out->leaves_after) depart(idx, true);
  }

  void on_customer_message(std::uint32_t idx, const v1::ServerMessage& m) {
    Chat& c = chats_[idx];
    ++messages_in_;
    if (c.departed) return;
    if (m.has_ack() && m.request_id() == "lm") {
      left_ids_[key(c.customer.arrival().shop_id(), c.customer.arrival().member_id())] = m.ack().id();
      depart(idx, true);
      return;
    }
    if (m.has_error()) {
      note_error("customer " + c.customer.arrival().member_id() + ": " + m.error().message());
      return;
    }
    for (const auto& p : c.customer.on_server_message(m)) plan(idx, p);
  }

  void depart(std::uint32_t idx, bool goodbye) {
    Chat& c = chats_[idx];
    if (c.departed) return;
    c.departed = true;
    c.customer.gone();
    --open_customers_;
    if (goodbye) c.ws->close();
    c.ws.reset();  // the connection keeps itself alive until it has closed
    maybe_done();
  }

  void maybe_done() {
    if (next_record_ < trace_.records.size() || open_customers_ > 0 || finishing_) return;
    finishing_ = true;
    // Let the server's timers play out to the end of the trace (rating windows, the last
    // left-message replies), then stop.
    auto t = std::make_shared<asio::steady_timer>(ioc_);
    t->expires_at(std::max(Steady::now() + std::chrono::milliseconds(500), real_at(trace_.header.end_ms())));
    t->async_wait([this, t](boost::system::error_code) {
      for (auto& [k, a] : agents_) a->close();
      progress_timer_.cancel();
      record_timer_.cancel();
      // Leftover timers of chats already gone (patience, unscripted replies) have nothing to do.
      t->expires_after(std::chrono::milliseconds(300));
      t->async_wait([this, t](boost::system::error_code) { ioc_.stop(); });
    });
  }

  void note_error(const std::string& text) {
    if (++errors_ <= 10) std::fprintf(stderr, "\nswitchboard-load: %s\n", text.c_str());
  }

  void progress() {
    if (!o_.progress && o_.part < 0) return;
    progress_timer_.expires_after(std::chrono::seconds(1));
    progress_timer_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      if (o_.part >= 0) {  // a worker: one machine-readable line for the parent's bar
        std::printf("PROGRESS %zu %zu %zu %lu %lu %d\n", next_record_, trace_.records.size(), open_customers_,
                    static_cast<unsigned long>(messages_out_), static_cast<unsigned long>(messages_in_), errors_);
        std::fflush(stdout);
        progress();
        return;
      }
      const double done = trace_.records.empty() ? 1 : static_cast<double>(next_record_) / static_cast<double>(trace_.records.size());
      const int bar = static_cast<int>(done * 30);
      const double secs = std::chrono::duration<double>(Steady::now() - started_).count();
      // A bar redrawn in place on a terminal; a line every 10 s in a log.
      if (tty_ || ++ticks_ % 10 == 0)
        std::fprintf(stderr, "%s[%-30s] %3.0f%%  %6.0fs  customers %6zu open  %8.0f msg/s out  %8.0f msg/s in  errors %d%s",
                     tty_ ? "\r" : "", std::string(static_cast<std::size_t>(bar), '#').c_str(), 100 * done, secs,
                     open_customers_, static_cast<double>(messages_out_ - last_out_),
                     static_cast<double>(messages_in_ - last_in_), errors_, tty_ ? " " : "\n");
      last_out_ = messages_out_;
      last_in_ = messages_in_;
      progress();
    });
  }

  int finish() {
    while (http_.pending() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const double secs = std::chrono::duration<double>(Steady::now() - started_).count();
    if (o_.part < 0) std::fprintf(stderr, "\n");
    std::printf("%sreplayed %s (%zu shops) at %.0fx in %.1f s: %lu arrivals, %lu orders, %lu messages in, %lu scripted steps sent, %lu skipped, %d errors\n",
                o_.part >= 0 ? ("worker " + std::to_string(o_.part) + ": ").c_str() : "", label_.c_str(), shops_.size(), o_.speed, secs, static_cast<unsigned long>(arrivals_), static_cast<unsigned long>(orders_),
                static_cast<unsigned long>(messages_in_), static_cast<unsigned long>(messages_out_),
                static_cast<unsigned long>(steps_skipped_), errors_ + http_.failures());
    const std::string admin = net::mint_token(cfg_.server.keys, "*", "replay", "admin", 3600);
    std::printf("%stimers fired late by p99 <= %.1f ms, at most %.1f ms of real time (x%.0f: %.2f s and %.2f s of trace time)\n",
                o_.part >= 0 ? ("worker " + std::to_string(o_.part) + ": ").c_str() : "", late_p99_ms(),
                static_cast<double>(late_max_us_) / 1000.0, o_.speed, late_p99_ms() * o_.speed / 1000.0,
                static_cast<double>(late_max_us_) * o_.speed / 1e6);
    if (o_.part >= 0)
      std::printf("TOTALS %lu %lu %lu %lu %lu %d\n", static_cast<unsigned long>(arrivals_), static_cast<unsigned long>(orders_),
                  static_cast<unsigned long>(messages_in_), static_cast<unsigned long>(messages_out_),
                  static_cast<unsigned long>(steps_skipped_), errors_ + http_.failures());
    bool all_same = !trace_.figures.empty();
    for (const auto& own : trace_.figures) {
      if (!shops_.count(own.shop_id())) continue;  // another worker's
      const auto r = net::http_call(o_.host, o_.port, "GET", "/api/v1/shops/" + own.shop_id() + "/figures?date=" + own.date(), {}, admin);
      v1::ShopFigures live;
      std::string err;
      if (r.status != 200 || !net::from_json(r.body, live, err)) {
        std::printf("%s: figures not available: %d %s\n", own.shop_id().c_str(), r.status, r.body.c_str());
        all_same = false;
        continue;
      }
      // Equal means every count and ratio of the shop, its hours, skills and categories. Not
      // compared: which of several idle agents took a chat (it follows sub-second order, which
      // a network shifts) and online time to the second (each shift change may land up to
      // jitter x speed late); both are reported.
      v1::ShopFigures a = live, b = own;
      const long online_diff = static_cast<long>(a.figures().online_duration_s()) - static_cast<long>(b.figures().online_duration_s());
      const long online_tolerance = static_cast<long>(shift_changes_[own.shop_id()]);
      const long hours_off = without_online_time(a, b);
      google::protobuf::util::MessageDifferencer diff;
      std::string report;
      diff.ReportDifferencesToString(&report);
      const bool same = diff.Compare(a, b) && std::labs(online_diff) <= online_tolerance && hours_off <= online_tolerance;
      const bool agents_same = google::protobuf::util::MessageDifferencer::Equals(live, own);
      all_same = all_same && same;
      auto line = [](const char* who, const v1::FigureSet& f) {
        std::printf("  %-6s connection %u/%u  45-s %u/%u  breaches %u  rating %u/%u  satisfied %u/%u  replied %u/%u  conversion %u/%u\n",
                    who, f.connection_rate().numerator(), f.connection_rate().denominator(), f.response_45s_rate().numerator(),
                    f.response_45s_rate().denominator(), f.first_response_breaches(), f.rating_rate().numerator(),
                    f.rating_rate().denominator(), f.satisfaction().numerator(), f.satisfaction().denominator(),
                    f.message_reply_rate().numerator(), f.message_reply_rate().denominator(),
                    f.inquiry_conversion_rate().numerator(), f.inquiry_conversion_rate().denominator());
      };
      std::printf("%s %s: %s; online %+ld s (tolerance %ld s); per-agent split %s\n", own.shop_id().c_str(),
                  own.date().c_str(), same ? "the same as the trace's own" : "DIFFERS", online_diff, online_tolerance,
                  agents_same ? "the same" : "differs (not compared)");
      line("live", live.figures());
      if (!same) {
        line("trace", own.figures());
        std::printf("  where (live vs trace):\n");
        std::istringstream lines(report);
        std::string l;
        for (int n = 0; n < 12 && std::getline(lines, l); ++n) std::printf("    %s\n", l.c_str());
      }
    }
    if (o_.expect_same && !all_same) return 1;
    return 0;
  }

  const ReplayOptions& o_;
  std::string label_;
  sim::Trace trace_;
  app::AppConfig cfg_;
  HttpWorker http_;
  asio::io_context ioc_{1};
  asio::ip::tcp::endpoint server_;
  asio::steady_timer record_timer_{ioc_};
  asio::steady_timer progress_timer_{ioc_};
  Steady::time_point probe_real_, started_;
  TimeMs probe_virtual_ = 0;
  std::map<std::string, bool> shops_;
  std::map<std::string, std::size_t> shift_changes_;  // agent status records played, per shop
  std::size_t next_record_ = 0;
  std::vector<Chat> chats_;
  std::unordered_map<std::string, std::shared_ptr<AsyncWs>> agents_;
  std::unordered_map<std::string, std::string> left_ids_;
  std::size_t open_customers_ = 0;
  std::uint64_t arrivals_ = 0, orders_ = 0, messages_in_ = 0, messages_out_ = 0, steps_skipped_ = 0;
  std::uint64_t last_in_ = 0, last_out_ = 0;
  std::array<std::uint64_t, 16> late_us_{};
  std::int64_t late_max_us_ = 0;
  int errors_ = 0;
  bool finishing_ = false;
  bool tty_ = isatty(2) != 0;
  std::uint64_t ticks_ = 0;
};

}  // namespace

int replay(const ReplayOptions& o) {
  if (o.processes > 1 && o.part < 0) return run_workers(o);
  sim::Trace trace;
  std::string label = o.trace;
  if (o.synthetic) {
    const auto& so = *o.synthetic;
    trace = app::generate_day(so).trace;
    label = "synthetic day";
  } else if (auto e = app::read_trace(o.trace, trace); !e.empty()) {
    std::fprintf(stderr, "switchboard-load: %s\n", e.c_str());
    return 2;
  }
  app::AppConfig cfg;
  try {
    cfg = app::load_config(o.config);
  } catch (const app::ConfigError& e) {
    std::fprintf(stderr, "switchboard-load: %s\n", e.what());
    return 2;
  }
  label += " [" + trace.header.source() + "]";
  Replayer r(o, std::move(label), std::move(trace), std::move(cfg));
  return r.run();
}

}  // namespace sb::load
