// switchboard-load: plays customers and agents over real WebSocket connections against a
// running server. `replay` plays a trace at N x real time (docs/trace.md), `synthetic` a
// generated peak day the same way, over several processes if asked; `idle`, `relay`
// and `latency` are the connection, throughput and latency benchmarks' clients.
#include <signal.h>

#include <CLI/CLI.hpp>

#include <fstream>

#include "idle.hpp"
#include "latency.hpp"
#include "relay.hpp"
#include "replay.hpp"

namespace app = sb::app;

namespace {

// Where to connect and from how many loopback addresses: every mode has both.
struct Target {
  std::string connect = "127.0.0.1:8080";
  void add_to(CLI::App* cmd, int& sources) {
    cmd->add_option("--connect", connect, "HOST:PORT of the server");
    cmd->add_option("--sources", sources, "Spread connections over 127.0.0.1..127.0.0.N");
  }
  // False (after saying why) unless --connect is HOST:PORT.
  bool split(std::string& host, unsigned short& port) const {
    const auto c = connect.rfind(':');
    if (c == std::string::npos || c + 1 == connect.size()) {
      std::fprintf(stderr, "switchboard-load: --connect must be HOST:PORT, got \"%s\"\n", connect.c_str());
      return false;
    }
    host = connect.substr(0, c);
    port = static_cast<unsigned short>(std::atoi(connect.c_str() + c + 1));
    return true;
  }
};

// Every mode's options, filled by CLI11.
struct Modes {
  sb::load::ReplayOptions r;
  Target replay_target;
  bool quiet = false;
  app::SyntheticOptions syn;
  std::string plan_out;
  sb::load::IdleOptions idle;
  Target idle_target;
  sb::load::RelayOptions rel;
  Target relay_target;
  sb::load::LatencyOptions lat;
  Target lat_target;
  CLI::App *replay = nullptr, *synthetic = nullptr, *idle_cmd = nullptr, *relay_cmd = nullptr, *lat_cmd = nullptr;

  // What a replay of a file and a synthetic day share.
  void replay_options(CLI::App* cmd) {
    cmd->add_option("--config", r.config, "The server's config file (token secret, shops)");
    cmd->add_option("--speed", r.speed, "Times real time; the server must run --clock scaled --speed N");
    cmd->add_flag("--expect-same", r.expect_same, "Exit 1 unless the server's figures equal the trace's own");
    cmd->add_flag("--quiet", quiet, "No progress bar");
    cmd->add_option("--processes", r.processes, "Worker processes, each playing its share of the shops (past ~18,000 connections)")
        ->check(CLI::Range(1, 64));
    cmd->add_option("--part", r.part, "(internal) the share a worker plays")->group("");
    replay_target.add_to(cmd, r.sources);
  }

  void add_replays(CLI::App& app) {
    replay = app.add_subcommand("replay", "Replay a trace against a server running --clock scaled at the same speed");
    replay->add_option("trace", r.trace, "Trace file (.jsonl or .pb)")->required();
    replay_options(replay);
    synthetic = app.add_subcommand("synthetic", "Generate a peak day in memory (as switchboard generate-trace would) and play it like replay");
    synthetic->add_option("--shops", syn.shops, "Shops (sizes skewed)");
    synthetic->add_option("--sessions", syn.sessions, "Chats in the day (or the hour)");
    synthetic->add_option("--seed", syn.seed, "Random seed: same seed, same day");
    synthetic->add_option("--day", syn.day, "Shop-local day, YYYY-MM-DD");
    synthetic->add_option("--hour", syn.only_hour, "Put every chat in this one local hour (0-23): a peak hour");
    synthetic->add_option("--minutes", syn.minutes, "With --hour: only its first N minutes (5-60)");
    synthetic->add_option("--plan-out", plan_out, "Only write the staffing plan (the server's shops) for these options here, and exit");
    replay_options(synthetic);
  }

