// `switchboard move-shop`: a planned move of one shop between nodes (docs/operations.md,
// "Moving a shop"): release on the node that serves it, adopt on the new one (retried until the
// old node's writer has put the hand-over into PostgreSQL), then point HAProxy's map at the new
// node through its runtime API, so reconnecting clients land there. With --lost, an unplanned
// move: no release (the node is gone), the new node rebuilds the shop from PostgreSQL.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <thread>

#include "app/commands.hpp"
#include "app/config.hpp"
#include "net/codec.hpp"
#include "net/ws_client.hpp"

namespace sb::app {

namespace {

namespace v1 = switchboard::v1;

struct MoveArgs {
  std::string shop, from, to, to_node, token, map, lost;
  std::vector<std::string> haproxy_sockets;
  int wait_s = 30;
};

struct Address {
  std::string host;
  unsigned short port = 0;
};

std::string error_text(const net::HttpResult& r) {
  if (r.status == 0) return "cannot connect: " + r.error;
  v1::Error e;
  std::string why;
  if (net::from_json(r.body, e, why) && !e.message().empty()) return "HTTP " + std::to_string(r.status) + ": " + e.message();
  return "HTTP " + std::to_string(r.status) + ": " + r.body;
}

// One command on HAProxy's runtime API; empty on success, else what HAProxy said.
std::string haproxy_command(const std::string& socket_path, const std::string& command) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (fd < 0 || socket_path.size() >= sizeof addr.sun_path) return "cannot open a socket for " + socket_path;
  socket_path.copy(addr.sun_path, socket_path.size());
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "cannot connect to HAProxy's runtime API at " + socket_path;
  }
  const std::string line = command + "\n";
  std::string answer;
  if (::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size())) {
    char buf[512];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) answer.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  while (!answer.empty() && (answer.back() == '\n' || answer.back() == ' ')) answer.pop_back();
  return answer;
}

bool release(const MoveArgs& a, const Address& from, const std::string& base, const std::string& token) {
  const auto released = net::http_call(from.host, from.port, "POST", base + "/release", "{\"toNode\":\"" + a.to_node + "\"}", token);
  if (released.status != 200) {
    std::cerr << "switchboard move-shop: release on " << a.from << ": " << error_text(released) << "\n";
    return false;
  }
  v1::ShopMoved r;
  std::string why;
  if (!net::from_json(released.body, r, why)) r.Clear();
  std::cout << "shop " << a.shop << ": released by " << (r.node().empty() ? a.from : r.node()) << " ("
            << r.connections_cut() << " connections told to reconnect)" << std::endl;
  return true;
}

// Planned: retried while the old node's writer has not written the hand-over yet (404).
bool adopt(const MoveArgs& a, const Address& to, const std::string& base, const std::string& token,
           std::chrono::steady_clock::time_point deadline) {
  const std::string body = a.lost.empty() ? std::string() : "{\"lostNode\":\"" + a.lost + "\"}";
  for (;;) {
    const auto adopted = net::http_call(to.host, to.port, "POST", base + "/adopt", body, token);
    if (adopted.status == 200) {
      v1::ShopMoved r;
      std::string why;
      if (!a.lost.empty() && net::from_json(adopted.body, r, why))
        std::cout << "shop " << a.shop << ": rebuilt from node " << a.lost << " as of " << r.handed_at() << " ("
                  << r.connections_cut() << " connections it had counted as dropped)" << std::endl;
      return true;
    }
    if (!a.lost.empty() || adopted.status != 404 || std::chrono::steady_clock::now() > deadline) {
      std::cerr << "switchboard move-shop: adopt on " << a.to << ": " << error_text(adopted) << "\n";
      if (a.lost.empty())
        std::cerr << "  the hand-over waits in PostgreSQL (shop_handoffs): retry with POST " << base << "/adopt on the new node\n";
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

int move_shop(const MoveArgs& a, const Address& from, const Address& to, const std::string& token) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::string base = "/api/v1/admin/shops/" + a.shop;
  if (a.lost.empty() && !release(a, from, base, token)) return 1;
  if (!adopt(a, to, base, token, t0 + std::chrono::seconds(a.wait_s))) return 1;
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << "shop " << a.shop << ": adopted by " << a.to << " " << s << " s after the " << (a.lost.empty() ? "release" : "rebuild")
            << " began" << std::endl;
  for (const auto& sock : a.haproxy_sockets) {
    const std::string answer = haproxy_command(sock, "set map " + a.map + " " + a.shop + " node_" + a.to_node);
    if (!answer.empty()) {
      std::cerr << "switchboard move-shop: HAProxy at " << sock << ": " << answer << "\n";
      return 1;
    }
    std::cout << "HAProxy at " << sock << ": " << a.shop << " -> node_" << a.to_node << std::endl;
  }
  std::cout << "now assign " << a.shop << " to " << a.to_node << " in [cluster] and regenerate HAProxy's files "
            << "(switchboard haproxy-config), so restarts agree" << std::endl;
  return 0;
}

int move_shop_command(const MoveArgs& a) {
  Address from, to;
  if (a.from.empty() == a.lost.empty()) {
    std::cerr << "switchboard move-shop: give --from (a planned move) or --lost (the node is gone for good), not both\n";
    return 2;
  }
  try {
    if (!a.from.empty()) parse_listen(a.from, "--from", from.host, from.port);
    parse_listen(a.to, "--to", to.host, to.port);
  } catch (const ConfigError& e) {
    std::cerr << "switchboard move-shop: " << e.what() << "\n";
    return 2;
  }
  const char* env = std::getenv("SWITCHBOARD_ADMIN_TOKEN");
  const std::string token = !a.token.empty() ? a.token : env != nullptr ? env : "";
  if (token.empty()) {
    std::cerr << "switchboard move-shop: an admin token is needed: --token or SWITCHBOARD_ADMIN_TOKEN "
                 "(switchboard token --role admin --shop '*' ...)\n";
    return 2;
  }
  if (!a.haproxy_sockets.empty() && a.map.empty()) {
    std::cerr << "switchboard move-shop: --haproxy-socket needs --map (the shops.map path in haproxy.cfg)\n";
    return 2;
  }
  return move_shop(a, from, to, token);
}

}  // namespace

void add_move_shop_command(CLI::App& app, Commands& commands) {
  auto a = std::make_shared<MoveArgs>();
  auto* cmd = app.add_subcommand("move-shop", "Move a shop and its live chats to another node (planned, or --lost: rebuilt from PostgreSQL)");
  cmd->add_option("shop", a->shop, "The shop's id")->required();
  cmd->add_option("--from", a->from, "HOST:PORT of the admin API of the node that serves it");
  cmd->add_option("--lost", a->lost, "Instead of --from: the id of the node that served it, lost for good; the new node "
                                     "rebuilds the shop from PostgreSQL");
  cmd->add_option("--to", a->to, "HOST:PORT of the admin API of the node that will")->required();
  cmd->add_option("--to-node", a->to_node, "The new node's id in [cluster] (its HAProxy backend is node_ID)")->required();
  cmd->add_option("--token", a->token, "Admin token (default: $SWITCHBOARD_ADMIN_TOKEN)");
  cmd->add_option("--haproxy-socket", a->haproxy_sockets, "HAProxy runtime API socket(s) whose map to update");
  cmd->add_option("--map", a->map, "The shops.map path as haproxy.cfg names it");
  cmd->add_option("--wait-s", a->wait_s, "How long to retry the adoption (default 30)");
  commands.push_back({cmd, [a] { return move_shop_command(*a); }});
}

}  // namespace sb::app
