// Benchmarks against the real binary, each side by side with its baseline:
//   metrics-scrape   /metrics with 50 shops (series and bytes), against /healthz on the same
//                    connection path: the scrape's own cost
//   slow-agent       20 customer/agent pairs chat while an agent that stopped reading is sent
//                    10,000 messages: its send queue stays at the bound (it is closed there),
//                    server RSS growth, and the pairs' p50/p99 latency before and during.
//   latency          end-to-end customer -> agent latency at 10,000 connections, and from the
//                    server's /metrics after the same run the routing core's call time p99
//   slow-handshakes  a real client's connect+hello time alone, then under slowhttptest's 500
//                    slow handshakes (slowloris), and whether every slow socket was closed.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include "support/server_process.hpp"

extern char** environ;

namespace {

using namespace sb::test;
using Clock = std::chrono::steady_clock;
using BC = switchboard::v1::ServerMessage::BodyCase;

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

long rss_kb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

// Prometheus's histogram_quantile over every series of one histogram on a /metrics page:
// buckets summed across labels, linear inside the bucket holding the quantile. Also returns
// the bucket's upper bound, which is what the measurement can honestly promise.
struct Quantile {
  double value_s = 0, bucket_le_s = 0, count = 0;
};
Quantile histogram_quantile(const std::string& metrics, const std::string& name, double q) {
  std::map<double, double> cumulative;  // le -> count
  std::istringstream lines(metrics);
  const std::string prefix = name + "_bucket{";
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(prefix, 0) != 0) continue;
    const auto le = line.find("le=\"");
    if (le == std::string::npos) continue;
    const std::string bound = line.substr(le + 4, line.find('"', le + 4) - le - 4);
    const double b = bound == "+Inf" ? std::numeric_limits<double>::infinity() : std::stod(bound);
    cumulative[b] += std::stod(line.substr(line.rfind(' ') + 1));
  }
  Quantile r;
  if (cumulative.empty()) return r;
  r.count = cumulative.rbegin()->second;
  const double rank = q * r.count;
  double lower = 0, below = 0;
  for (const auto& [le, n] : cumulative) {
    if (n >= rank) {
      r.bucket_le_s = le;
      r.value_s = std::isinf(le) ? lower : lower + (le - lower) * (n > below ? (rank - below) / (n - below) : 1);
      return r;
    }
    lower = le;
    below = n;
  }
  return r;
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

std::string hello_customer(const std::string& member) {
  return customer_hello("bench", member, "h");
}

std::string hello_agent(const ServerProcess& s, const std::string& id) {
  return R"({"requestId":"h","hello":{"role":"ROLE_AGENT","shopId":"bench","token":")" + s.token("bench", id, "agent") +
         R"("}})";
}

std::string text_msg(const std::string& text) { return R"({"sendText":{"text":")" + text + R"("}})"; }

// ---------------------------------------------------------------------------------------------
// The slow agent: chatting pairs measured before and while one agent who never reads is flooded.
class SlowAgentBench {
 public:
  SlowAgentBench(int pairs, int phase_s)
      : pairs_(pairs), phase_s_(phase_s),
        server_(shop_toml(pairs), {}, "messages_per_second_max = 100000\nthrottle_strikes_max = 100000\nconnections_per_address_max = 5000\n") {}

  ~SlowAgentBench() { stop_threads(); }

  static std::string shop_toml(int pairs) {
    std::string shop = "[[shops]]\nid = \"bench\"\n[[shops.skills]]\nname = \"pairs\"\n[[shops.skills]]\nname = \"flood\"\n";
    for (int i = 0; i < pairs; ++i) shop += "[[shops.agents]]\nid = \"p" + std::to_string(i) + "\"\nskills = [\"pairs\"]\nwindow = 1\n";
    return shop + "[[shops.agents]]\nid = \"slow\"\nskills = [\"flood\"]\nwindow = 10\n";
  }