  void add_benchmarks(CLI::App& app) {
    idle_cmd = app.add_subcommand("idle", "Open many customer connections that say hello and stay idle");
    idle_cmd->add_option("--shop", idle.shop, "Shop the customers say hello to")->required();
    idle_cmd->add_option("--connections", idle.connections, "How many (one process holds at most ~19,000 here)");
    idle_cmd->add_option("--hold-s", idle.hold_s, "Seconds to keep them once all are open");
    idle_cmd->add_option("--ready-file", idle.ready_file, "Write this file once all are open");
    idle_target.add_to(idle_cmd, idle.sources);
    relay_cmd = app.add_subcommand("relay", "Customers write to their agents as fast as a window allows (or to an echo server)");
    relay_cmd->add_flag("--echo", rel.echo, "The target is a bare echo server");
    relay_cmd->add_option("--config", rel.config, "Switchboard's config (token secret; shop \"relay\" with agents r1..rN)");
    relay_cmd->add_option("--pairs", rel.pairs, "Customer/agent pairs (echo: connections)");
    relay_cmd->add_option("--window", rel.window, "Messages in flight per pair");
    relay_cmd->add_option("--seconds", rel.seconds, "Seconds measured after a one-second warm-up");
    relay_target.add_to(relay_cmd, rel.sources);
    lat_cmd = app.add_subcommand("latency", "Customers write to their agents at a fixed rate; end-to-end latency percentiles");
    lat_cmd->add_option("--config", lat.config, "The server's config (token secret; shops lat1..latS, agents a1..aN)")->required();
    lat_cmd->add_option("--shops", lat.shops, "Shops the pairs are spread over");
    lat_cmd->add_option("--pairs", lat.pairs, "Customer/agent pairs (2 connections each)");
    lat_cmd->add_option("--rate", lat.rate, "Messages per second per customer");
    lat_cmd->add_option("--seconds", lat.seconds, "Seconds measured after a two-second warm-up");
    lat_target.add_to(lat_cmd, lat.sources);
  }

  // `synthetic --plan-out FILE`: only the plan, for starting the server.
  int write_plan() const {
    const auto day = app::generate_day(syn);
    std::ofstream out(plan_out, std::ios::trunc);
    out << day.config_toml;
    if (!out) {
      std::fprintf(stderr, "switchboard-load synthetic: %s: cannot write\n", plan_out.c_str());
      return 2;
    }
    std::printf("wrote %s: the plan for %s; start the server with it (and --clock scaled --speed N)\n", plan_out.c_str(),
                day.trace.header.source().c_str());
    return 0;
  }

  int run(int argc, char** argv) {
    if (lat_cmd->parsed()) return lat_target.split(lat.host, lat.port) ? sb::load::latency(lat) : 2;
    if (idle_cmd->parsed()) return idle_target.split(idle.host, idle.port) ? sb::load::idle(idle) : 2;
    if (relay_cmd->parsed()) {
      if (!rel.echo && rel.config.empty()) {
        std::fprintf(stderr, "switchboard-load relay: --config is needed unless --echo\n");
        return 2;
      }
      return relay_target.split(rel.host, rel.port) ? sb::load::relay(rel) : 2;
    }
    r.progress = !quiet;
    r.argv.assign(argv, argv + argc);
    if (r.config.empty() && plan_out.empty()) {
      std::fprintf(stderr, "switchboard-load: --config (the server's config file) is required\n");
      return 2;
    }
    if (synthetic->parsed()) {
      if (!plan_out.empty()) return write_plan();
      r.synthetic = syn;
    }
    return replay_target.split(r.host, r.port) ? sb::load::replay(r) : 2;
  }
};

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  CLI::App app("switchboard-load: customers and agents over real WebSocket connections");
  app.require_subcommand(1);
  Modes modes;
  modes.add_replays(app);
  modes.add_benchmarks(app);
  CLI11_PARSE(app, argc, argv);
  return modes.run(argc, argv);
}
