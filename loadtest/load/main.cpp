// switchboard-load: plays customers and agents over real WebSocket connections against a
// running server. `replay` plays a trace at N x real time (docs/trace.md).
#include <signal.h>

#include <CLI/CLI.hpp>

#include "idle.hpp"
#include "relay.hpp"
#include "replay.hpp"

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  CLI::App app("switchboard-load: customers and agents over real WebSocket connections");
  app.require_subcommand(1);
  sb::load::ReplayOptions r;
  std::string connect = "127.0.0.1:8080";
  auto* replay = app.add_subcommand("replay", "Replay a trace against a server running --clock scaled at the same speed");
  replay->add_option("trace", r.trace, "Trace file (.jsonl or .pb)")->required();
  replay->add_option("--config", r.config, "The server's config file (token secret, shops)")->required();
  replay->add_option("--connect", connect, "HOST:PORT of the server");
  replay->add_option("--speed", r.speed, "Times real time; the server must run --clock scaled --speed N");
  replay->add_option("--sources", r.sources, "Spread customers over 127.0.0.1..127.0.0.N");
  replay->add_flag("--expect-same", r.expect_same, "Exit 1 unless the server's figures equal the trace's own");
  bool quiet = false;
  replay->add_flag("--quiet", quiet, "No progress bar");
  sb::load::IdleOptions idle;
  std::string idle_connect = "127.0.0.1:8080";
  auto* idle_cmd = app.add_subcommand("idle", "Open many customer connections that say hello and stay idle");
  idle_cmd->add_option("--connect", idle_connect, "HOST:PORT of the server");
  idle_cmd->add_option("--shop", idle.shop, "Shop the customers say hello to")->required();
  idle_cmd->add_option("--connections", idle.connections, "How many (one process holds at most ~19,000 here)");
  idle_cmd->add_option("--sources", idle.sources, "Spread over 127.0.0.1..127.0.0.N");
  idle_cmd->add_option("--hold-s", idle.hold_s, "Seconds to keep them once all are open");
  idle_cmd->add_option("--ready-file", idle.ready_file, "Write this file once all are open");
  sb::load::RelayOptions rel;
  std::string relay_connect = "127.0.0.1:8080";
  auto* relay_cmd = app.add_subcommand("relay", "Customers write to their agents as fast as a window allows (or to an echo server)");
  relay_cmd->add_option("--connect", relay_connect, "HOST:PORT of the server");
  relay_cmd->add_flag("--echo", rel.echo, "The target is a bare echo server");
  relay_cmd->add_option("--config", rel.config, "Switchboard's config (token secret; shop \"relay\" with agents r1..rN)");
  relay_cmd->add_option("--pairs", rel.pairs, "Customer/agent pairs (echo: connections)");
  relay_cmd->add_option("--window", rel.window, "Messages in flight per pair");
  relay_cmd->add_option("--seconds", rel.seconds, "Seconds measured after a one-second warm-up");
  relay_cmd->add_option("--sources", rel.sources, "Spread over 127.0.0.1..127.0.0.N");
  CLI11_PARSE(app, argc, argv);
  auto host_port = [](const std::string& text, std::string& host, unsigned short& port) {
    const auto c = text.rfind(':');
    if (c == std::string::npos) return false;
    host = text.substr(0, c);
    port = static_cast<unsigned short>(std::atoi(text.c_str() + c + 1));
    return true;
  };
  if (relay_cmd->parsed()) {
    if (!host_port(relay_connect, rel.host, rel.port) || (!rel.echo && rel.config.empty())) {
      std::fprintf(stderr, "switchboard-load relay: --connect HOST:PORT and, for Switchboard, --config are needed\n");
      return 2;
    }
    return sb::load::relay(rel);
  }
  if (idle_cmd->parsed()) {
    const auto c = idle_connect.rfind(':');
    if (c == std::string::npos) {
      std::fprintf(stderr, "switchboard-load: --connect must be HOST:PORT, got \"%s\"\n", idle_connect.c_str());
      return 2;
    }
    idle.host = idle_connect.substr(0, c);
    idle.port = static_cast<unsigned short>(std::atoi(idle_connect.c_str() + c + 1));
    return sb::load::idle(idle);
  }
  r.progress = !quiet;
  const auto colon = connect.rfind(':');
  if (colon == std::string::npos) {
    std::fprintf(stderr, "switchboard-load: --connect must be HOST:PORT, got \"%s\"\n", connect.c_str());
    return 2;
  }
  r.host = connect.substr(0, colon);
  r.port = static_cast<unsigned short>(std::atoi(connect.c_str() + colon + 1));
  return sb::load::replay(r);
}