  // Every pair online and in a session.
  void open_pairs() {
    for (int i = 0; i < pairs_; ++i) {
      agents_.push_back(std::make_unique<JsonClient>(server_.port()));
      agents_.back()->send(hello_agent(server_, "p" + std::to_string(i)));
      agents_.back()->reply("h");
      agents_.back()->send(R"({"requestId":"on","setAgentStatus":{"status":"AGENT_STATUS_ONLINE"}})");
      agents_.back()->reply("on");
    }
    for (int i = 0; i < pairs_; ++i) customers_.push_back(customer_in_session("c" + std::to_string(i), "pairs"));
    for (auto& a : agents_) a->expect(BC::kAssigned, std::chrono::seconds(10));
  }

  std::unique_ptr<JsonClient> customer_in_session(const std::string& id, const std::string& skill) {
    auto c = std::make_unique<JsonClient>(server_.port());
    c->send(hello_customer(id));
    c->reply("h");
    c->send(R"({"enter":{"skill":")" + skill + R"("}})");
    c->send(text_msg("start"));
    c->expect(BC::kAssigned, std::chrono::seconds(10));
    return c;
  }

  // Agents record each message's latency; customers send ten a second, paced.
  void start_chatter() {
    for (auto& a : agents_)
      threads_.emplace_back([this, a = a.get()] {
        while (!stop_) {
          try {
            const auto m = a->expect(BC::kChatMessage, std::chrono::milliseconds(200));
            const auto sent = std::stoll(m.chat_message().text());
            std::lock_guard lock(mu_);
            latencies_.push_back(static_cast<double>(now_ns() - sent) / 1e6);
          } catch (const std::exception&) {
            // a quiet 200 ms: look at `stop_` again
          }
          a->raw_frames.clear();
        }
      });
    for (auto& c : customers_)
      threads_.emplace_back([this, c = c.get()] {
        auto next = Clock::now();
        while (!stop_) {
          c->send(text_msg(std::to_string(now_ns())));
          next += std::chrono::milliseconds(100);
          std::this_thread::sleep_until(next);
          c->raw_frames.clear();
        }
      });
  }

  // One measured phase: the others' p99 and the server's largest RSS.
  std::tuple<double, long> phase(const char* name) {
    {
      std::lock_guard lock(mu_);
      latencies_.clear();
    }
    long rss_max = rss_kb(server_.pid());
    const auto end = Clock::now() + std::chrono::seconds(phase_s_);
    while (Clock::now() < end) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      rss_max = std::max(rss_max, rss_kb(server_.pid()));
    }
    std::lock_guard lock(mu_);
    std::printf("  %-34s %7zu msgs  p50 %6.2f ms  p99 %6.2f ms  server RSS max %6.1f MB\n", name, latencies_.size(),
                percentile(latencies_, 0.5), percentile(latencies_, 0.99), static_cast<double>(rss_max) / 1024);
    return std::tuple{percentile(latencies_, 0.99), rss_max};
  }

  // The slow agent: online, given ten flood sessions, then never reads again; returns them.
  std::vector<std::unique_ptr<JsonClient>> slow_agent_with_sessions() {
    slow_.connect("127.0.0.1", server_.port());
    slow_.send_text(hello_agent(server_, "slow"));
    slow_.send_text(R"({"requestId":"on","setAgentStatus":{"status":"AGENT_STATUS_ONLINE"}})");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    slow_.pause_reading();
    std::vector<std::unique_ptr<JsonClient>> flooders;
    for (int i = 0; i < 10; ++i) flooders.push_back(customer_in_session("f" + std::to_string(i), "flood"));
    return flooders;
  }

  void stop_threads() {
    stop_ = true;
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

  ServerProcess& server() { return server_; }
  std::atomic<bool>& stopping() { return stop_; }

 private:
  int pairs_, phase_s_;
  ServerProcess server_;
  std::vector<std::unique_ptr<JsonClient>> agents_, customers_;
  sb::net::WsClient slow_;
  std::mutex mu_;
  std::vector<double> latencies_;  // ms, of the running phase
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

int slow_agent(int pairs, int phase_s, int flood_messages, int flood_bytes) {
  const long queue_bound = 1024;  // server default send_queue_messages_max
  SlowAgentBench bench(pairs, phase_s);
  bench.open_pairs();
  bench.start_chatter();
  std::printf("slow agent: %d chatting pairs at 10 msg/s each; send queue bound %ld frames\n", pairs, queue_bound);
  const auto [p99_base, rss_base] = bench.phase("baseline (no slow agent)");
  auto flooders = bench.slow_agent_with_sessions();
  const std::string payload(static_cast<std::size_t>(flood_bytes), 'x');
  std::atomic<int> flooded{0};
  std::thread flood([&] {
    const auto per = std::chrono::microseconds(1'000'000LL * phase_s / 2 / std::max(1, flood_messages));
    auto next = Clock::now();
    for (int i = 0; i < flood_messages && !bench.stopping(); ++i) {
      flooders[static_cast<std::size_t>(i % 10)]->send(text_msg(payload));
      ++flooded;
      next += per;
      std::this_thread::sleep_until(next);
    }
  });
  const auto [p99_flood, rss_flood] = bench.phase("with the slow agent flooded");
  flood.join();
  bench.stop_threads();
  const double overflows = bench.server().metric("switchboard_send_queue_overflows_total");
  const double change = p99_base > 0 ? (p99_flood - p99_base) / p99_base : 0;
  const double growth_mb = static_cast<double>(rss_flood - rss_base) / 1024;
  std::printf("  flood: %d messages of %d bytes sent toward the slow agent; closed at the bound: %s (overflows %.0f)\n",
              flooded.load(), flood_bytes, overflows >= 1 ? "yes" : "no", overflows);
  std::printf("  RSS growth %.1f MB (goal < 50), others' p99 change %+.1f%% (goal within 20%%)\n", growth_mb, 100 * change);
  const bool ok = overflows >= 1 && growth_mb < 50 && std::abs(change) < 0.20;
  std::printf("RESULT slow-agent %s\n", ok ? "met" : "missed");
  std::printf("FIGURE slow-agent others' p99 %.2f -> %.2f ms (%+.1f%%), RSS +%.1f MB, closed at the bound: %s\n", p99_base,
              p99_flood, 100 * change, growth_mb, overflows >= 1 ? "yes" : "no");
  return 0;
}

// ---------------------------------------------------------------------------------------------
std::vector<double> probe(unsigned short port, int samples, std::chrono::milliseconds gap) {
  std::vector<double> ms;
  for (int i = 0; i < samples; ++i) {
    const auto t0 = Clock::now();
    try {
      JsonClient c(port);
      c.send(customer_hello("bench", "probe", "h"));
      c.reply("h", std::chrono::seconds(5));
      ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    } catch (const std::exception&) {
      ms.push_back(5000);  // counted as a failure at the timeout
    }
    std::this_thread::sleep_for(gap);
  }
  return ms;
}

int slow_handshakes(int connections, int handshake_timeout_ms, int samples) {
  // Idle widgets of a shop open to guests: a hello without a token, as a browser would send it.
  ServerProcess server("[[shops]]\nid = \"bench\"\nguests = true\n[[shops.skills]]\nname = \"general\"\n", {},
                       "handshake_timeout_ms = " + std::to_string(handshake_timeout_ms) +
                           "\nconnections_per_address_max = 5000\n");
  std::printf("slow handshakes: %d slowloris connections, handshake timeout %d ms\n", connections, handshake_timeout_ms);
  const auto base = probe(server.port(), samples, std::chrono::milliseconds(20));
  std::printf("  %-30s p50 %6.2f ms  p99 %6.2f ms  (%d connects)\n", "baseline connect+hello", percentile(base, 0.5),
              percentile(base, 0.99), samples);

  const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/ws";
  const std::string test_s = std::to_string(handshake_timeout_ms / 1000 * 3 + 10);
  const std::string log = "/tmp/sb-slowhttptest-" + std::to_string(getpid());
  std::vector<std::string> args{"slowhttptest", "-H", "-c", std::to_string(connections), "-r", std::to_string(connections),
                                "-i", "5", "-x", "24", "-p", "3", "-l", test_s, "-u", url, "-g", "-o", log};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, (log + ".out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  pid_t pid = 0;
  if (posix_spawnp(&pid, "slowhttptest", &fa, nullptr, argv.data(), environ) != 0) {
    std::printf("  slowhttptest not found (Debian package slowhttptest)\nRESULT slow-handshakes missed\n");
    return 1;
  }
  posix_spawn_file_actions_destroy(&fa);
  std::this_thread::sleep_for(std::chrono::seconds(3));  // let all slow sockets open
  const auto under = probe(server.port(), samples, std::chrono::milliseconds(20));
  std::printf("  %-30s p50 %6.2f ms  p99 %6.2f ms  (%d connects)\n", "under slow handshakes", percentile(under, 0.5),
              percentile(under, 0.99), samples);
  int status = 0;
  waitpid(pid, &status, 0);
  // slowhttptest's CSV: seconds,closed,pending,connected,service available
  std::ifstream csv(log + ".csv");
  std::string line, last;
  int connected_max = 0;
  std::getline(csv, line);  // header
  while (std::getline(csv, line)) {
    last = line;
    std::stringstream ss(line);
    std::string f;
    std::vector<std::string> cols;
    while (std::getline(ss, f, ',')) cols.push_back(f);
    if (cols.size() >= 4) connected_max = std::max(connected_max, std::atoi(cols[3].c_str()));
  }
  // slowhttptest stops by itself once the server has closed every one of its sockets.
  std::ifstream out_file(log + ".out");
  std::stringstream out;
  out << out_file.rdbuf();
  const bool all_closed = out.str().find("No open connections left") != std::string::npos;
  const int ended_s = std::atoi(last.substr(0, last.find(',')).c_str());
  std::printf("  slowhttptest: %d slow sockets connected at most; %s by about second %d\n", connected_max,
              all_closed ? "the server closed every one" : "NOT all were closed", ended_s + 1);
  const double p99 = percentile(under, 0.99);
  const bool ok = p99 < 200 && all_closed && connected_max >= connections * 9 / 10;
  std::printf("  goal: p99 < 200 ms under attack, every slow socket closed by the handshake timeout\n");
  std::printf("RESULT slow-handshakes %s\n", ok ? "met" : "missed");
  std::printf("FIGURE slow-handshakes connect p99 %.2f ms under %d slow sockets (alone %.2f ms); all closed: %s\n", p99,
              connected_max, percentile(base, 0.99), all_closed ? "yes" : "no");
  std::remove((log + ".csv").c_str());
  std::remove((log + ".html").c_str());
  std::remove((log + ".out").c_str());
  return 0;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Runs a command, returns its stdout (stderr passes through).
std::string run_capture(std::vector<std::string> args) {
  int out_pipe[2];
  if (pipe(out_pipe) != 0) return {};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_addclose(&fa, out_pipe[0]);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const bool started = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) == 0;
  posix_spawn_file_actions_destroy(&fa);
  close(out_pipe[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while (started && (n = read(out_pipe[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  close(out_pipe[0]);
  int status = 0;
  if (started) waitpid(pid, &status, 0);
  return out;
}

double rate_of(const std::string& out) {
  const auto at = out.find("RATE ");
  return at == std::string::npos ? 0 : std::atof(out.c_str() + at + 5);
}

// The bare Beast echo server, started on a free port; its pid and port.
std::pair<pid_t, std::string> start_echo_server() {
  int echo_out[2];
  if (pipe(echo_out) != 0) return {-1, {}};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, echo_out[1], 1);
  posix_spawn_file_actions_addclose(&fa, echo_out[0]);
  std::string echo_bin = SWITCHBOARD_ECHO_BINARY, two = "2";
  char* echo_argv[] = {echo_bin.data(), two.data(), nullptr};
  pid_t echo_pid = 0;
  const bool started = posix_spawn(&echo_pid, echo_argv[0], &fa, nullptr, echo_argv, environ) == 0;
  posix_spawn_file_actions_destroy(&fa);
  close(echo_out[1]);
  std::string line;
  char c;
  while (started && read(echo_out[0], &c, 1) == 1 && c != '\n') line.push_back(c);
  close(echo_out[0]);
  if (!started) return {-1, {}};
  return {echo_pid, line.substr(line.rfind(':') + 1)};
}

double median(std::vector<double> v) { return percentile(std::move(v), 0.5); }

// Rounds alternate the baseline and Switchboard so drift on the machine hits both alike; the
// figure is the median of the rounds' ratios.
// With `database`, the server keeps history: every call journaled (fsynced before its reply)
// and written on to that PostgreSQL, as in production.
int relay_throughput(int pairs, int seconds, int rounds, const std::string& database) {
  const auto [echo_pid, echo_port] = start_echo_server();
  if (echo_pid < 0) return 1;
  std::string shop = "[[shops]]\nid = \"relay\"\n[[shops.skills]]\nname = \"general\"\n";
  for (int i = 1; i <= pairs; ++i) shop += "[[shops.agents]]\nid = \"r" + std::to_string(i) + "\"\nskills = [\"general\"]\nwindow = 1\n";
  const std::string config = "/tmp/sb-relay-" + std::to_string(getpid()) + ".toml";
  std::ofstream(config) << test_auth_toml() << shop;
  const std::string load = SWITCHBOARD_LOAD_BINARY;
  std::vector<double> echo_rates, sb_rates, ratios;
  const std::string journal = "/tmp/sb-relay-journal-" + std::to_string(getpid());
  // Each round a new journal, so a new node id: the database's cursor of the last round's node
  // must not be asked to follow a journal it has never seen.
  auto store = [&](int round) {
    return database.empty() ? std::string() : "[store]\ndatabase_url = \"" + database + "\"\njournal_dir = \"" + journal +
                                                  "\"\nnode_id = \"relay" + std::to_string(round) + "\"\n\n";
  };
  const char* label = database.empty() ? "relay" : "relay-history";
  std::printf("%s: %d pairs, 8 messages in flight each, 100-byte chat lines, JSON text frames; %d rounds%s\n", label, pairs,
              rounds, database.empty() ? "" : "; history on (journal fsync per batch, PostgreSQL)");
  for (int r = 0; r < rounds; ++r) {
    const double echo = rate_of(run_capture({load, "relay", "--echo", "--connect", "127.0.0.1:" + echo_port, "--pairs",
                                             std::to_string(pairs), "--seconds", std::to_string(seconds)}));
    // A fresh server each round: every round starts its chats from nothing.
    std::filesystem::remove_all(journal);
    ServerProcess server(store(r) + shop, {}, "messages_per_second_max = 100000\nthrottle_strikes_max = 100000\n");
    const double sb = rate_of(run_capture({load, "relay", "--connect", "127.0.0.1:" + std::to_string(server.port()), "--config",
                                           config, "--pairs", std::to_string(pairs), "--seconds", std::to_string(seconds)}));
    echo_rates.push_back(echo);
    sb_rates.push_back(sb);
    ratios.push_back(echo > 0 ? sb / echo : 0);
    std::printf("  round %d: echo %9.0f messages/s, Switchboard %9.0f messages/s: %.2fx\n", r + 1, echo, sb, ratios.back());
  }
  kill(echo_pid, SIGTERM);
  waitpid(echo_pid, nullptr, 0);
  std::remove(config.c_str());
  std::filesystem::remove_all(journal);
  const double ratio = median(ratios);
  std::printf("  %-36s %9.0f messages/s (median)\n", "bare Beast echo server (baseline)", median(echo_rates));
  std::printf("  %-36s %9.0f messages/s (median); median ratio %.2fx\n", "Switchboard customer -> agent", median(sb_rates), ratio);
  std::printf("  goal: >= 0.8x\nRESULT %s %s\n", label, ratio >= 0.8 ? "met" : "missed");
  std::printf("FIGURE %s median of %d rounds %.2fx the echo server (%.0f vs %.0f msg/s; rounds %.2f-%.2fx)\n", label, rounds, ratio,
              median(sb_rates), median(echo_rates), *std::min_element(ratios.begin(), ratios.end()),
              *std::max_element(ratios.begin(), ratios.end()));
  return 0;
}

// ---------------------------------------------------------------------------------------------
std::string latency_shops(int pairs, int shop_n) {
  std::string shops;
  for (int s = 1; s <= shop_n; ++s) {
    shops += "[[shops]]\nid = \"lat" + std::to_string(s) + "\"\n[[shops.skills]]\nname = \"general\"\n";
    for (int a = 1; a <= (pairs + shop_n - 1) / shop_n; ++a)
      shops += "[[shops.agents]]\nid = \"a" + std::to_string(a) + "\"\nskills = [\"general\"]\nwindow = 1\n";
  }
  return shops;
}

double figure_after(const std::string& line, const std::string& label) {
  const auto at = line.find(label);
  return at == std::string::npos ? 1e9 : std::atof(line.c_str() + at + label.size());
}

// Each round a fresh server and client; the figures are the medians of the rounds' p50 and p99.
int end_to_end_latency(int pairs, double rate, int seconds, int rounds) {
  const int shop_n = 10;
  const std::string shops = latency_shops(pairs, shop_n);
  const std::string config = "/tmp/sb-latency-" + std::to_string(getpid()) + ".toml";
  std::ofstream(config) << test_auth_toml() << shops;
  std::vector<double> p50s, p99s, decision_p99s;
  double calls = 0;
  for (int r = 0; r < rounds; ++r) {
    ServerProcess server(shops, {}, "connections_max = 19000\n");
    const std::string out = run_capture({SWITCHBOARD_LOAD_BINARY, "latency", "--connect", "127.0.0.1:" + std::to_string(server.port()),
                                         "--config", config, "--shops", std::to_string(shop_n), "--pairs", std::to_string(pairs),
                                         "--rate", std::to_string(rate), "--seconds", std::to_string(seconds)});
    // The server side of the same run: every call into the routing core, timed by the shard.
    const Quantile decision = histogram_quantile(server.scrape(), "switchboard_engine_call_seconds", 0.99);
    const auto at = out.find("LATENCY ");
    const std::string line = at == std::string::npos ? "no result" : out.substr(at + 8, out.find('\n', at) - at - 8);
    p50s.push_back(figure_after(line, "p50 "));
    p99s.push_back(figure_after(line, "p99 "));
    decision_p99s.push_back(decision.count > 0 ? decision.bucket_le_s : 1);
    calls += decision.count;
    std::printf("  round %d: %s; routing decision p99 bucket <= %.0f us over %.0f calls\n", r + 1, line.c_str(),
                decision.bucket_le_s * 1e6, decision.count);
  }
  std::remove(config.c_str());
  const double decision_p99 = median(decision_p99s);
  std::printf("  goal: routing decision p99 < 1 ms\nRESULT routing-decision %s\n", calls > 0 && decision_p99 <= 1e-3 ? "met" : "missed");
  std::printf("FIGURE routing-decision p99 bucket <= %.0f us (median of %d rounds) over %.0f engine calls at %d connections, %.0f msg/s offered\n",
              decision_p99 * 1e6, rounds, calls, pairs * 2, pairs * rate);
  const double p99 = median(p99s);
  std::printf("end-to-end latency, median of %d rounds: p50 %.2f ms, p99 %.2f ms\n  goal: p99 < 10 ms at 10,000 connections and 10,000 msg/s\n",
              rounds, median(p50s), p99);
  std::printf("RESULT latency %s\n", p99 < 10 && pairs * rate >= 10'000 ? "met" : "missed");
  std::printf("FIGURE latency median of %d rounds: p50 %.2f ms, p99 %.2f ms (rounds' p99 %.2f-%.2f ms) at %d connections, %.0f msg/s\n",
              rounds, median(p50s), p99, *std::min_element(p99s.begin(), p99s.end()), *std::max_element(p99s.begin(), p99s.end()),
              pairs * 2, pairs * rate);
  return 0;
}

// ---------------------------------------------------------------------------------------------
int idle_connections(int connections) {
  ServerProcess server("[[shops]]\nid = \"bench\"\nguests = true\n[[shops.skills]]\nname = \"general\"\n", {},
                       "connections_max = 19000\nconnections_per_address_max = 500\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const long rss_before = rss_kb(server.pid());
  const std::string ready = "/tmp/sb-idle-ready-" + std::to_string(getpid());
  std::remove(ready.c_str());
  const int sources = (connections + 449) / 450;
  std::vector<std::string> args{SWITCHBOARD_LOAD_BINARY, "idle", "--connect", "127.0.0.1:" + std::to_string(server.port()),
                                "--shop", "bench", "--connections", std::to_string(connections), "--sources",
                                std::to_string(sources), "--hold-s", "6", "--ready-file", ready};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) {
    std::printf("cannot start %s\nRESULT idle-connections missed\n", argv[0]);
    return 1;
  }
  const auto t0 = Clock::now();
  while (access(ready.c_str(), F_OK) != 0 && Clock::now() - t0 < std::chrono::seconds(120))
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::this_thread::sleep_for(std::chrono::seconds(2));  // settle
  const double open = server.metric("switchboard_connections_open");
  const long rss_open = rss_kb(server.pid());
  int status = 0;
  waitpid(pid, &status, 0);
  std::remove(ready.c_str());
  const double per_kb = open > 0 ? static_cast<double>(rss_open - rss_before) / open : 0;
  std::printf("idle connections: %d asked, %.0f open on the server (from %d source addresses)\n", connections, open, sources);
  std::printf("  server RSS %.1f MB with none, %.1f MB with them: %.2f KB per idle connection (user space)\n",
              static_cast<double>(rss_before) / 1024, static_cast<double>(rss_open) / 1024, per_kb);
  const bool ok = open >= connections && per_kb <= 4.0;
  std::printf("  goal: %d held, <= 4 KB each\nRESULT idle-connections %s\n", connections, ok ? "met" : "missed");
  std::printf("FIGURE idle-connections %.0f held, %.2f KB each (RSS %.1f -> %.1f MB)\n", open, per_kb,
              static_cast<double>(rss_before) / 1024, static_cast<double>(rss_open) / 1024);
  return 0;
}

// ---------------------------------------------------------------------------------------------
int metrics_scrape(int shops, int scrapes) {
  std::string toml;
  for (int s = 1; s <= shops; ++s) {
    toml += "[[shops]]\nid = \"shop" + std::to_string(s) +
            "\"\ndefault_skill = \"presale\"\n[[shops.skills]]\nname = \"presale\"\n[[shops.skills]]\nname = \"aftersale\"\n";
    for (int a = 1; a <= 20; ++a)
      toml += "[[shops.agents]]\nid = \"a" + std::to_string(a) + "\"\nskills = [\"presale\", \"aftersale\"]\n";
  }
  ServerProcess server(toml, {});
  // Some traffic so histograms and per-code series exist.
  for (int s = 1; s <= shops; ++s) {
    JsonClient c(server.port());
    c.send(customer_hello("shop" + std::to_string(s), "x", "h"));
    c.reply("h");
    c.send(R"({"enter":{}})");
    c.send(text_msg("hi"));
  }
  auto time_get = [&](const std::string& target, std::size_t& bytes) {
    std::vector<double> ms;
    for (int i = 0; i < scrapes; ++i) {
      const auto t0 = Clock::now();
      const auto r = server.get(target);
      ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      bytes = r.body.size();
    }
    return ms;
  };
  std::size_t bytes = 0, health_bytes = 0;
  const auto health = time_get("/healthz", health_bytes);
  const auto scrape = time_get("/metrics", bytes);
  const std::string body = server.scrape();
  std::size_t series = 0;
  std::istringstream lines(body);
  std::string line;
  while (std::getline(lines, line))
    if (!line.empty() && line[0] != '#') ++series;
  std::printf("metrics scrape: %d shops x 2 skills, 20 agents each; %d requests each\n", shops, scrapes);
  std::printf("  %-22s p50 %6.2f ms  p99 %6.2f ms\n", "GET /healthz (baseline)", percentile(health, 0.5), percentile(health, 0.99));
  std::printf("  %-22s p50 %6.2f ms  p99 %6.2f ms  %zu series, %zu KiB\n", "GET /metrics", percentile(scrape, 0.5),
              percentile(scrape, 0.99), series, bytes / 1024);
  const bool ok = percentile(scrape, 0.99) <= 10 && series <= 5000;
  std::printf("  goal: <= 10 ms and <= 5,000 series\nRESULT metrics-scrape %s\n", ok ? "met" : "missed");
  std::printf("FIGURE metrics-scrape p99 %.2f ms (p50 %.2f), %zu series; /healthz p99 %.2f ms\n", percentile(scrape, 0.99),
              percentile(scrape, 0.5), series, percentile(health, 0.99));
  return 0;
}

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  CLI::App app("Switchboard server benchmarks");
  app.require_subcommand(1);
  int pairs = 20, phase_s = 30, flood_messages = 10'000, flood_bytes = 2048;
  auto* sa = app.add_subcommand("slow-agent", "a non-reading agent flooded while pairs chat");
  sa->add_option("--pairs", pairs, "chatting customer/agent pairs");
  sa->add_option("--phase-s", phase_s, "seconds per phase (baseline, flood)");
  sa->add_option("--messages", flood_messages, "messages sent toward the slow agent");
  sa->add_option("--bytes", flood_bytes, "size of each flood message");
  int connections = 500, timeout_ms = 5000, samples = 200;
  auto* sh = app.add_subcommand("slow-handshakes", "slowhttptest slowloris against the WebSocket port");
  sh->add_option("--connections", connections, "slow connections");
  sh->add_option("--handshake-timeout-ms", timeout_ms, "server handshake_timeout_ms");
  sh->add_option("--samples", samples, "real client connects per phase");
  int lat_pairs = 5000, lat_s = 15, lat_rounds = 5;
  double lat_rate = 2;
  auto* lt = app.add_subcommand("latency", "end-to-end customer -> agent latency at 10,000 connections");
  lt->add_option("--pairs", lat_pairs, "customer/agent pairs (2 connections each)");
  lt->add_option("--rate", lat_rate, "messages per second per customer");
  lt->add_option("--seconds", lat_s, "seconds measured");
  lt->add_option("--rounds", lat_rounds, "rounds, each on a fresh server; the medians are the figures")->check(CLI::Range(1, 50));
  int relay_pairs = 50, relay_s = 8, relay_rounds = 5;
  auto* rl = app.add_subcommand("relay", "customer -> agent messages/s against a bare Beast echo server");
  rl->add_option("--pairs", relay_pairs, "pairs (echo: connections)");
  rl->add_option("--seconds", relay_s, "seconds measured per round");
  rl->add_option("--rounds", relay_rounds, "rounds of echo then Switchboard; the median ratio is the figure")->check(CLI::Range(1, 50));
  std::string relay_database;
  rl->add_option("--database", relay_database, "PostgreSQL URL: the server keeps history (loadtest/bench/run_relay_history.sh)");
  int idle_n = 18'000;
  auto* ic = app.add_subcommand("idle-connections", "hold idle WebSocket connections and measure the server's memory");
  ic->add_option("--connections", idle_n, "how many");
  int shops = 50, scrapes = 200;
  auto* ms = app.add_subcommand("metrics-scrape", "time /metrics with many shops");
  ms->add_option("--shops", shops, "shops configured");
  ms->add_option("--scrapes", scrapes, "requests timed");
  CLI11_PARSE(app, argc, argv);
  if (ms->parsed()) return metrics_scrape(shops, scrapes);
  if (ic->parsed()) return idle_connections(idle_n);
  if (rl->parsed()) return relay_throughput(relay_pairs, relay_s, relay_rounds, relay_database);
  if (lt->parsed()) return end_to_end_latency(lat_pairs, lat_rate, lat_s, lat_rounds);
  if (sa->parsed()) return slow_agent(pairs, phase_s, flood_messages, flood_bytes);
  return slow_handshakes(connections, timeout_ms, samples);
}
