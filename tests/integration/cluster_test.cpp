// Several nodes behind HAProxy, on loopback: three Switchboard nodes on 127.0.0.2-4 sharing one
// PostgreSQL, HAProxy (Debian's, its config made by `switchboard haproxy-config` from the same
// [cluster] section the nodes read) in front, a real Prometheus scraping the three. 50 shops
// driven through the proxy: each shop's traffic reaches exactly one node, the figures API per
// shop equals what the test did, the raw counters summed by shop in Prometheus equal the figures
// API's counts, the SQL views say the same, and TLS ends at HAProxy.
#include <catch2/catch.hpp>

#include <google/protobuf/util/json_util.h>
#include <nlohmann/json.hpp>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>
#include <fstream>
#include <map>
#include <regex>
#include <thread>

#include "store_helpers.hpp"
#include "support/server_process.hpp"
#include "support/test_postgres.hpp"

extern char** environ;

using namespace sb::test;
namespace v1 = switchboard::v1;
using BC = v1::ServerMessage::BodyCase;

namespace {

constexpr int shop_count = 50;
constexpr int node_count = 3;

// A helper process (HAProxy, Prometheus) with its output in a log file; stopped when it goes.
class Child {
 public:
  Child(const std::vector<std::string>& args, const std::string& log) : log_(log) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    std::vector<std::string> copy = args;
    std::vector<char*> argv;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawnp(&pid_, argv[0], &fa, nullptr, argv.data(), environ) != 0) throw std::runtime_error("cannot start " + args[0]);
    posix_spawn_file_actions_destroy(&fa);
  }
  ~Child() {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
  std::string log() const {
    std::ifstream in(log_);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }

 private:
  pid_t pid_ = -1;
  std::string log_;
};

unsigned short free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t n = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
  close(fd);
  return ntohs(a.sin_port);
}

std::string shop_id(int i) { return std::string(i < 10 ? "c0" : "c") + std::to_string(i); }
std::string node_host(int n) { return "127.0.0." + std::to_string(n + 2); }

// Every node reads the same shops and the same assignment: shop i on node i % 3.
std::string cluster_toml(unsigned short node_port) {
  std::string t;
  for (int i = 1; i <= shop_count; ++i)
    t += "[[shops]]\nid = \"" + shop_id(i) + "\"\n[[shops.skills]]\nname = \"general\"\n[[shops.agents]]\nid = \"a1\"\n"
         "skills = [\"general\"]\nwindow = 5\n";
  t += "[cluster]\n";
  for (int n = 0; n < node_count; ++n) {
    t += "[[cluster.nodes]]\nid = \"n" + std::to_string(n + 1) + "\"\naddress = \"" + node_host(n) + ":" + std::to_string(node_port) +
         "\"\nshops = [";
    for (int i = 1; i <= shop_count; ++i)
      if (i % node_count == n) t += "\"" + shop_id(i) + "\",";
    t += "]\n";
  }
  return t;
}

bool wait_for(const std::function<bool()>& ok, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (ok()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// One shop's day through the proxy: its agent and `customers` customers on /ws/shops/{shop}
// (hellos without a shopId: the URL names it); the agent answers the first and closes all.
void drive_shop(unsigned short proxy, const std::string& shop, int customers) {
  JsonClient agent("127.0.0.1", proxy, "/ws/shops/" + shop);
  agent.send(R"({"requestId":"h","hello":{"role":"ROLE_AGENT","token":")" + sb::net::mint_token(test_keys(), shop, "a1", "agent", 3600) + R"("}})");
  REQUIRE(agent.reply("h").has_welcome());
  agent.send(R"({"requestId":"on","setAgentStatus":{"status":"AGENT_STATUS_ONLINE"}})");
  REQUIRE(agent.reply("on").has_ack());
  std::vector<std::unique_ptr<JsonClient>> people;
  for (int c = 0; c < customers; ++c) {
    auto& m = people.emplace_back(std::make_unique<JsonClient>("127.0.0.1", proxy, "/ws/shops/" + shop));
    m->send(R"({"requestId":"h","hello":{"role":"ROLE_CUSTOMER","memberId":"m)" + std::to_string(c) + R"(","token":")" +
            sb::net::mint_token(test_keys(), shop, "m" + std::to_string(c), "customer", 3600) + R"("}})");
    REQUIRE(m->reply("h").has_welcome());
    m->send(R"({"requestId":"e","enter":{}})");
    m->send(R"({"requestId":"t","sendText":{"text":"is it in stock?"}})");
    REQUIRE(m->reply("t").has_ack());
    const std::string sid = agent.expect(BC::kAssigned).assigned().session_id();
    if (c == 0) {
      agent.send(R"({"requestId":"r","sendText":{"sessionId":")" + sid + R"(","text":"yes"}})");
      REQUIRE(agent.reply("r").has_ack());
    }
    agent.send(R"({"requestId":"x","closeSession":{"sessionId":")" + sid + R"("}})");
    REQUIRE(agent.reply("x").has_ack());
  }
}

// Prometheus's instant query, the answer's JSON.
std::string prom_answer(unsigned short port, const std::string& expr) {
  std::string q;
  for (unsigned char c : expr) {
    char buf[4];
    std::snprintf(buf, sizeof buf, "%%%02X", c);
    q += std::isalnum(c) || c == '_' ? std::string(1, static_cast<char>(c)) : std::string(buf);
  }
  return sb::net::http_call("127.0.0.1", port, "GET", "/api/v1/query?query=" + q, {}, {}).body;
}

// Prometheus's instant query: label value -> sample value.
std::map<std::string, double> prom_query(unsigned short port, const std::string& label, const std::string& expr) {
  const std::string body = prom_answer(port, expr);
  std::map<std::string, double> out;
  const std::regex sample("\\{[^{}]*\"" + label + "\":\"([^\"]*)\"[^{}]*\\},\"value\":\\[[0-9.]+,\"([0-9.e+-]+)\"\\]");
  for (std::sregex_iterator it(body.begin(), body.end(), sample), end; it != end; ++it) out[(*it)[1]] = std::stod((*it)[2]);
  return out;
}

// deploy/grafana: the dashboard's structure, and every panel's expression (Grafana's variables
// filled in as Grafana would) gives a non-empty answer from the real Prometheus. Grafana is not
// packaged in Debian 12, so this is how the dashboard is tested.
void check_dashboard(unsigned short prom_port) {
  const std::string root = std::string(SB_SOURCE_DIR) + "/deploy/grafana/";
  std::ifstream in(root + "dashboards/switchboard.json");
  const auto dash = nlohmann::json::parse(in, nullptr, false);
  REQUIRE(!dash.is_discarded());
  CHECK(dash.value("uid", "") == "switchboard");
  std::ifstream ds(root + "provisioning/datasources/prometheus.yml");
  const std::string ds_text((std::istreambuf_iterator<char>(ds)), std::istreambuf_iterator<char>());
  REQUIRE(dash.contains("panels"));
  REQUIRE(dash["panels"].size() >= 12);
  for (const auto& panel : dash["panels"]) {
    const std::string title = panel.value("title", "");
    INFO("panel " << title);
    CHECK(!title.empty());
    CHECK(panel.contains("gridPos"));
    CHECK_THAT(ds_text, Catch::Contains("uid: " + panel["datasource"].value("uid", "?")));
    REQUIRE(!panel["targets"].empty());
    for (const auto& target : panel["targets"]) {
      std::string expr = target.value("expr", "");
      for (const auto& [from, to] : {std::pair<std::string, std::string>{"$shop", ".*"}, {"$__range", "5m"}, {"$__rate_interval", "1m"}})
        for (auto at = expr.find(from); at != std::string::npos; at = expr.find(from)) expr.replace(at, from.size(), to);
      INFO("expr " << expr);
      std::string body;
      CHECK(wait_for(
          [&] {
            body = prom_answer(prom_port, expr);
            return body.find("\"status\":\"success\"") != std::string::npos && body.find("\"result\":[{") != std::string::npos;
          },
          std::chrono::seconds(10)));
      INFO(body);
    }
  }
}

}  // namespace

TEST_CASE("three nodes behind HAProxy: each shop on one node, figures equal in the API, Prometheus and SQL", "[integration][cluster]") {
  TestPostgres pg;
  const unsigned short node_port = free_port(), proxy_port = free_port(), tls_port = free_port(), prom_port = free_port();
  const std::string dir = temp_dir();
  const std::string cluster = cluster_toml(node_port);
  std::vector<std::unique_ptr<ServerProcess>> nodes;
  std::vector<std::string> journals;
  for (int n = 0; n < node_count; ++n) {
    journals.push_back(temp_dir());
    nodes.push_back(std::make_unique<ServerProcess>(
        store_toml(pg, journals.back()) + cluster,
        std::vector<std::string>{"--node", "n" + std::to_string(n + 1), "--listen", node_host(n) + ":" + std::to_string(node_port),
                                 "--clock", "manual", "--clock-start", "2026-08-18T10:00:00+08:00"}));
  }
  // The proxy's config from the same assignment, TLS with a self-signed certificate.
  std::ofstream(dir + "/cluster.toml") << test_auth_toml() << cluster;
  int rc = 0;
  const std::string pem = dir + "/proxy.pem";
  INFO(run("(openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 -keyout " + dir + "/key.pem -out " + dir +
               "/cert.pem && cat " + dir + "/cert.pem " + dir + "/key.pem > " + pem + ")", rc));
  REQUIRE(rc == 0);
  const std::string made = run(binary_path() + " haproxy-config --config " + dir + "/cluster.toml --out " + dir + " --bind 127.0.0.1:" +
                                   std::to_string(proxy_port) + " --tls-bind 127.0.0.1:" + std::to_string(tls_port) + " --tls-cert " + pem,
                               rc);
  INFO(made);
  REQUIRE(rc == 0);
  Child proxy({"haproxy", "-db", "-f", dir + "/haproxy.cfg"}, dir + "/haproxy.log");
  const std::string metrics_token = sb::net::mint_token(test_keys(), "*", "prometheus", "metrics", 3600);
  // Alertmanager receives what the shipped alert rules (and one that fires at once, to see the
  // path end to end within the test) send.
  const unsigned short am_port = free_port();
  std::ofstream(dir + "/alertmanager.yml") << "route:\n  receiver: log\n  group_wait: 0s\nreceivers:\n  - name: log\n";
  Child alertmanager({"prometheus-alertmanager", "--config.file=" + dir + "/alertmanager.yml", "--storage.path=" + dir + "/am",
                      "--web.listen-address=127.0.0.1:" + std::to_string(am_port), "--cluster.listen-address="},
                     dir + "/alertmanager.log");
  const std::string rules = std::string(SB_SOURCE_DIR) + "/deploy/prometheus/";
  std::ofstream(dir + "/now.yml") << "groups:\n  - name: test\n    rules:\n      - alert: SwitchboardTargetsExported\n"
                                  << "        expr: count(switchboard_shop_target_ratio{figure=\"response_45s_rate\"}) == 50\n";
  std::ofstream(dir + "/prometheus.yml") << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - " << rules
                                         << "switchboard_rules.yml\n  - " << rules << "switchboard_alerts.yml\n  - " << dir << "/now.yml\n"
                                         << "alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['127.0.0.1:"
                                         << am_port << "']\nscrape_configs:\n  - job_name: switchboard\n"
                                         << "    authorization:\n      credentials: " << metrics_token << "\n    static_configs:\n"
                                         << "      - targets: ['" << node_host(0) << ":" << node_port << "', '" << node_host(1) << ":"
                                         << node_port << "', '" << node_host(2) << ":" << node_port << "']\n";
  Child prometheus({"prometheus", "--config.file=" + dir + "/prometheus.yml", "--storage.tsdb.path=" + dir + "/tsdb",
                    "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)},
                   dir + "/prometheus.log");
  INFO(proxy.log());
  REQUIRE(wait_for([&] { return sb::net::http_call("127.0.0.1", proxy_port, "GET", "/healthz", {}, {}).status == 200; },
                   std::chrono::seconds(10)));

  std::map<std::string, int> customers;
  int requests = 0;
  for (int i = 1; i <= shop_count; ++i) {
    customers[shop_id(i)] = 1 + i % 3;
    requests += customers[shop_id(i)];
    drive_shop(proxy_port, shop_id(i), customers[shop_id(i)]);
  }

  // Each shop's traffic reached exactly its own node.
  for (int n = 0; n < node_count; ++n) {
    const std::string m = nodes[n]->scrape();
    for (int i = 1; i <= shop_count; ++i) {
      const std::string series = "switchboard_requests_total{shop=\"" + shop_id(i) + "\",skill=\"general\"} ";
      INFO("node n" << n + 1 << ", shop " << shop_id(i));
      if (i % node_count == n) CHECK_THAT(m, Catch::Contains(series + std::to_string(customers[shop_id(i)])));
      else CHECK_THAT(m, !Catch::Contains("shop=\"" + shop_id(i) + "\""));
    }
  }
  // The figures API per shop, through the proxy, equals what was done.
  std::map<std::string, int> api_requests;
  for (int i = 1; i <= shop_count; ++i) {
    const std::string shop = shop_id(i);
    const auto r = sb::net::http_call("127.0.0.1", proxy_port, "GET", "/api/v1/shops/" + shop + "/figures?date=2026-08-18", {},
                                      sb::net::mint_token(test_keys(), shop, "boss", "supervisor", 3600));
    REQUIRE(r.status == 200);
    v1::ShopFigures f;
    REQUIRE(google::protobuf::util::JsonStringToMessage(r.body, &f).ok());
    CHECK(f.figures().connection_rate().denominator() == static_cast<unsigned>(customers[shop]));
    CHECK(f.figures().connection_rate().numerator() == static_cast<unsigned>(customers[shop]));
    CHECK(f.figures().response_45s_rate().numerator() == 1);
    api_requests[shop] = static_cast<int>(f.figures().connection_rate().denominator());
  }
  // The raw counters summed by shop across the nodes, from Prometheus, equal the API's.
  std::map<std::string, double> from_prometheus;
  const bool scraped = wait_for(
      [&] {
        from_prometheus = prom_query(prom_port, "shop", "sum by (shop) (switchboard_requests_total)");
        double total = 0;
        for (const auto& [shop, v] : from_prometheus) total += v;
        return from_prometheus.size() == shop_count && total == requests;
      },
      std::chrono::seconds(20));
  INFO(prometheus.log());
  CHECK(scraped);
  for (const auto& [shop, n] : api_requests) CHECK(from_prometheus[shop] == n);
  check_dashboard(prom_port);
  INFO(alertmanager.log());
  CHECK(wait_for(
      [&] {
        const auto r = sb::net::http_call("127.0.0.1", am_port, "GET", "/api/v2/alerts", {}, {});
        return r.body.find("\"alertname\":\"SwitchboardTargetsExported\"") != std::string::npos;
      },
      std::chrono::seconds(20)));
  // And the SQL views, written by the three nodes into the one database.
  for (auto& node : nodes) wait_drained(*node);
  CHECK(pg.query("SELECT sum(requests) || '/' || count(*) FROM shop_day_figures WHERE day = '2026-08-18'") ==
        std::to_string(requests) + "/" + std::to_string(shop_count));
  CHECK(pg.query("SELECT count(*) FROM journal_cursor WHERE node_id IN ('n1', 'n2', 'n3')") == "3");
  // TLS ends at the proxy.
  CHECK(run("curl -sk -o /dev/null -w '%{http_code}' https://127.0.0.1:" + std::to_string(tls_port) + "/healthz", rc) == "200");
  // A node asked directly for a shop it does not serve: the owner named to a caller whose token
  // verified, the answer for an unknown shop to anyone else.
  const auto wrong = nodes[0]->get("/api/v1/shops/c01/figures", sb::net::mint_token(test_keys(), "c01", "boss", "supervisor", 3600));
  CHECK(wrong.status == 421);
  CHECK_THAT(wrong.body, Catch::Contains("served by node n2 (" + node_host(1) + ":" + std::to_string(node_port) + ")"));
  CHECK(nodes[0]->get("/api/v1/shops/c01/figures").status == nodes[0]->get("/api/v1/shops/nowhere/figures").status);
  JsonClient stray(nodes[0]->host(), nodes[0]->port(), "/ws/shops/c01");
  stray.send(R"({"requestId":"h","hello":{"role":"ROLE_AGENT","token":")" + sb::net::mint_token(test_keys(), "c01", "a1", "agent", 3600) + R"("}})");
  CHECK_THAT(stray.reply("h").error().message(), Catch::Contains("is served by node n2"));
  // The proxy keeps the admin side off the public address.
  CHECK(sb::net::http_call("127.0.0.1", proxy_port, "GET", "/metrics", {}, metrics_token).status == 404);
  for (const auto& j : journals) std::system(("rm -rf " + j).c_str());
  std::system(("rm -rf " + dir).c_str());
}

namespace {

// A person on /ws/shops/{shop} through the proxy, retried until welcomed: while a shop moves,
// a hello may reach the old node (it has let go) or the new one (not yet adopted).
struct Person {
  std::unique_ptr<JsonClient> ws;
  v1::Welcome welcome;
  std::vector<v1::ServerMessage> resumed;
};

Person connect_until_welcome(unsigned short proxy, const std::string& shop, const std::string& hello_body) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::string last;
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      Person p;
      p.ws = std::make_unique<JsonClient>("127.0.0.1", proxy, "/ws/shops/" + shop);
      p.ws->send(R"({"requestId":"h","hello":{)" + hello_body + "}}");
      const auto r = p.ws->reply("h");
      if (r.has_welcome()) {
        p.welcome = r.welcome();
        return p;
      }
      last = r.error().message();
    } catch (const std::exception& e) {
      last = e.what();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  FAIL("no welcome for " << shop << " within 20 s: " << last);
  return {};
}

std::string agent_hello(const std::string& shop) {
  return R"("role":"ROLE_AGENT","token":")" + sb::net::mint_token(test_keys(), shop, "a1", "agent", 3600) + "\"";
}
std::string customer_hello_body(const std::string& shop, const std::string& member) {
  return R"("role":"ROLE_CUSTOMER","memberId":")" + member + R"(","token":")" +
         sb::net::mint_token(test_keys(), shop, member, "customer", 3600) + "\"";
}
std::string resume_hello(const Person& p, const std::string& role) {
  return R"("role":")" + role + R"(","resumeToken":")" + p.welcome.resume_token() + "\"";
}

v1::ServerMessage ask(JsonClient& c, const std::string& id, const std::string& body) {
  c.send(R"({"requestId":")" + id + R"(",)" + body + "}");
  return c.reply(id);
}

// Each customer back with its resume token (`connect` says hello on a new connection): the
// first three to their sessions, the others to their queue places in order.
template <class Connect>
void resume_customers(std::vector<Person>& customers, Connect&& connect) {
  for (std::size_t i = 0; i < customers.size(); ++i) {
    INFO("customer m" << i);
    Person c = connect(resume_hello(customers[i], "ROLE_CUSTOMER"));
    CHECK(c.welcome.resumed());
    const auto r = c.ws->expect(BC::kResumed).resumed();
    if (i < 3) CHECK(r.sessions_size() == 1);
    else CHECK(r.queued().position() == static_cast<unsigned>(i - 2));
    customers[i] = std::move(c);
  }
}

// The agent back on the new node answers the one session not answered yet, then takes each
// queued customer, answers and closes every chat.
void finish_chats(Person& agent, const std::vector<std::string>& sessions, std::size_t chats) {
  REQUIRE(ask(*agent.ws, "r", R"("sendText":{"sessionId":")" + sessions[2] + R"(","text":"answer"})").has_ack());
  for (std::size_t i = 0; i < chats; ++i) {
    const std::string sid = i < 3 ? sessions[i] : agent.ws->expect(BC::kAssigned).assigned().session_id();
    if (i >= 3) REQUIRE(ask(*agent.ws, "r", R"("sendText":{"sessionId":")" + sid + R"(","text":"answer"})").has_ack());
    REQUIRE(ask(*agent.ws, "x", R"("closeSession":{"sessionId":")" + sid + R"("})").has_ack());
  }
}

// Chats on shop `shop` while `stop` is false: each one entered, answered and closed.
void keep_chatting(unsigned short proxy, const std::string& shop, const std::atomic<bool>& stop, int& chats, int& failures) {
  try {
    Person agent = connect_until_welcome(proxy, shop, agent_hello(shop));
    ask(*agent.ws, "on", R"("setAgentStatus":{"status":"AGENT_STATUS_ONLINE"})");
    for (int i = 0; !stop; ++i) {
      Person c = connect_until_welcome(proxy, shop, customer_hello_body(shop, "bg" + std::to_string(i)));
      ask(*c.ws, "e", R"("enter":{})");
      if (!ask(*c.ws, "t", R"("sendText":{"text":"background"})").has_ack()) ++failures;
      const std::string sid = agent.ws->expect(BC::kAssigned).assigned().session_id();
      if (!ask(*agent.ws, "r", R"("sendText":{"sessionId":")" + sid + R"(","text":"ok"})").has_ack()) ++failures;
      if (!ask(*agent.ws, "x", R"("closeSession":{"sessionId":")" + sid + R"("})").has_ack()) ++failures;
      ++chats;
    }
  } catch (const std::exception&) {
    ++failures;
  }
}

}  // namespace

TEST_CASE("a planned move of a shop under traffic, through HAProxy, loses nothing", "[integration][cluster][move]") {
  TestPostgres pg;
  const unsigned short node_port = free_port(), proxy_port = free_port();
  const std::string dir = temp_dir();
  std::string cluster;
  for (const char* shop : {"mv", "bg"})
    cluster += std::string("[[shops]]\nid = \"") + shop + "\"\n[[shops.skills]]\nname = \"general\"\n[[shops.agents]]\nid = \"a1\"\n"
               "skills = [\"general\"]\nwindow = 3\n";
  cluster += "[cluster]\n[[cluster.nodes]]\nid = \"n1\"\naddress = \"" + node_host(0) + ":" + std::to_string(node_port) +
             "\"\nshops = [\"mv\", \"bg\"]\n[[cluster.nodes]]\nid = \"n2\"\naddress = \"" + node_host(1) + ":" +
             std::to_string(node_port) + "\"\nshops = []\n";
  const std::vector<std::string> journals{temp_dir(), temp_dir()};
  auto start_node = [&](int n) {
    return std::make_unique<ServerProcess>(
        store_toml(pg, journals[n]) + cluster,
        std::vector<std::string>{"--node", "n" + std::to_string(n + 1), "--listen", node_host(n) + ":" + std::to_string(node_port),
                                 "--clock", "manual", "--clock-start", "2026-08-18T10:00:00+08:00"});
  };
  std::vector<std::unique_ptr<ServerProcess>> nodes;
  nodes.push_back(start_node(0));
  nodes.push_back(start_node(1));
  std::ofstream(dir + "/cluster.toml") << test_auth_toml() << cluster;
  int rc = 0;
  const std::string sock = dir + "/haproxy.sock";
  INFO(run(binary_path() + " haproxy-config --config " + dir + "/cluster.toml --out " + dir + " --bind 127.0.0.1:" +
               std::to_string(proxy_port) + " --admin-socket " + sock, rc));
  REQUIRE(rc == 0);
  Child proxy({"haproxy", "-db", "-f", dir + "/haproxy.cfg"}, dir + "/haproxy.log");
  REQUIRE(wait_for([&] { return sb::net::http_call("127.0.0.1", proxy_port, "GET", "/healthz", {}, {}).status == 200; },
                   std::chrono::seconds(10)));

  // Before: the agent has three sessions (two answered), three customers wait in the queue,
  // every customer's text acknowledged.
  Person agent = connect_until_welcome(proxy_port, "mv", agent_hello("mv"));
  REQUIRE(ask(*agent.ws, "on", R"("setAgentStatus":{"status":"AGENT_STATUS_ONLINE"})").has_ack());
  std::vector<Person> customers;
  std::vector<std::string> sessions;
  for (int i = 0; i < 6; ++i) {
    customers.push_back(connect_until_welcome(proxy_port, "mv", customer_hello_body("mv", "m" + std::to_string(i))));
    ask(*customers.back().ws, "e", R"("enter":{})");
    REQUIRE(ask(*customers.back().ws, "t", R"("sendText":{"text":"hello from m)" + std::to_string(i) + R"("})").has_ack());
    if (i < 3) sessions.push_back(agent.ws->expect(BC::kAssigned).assigned().session_id());
  }
  for (int i = 0; i < 2; ++i)
    REQUIRE(ask(*agent.ws, "r", R"("sendText":{"sessionId":")" + sessions[i] + R"(","text":"answer"})").has_ack());

  // The move, while shop bg on the same node keeps chatting.
  std::atomic<bool> stop{false};
  int bg_chats = 0, bg_failures = 0;
  std::thread background([&] { keep_chatting(proxy_port, "bg", stop, bg_chats, bg_failures); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const std::string admin = sb::net::mint_token(test_keys(), "*", "ops", "admin", 3600);
  const std::string moved = run(binary_path() + " move-shop mv --from " + node_host(0) + ":" + std::to_string(node_port) + " --to " +
                                    node_host(1) + ":" + std::to_string(node_port) + " --to-node n2 --token " + admin +
                                    " --haproxy-socket " + sock + " --map " + dir + "/shops.map",
                                rc);
  INFO(moved);
  REQUIRE(rc == 0);
  CHECK_THAT(moved, Catch::Contains("7 connections told to reconnect"));
  CHECK(agent.ws->expect(BC::kShutdown).shutdown().reconnect_after_ms() > 0);

  // After: everyone comes back through the proxy with their resume tokens, to the new node.
  Person agent2 = connect_until_welcome(proxy_port, "mv", resume_hello(agent, "ROLE_AGENT"));
  CHECK(agent2.welcome.resumed());
  const auto back = agent2.ws->expect(BC::kResumed).resumed();
  CHECK(back.sessions_size() == 3);
  resume_customers(customers, [&](const std::string& hello) { return connect_until_welcome(proxy_port, "mv", hello); });
  finish_chats(agent2, sessions, customers.size());
  stop = true;
  background.join();
  CHECK(bg_failures == 0);
  CHECK(bg_chats > 0);

  // The figures, the counters and history: all six, once.
  const auto figures = sb::net::http_call("127.0.0.1", proxy_port, "GET", "/api/v1/shops/mv/figures?date=2026-08-18", {},
                                          sb::net::mint_token(test_keys(), "mv", "boss", "supervisor", 3600));
  REQUIRE(figures.status == 200);
  v1::ShopFigures f;
  REQUIRE(google::protobuf::util::JsonStringToMessage(figures.body, &f).ok());
  CHECK(f.figures().connection_rate().numerator() == 6);
  CHECK(f.figures().connection_rate().denominator() == 6);
  CHECK(f.figures().response_45s_rate().numerator() == 6);
  CHECK(f.figures().response_45s_rate().denominator() == 6);
  CHECK_THAT(nodes[1]->scrape(), Catch::Contains("switchboard_requests_total{shop=\"mv\",skill=\"general\"} 6"));
  CHECK_THAT(nodes[0]->scrape(), !Catch::Contains("shop=\"mv\""));
  const auto wrong = nodes[0]->get("/api/v1/shops/mv/figures", sb::net::mint_token(test_keys(), "mv", "boss", "supervisor", 3600));
  CHECK(wrong.status == 421);
  CHECK_THAT(wrong.body, Catch::Contains("node n2"));
  for (auto& node : nodes) wait_drained(*node);
  CHECK(pg.query("SELECT count(*) || '/' || count(DISTINCT body) FROM messages WHERE shop_id = 'mv' AND body LIKE 'hello from m%'") ==
        "6/6");
  CHECK(pg.query("SELECT count(*) || '/' || count(closed_at) FROM sessions WHERE shop_id = 'mv'") == "6/6");
  CHECK(pg.query("SELECT requests || '/' || sessions_responded_45s FROM shop_day_figures WHERE shop_id = 'mv'") == "6/6");
  CHECK(pg.query("SELECT from_node || '>' || adopted_by FROM shop_handoffs WHERE shop_id = 'mv'") == "n1>n2");

  // Restarts keep the move: n2 (killed) rebuilds the adopted shop from its journal; n1, whose
  // config still names mv, does not take it back.
  nodes[1]->kill9();
  nodes[1] = start_node(1);
  nodes[0]->stop();
  nodes[0] = start_node(0);
  const auto again = nodes[1]->get("/api/v1/shops/mv/figures?date=2026-08-18", sb::net::mint_token(test_keys(), "mv", "boss", "supervisor", 3600));
  REQUIRE(again.status == 200);
  v1::ShopFigures f2;
  REQUIRE(google::protobuf::util::JsonStringToMessage(again.body, &f2).ok());
  CHECK(f2.figures().SerializeAsString() == f.figures().SerializeAsString());
  CHECK(nodes[0]->get("/api/v1/shops/mv/figures", sb::net::mint_token(test_keys(), "mv", "boss", "supervisor", 3600)).status != 200);
  for (const auto& j : journals) std::system(("rm -rf " + j).c_str());
  std::system(("rm -rf " + dir).c_str());
}

// An unplanned move: node n1 is killed for good in the middle of a day; n2 rebuilds its shop
// from what PostgreSQL holds of n1 (its snapshot and the calls copied after it), the clients
// come back to n2 with their resume tokens, and the day ends with every figure consistent. What
// is lost is measured: the texts n1 acknowledged that its writer had not yet put into PostgreSQL.
TEST_CASE("a node lost for good: another rebuilds its shop from PostgreSQL", "[integration][cluster][move][lost]") {
  TestPostgres pg;
  const unsigned short node_port = free_port();
  std::string cluster = "[[shops]]\nid = \"lo\"\n[[shops.skills]]\nname = \"general\"\n[[shops.agents]]\nid = \"a1\"\n"
                        "skills = [\"general\"]\nwindow = 3\n";
  cluster += "[cluster]\n[[cluster.nodes]]\nid = \"n1\"\naddress = \"" + node_host(0) + ":" + std::to_string(node_port) +
             "\"\nshops = [\"lo\"]\n[[cluster.nodes]]\nid = \"n2\"\naddress = \"" + node_host(1) + ":" + std::to_string(node_port) +
             "\"\nshops = []\n";
  const std::vector<std::string> journals{temp_dir(), temp_dir()};
  auto store_of = [&](int n) {
    std::string s = store_toml(pg, journals[n]);
    s.insert(s.size() - 1, "snapshot_calls = 4\n");  // snapshots come and go during the day: the copy is pruned
    return s;
  };
  auto args_of = [&](int n) {
    return std::vector<std::string>{"--node", "n" + std::to_string(n + 1), "--listen", node_host(n) + ":" + std::to_string(node_port),
                                    "--clock", "manual", "--clock-start", "2026-08-18T10:00:00+08:00"};
  };
  auto n1 = std::make_unique<ServerProcess>(store_of(0) + cluster, args_of(0));
  auto n2 = std::make_unique<ServerProcess>(store_of(1) + cluster, args_of(1));
  auto direct = [&](int n, const std::string& hello) {
    Person p;
    p.ws = std::make_unique<JsonClient>(node_host(n), node_port, "/ws/shops/lo");
    const auto r = ask(*p.ws, "h", R"("hello":{)" + hello + "}");
    REQUIRE(r.has_welcome());
    p.welcome = r.welcome();
    return p;
  };

  // On n1: three sessions (two answered), two customers queued, every text acknowledged.
  Person agent = direct(0, agent_hello("lo"));
  REQUIRE(ask(*agent.ws, "on", R"("setAgentStatus":{"status":"AGENT_STATUS_ONLINE"})").has_ack());
  std::vector<Person> customers;
  std::vector<std::string> sessions;
  for (int i = 0; i < 5; ++i) {
    customers.push_back(direct(0, customer_hello_body("lo", "m" + std::to_string(i))));
    ask(*customers.back().ws, "e", R"("enter":{})");
    REQUIRE(ask(*customers.back().ws, "t", R"("sendText":{"text":"hello from m)" + std::to_string(i) + R"("})").has_ack());
    if (i < 3) sessions.push_back(agent.ws->expect(BC::kAssigned).assigned().session_id());
  }
  for (int i = 0; i < 2; ++i)
    REQUIRE(ask(*agent.ws, "r", R"("sendText":{"sessionId":")" + sessions[i] + R"(","text":"answer"})").has_ack());
  wait_drained(*n1);
  CHECK(pg.query("SELECT count(*) > 0 FROM node_snapshots WHERE node_id = 'n1'") == "t");
  // The last text goes in just before the kill: whether n1's writer got it into PostgreSQL is
  // what an unplanned move can lose.
  REQUIRE(ask(*customers[4].ws, "late", R"("sendText":{"text":"late text"})").has_ack());
  n1->kill9();
  const std::string late_in_db = pg.query("SELECT count(*) FROM messages WHERE shop_id = 'lo' AND body = 'late text'");
  std::cout << "lost node: " << (late_in_db == "1" ? 0 : 1) << " of 8 acknowledged texts had not reached PostgreSQL at the kill\n";

  // Bad requests name the problem and change nothing.
  const std::string admin = sb::net::mint_token(test_keys(), "*", "ops", "admin", 3600);
  auto adopt = [&](const std::string& body) {
    return sb::net::http_call(node_host(1), node_port, "POST", "/api/v1/admin/shops/lo/adopt", body, admin);
  };
  const auto garbled = adopt(R"({"lostNode":)");
  CHECK(garbled.status == 400);
  CHECK_THAT(garbled.body, Catch::Contains("body is not a switchboard.v1.ShopAdopt in JSON"));
  const auto self = adopt(R"({"lostNode":"n2"})");
  CHECK(self.status == 400);
  CHECK_THAT(self.body, Catch::Contains("lostNode names this node"));
  const auto unknown = adopt(R"({"lostNode":"n9"})");
  CHECK(unknown.status == 404);
  CHECK_THAT(unknown.body, Catch::Contains("PostgreSQL holds no copy of node n9's journal"));
  const auto other = sb::net::http_call(node_host(1), node_port, "POST", "/api/v1/admin/shops/nowhere/adopt", R"({"lostNode":"n1"})", admin);
  CHECK(other.status == 404);
  CHECK(sb::net::http_call(node_host(1), node_port, "POST", "/api/v1/admin/shops/lo/adopt", R"({"lostNode":"n1"})",
                           sb::net::mint_token(test_keys(), "lo", "boss", "supervisor", 3600)).status == 403);
  CHECK(pg.query("SELECT count(*) FROM shop_handoffs") == "0");

  // The rebuild on n2, from the command an operator runs.
  int rc = 0;
  const std::string moved = run(binary_path() + " move-shop lo --lost n1 --to " + node_host(1) + ":" + std::to_string(node_port) +
                                    " --to-node n2 --token " + admin, rc);
  INFO(moved);
  REQUIRE(rc == 0);
  CHECK_THAT(moved, Catch::Contains("rebuilt from node n1"));
  CHECK_THAT(moved, Catch::Contains("6 connections it had counted as dropped"));
  // Twice is refused: one shop, one owner.
  const auto twice = sb::net::http_call(node_host(1), node_port, "POST", "/api/v1/admin/shops/lo/adopt", R"({"lostNode":"n1"})", admin);
  CHECK(twice.status == 409);
  CHECK_THAT(twice.body, Catch::Contains("already served here"));

  // Everyone comes back to n2 with their resume tokens, to their sessions and queue places.
  Person agent2 = direct(1, resume_hello(agent, "ROLE_AGENT"));
  CHECK(agent2.welcome.resumed());
  CHECK(agent2.ws->expect(BC::kResumed).resumed().sessions_size() == 3);
  resume_customers(customers, [&](const std::string& hello) { return direct(1, hello); });
  finish_chats(agent2, sessions, customers.size());

  // The figures API, n2's counters and history agree: five chats, once each.
  const auto figures = n2->get("/api/v1/shops/lo/figures?date=2026-08-18", sb::net::mint_token(test_keys(), "lo", "boss", "supervisor", 3600));
  REQUIRE(figures.status == 200);
  v1::ShopFigures f;
  REQUIRE(google::protobuf::util::JsonStringToMessage(figures.body, &f).ok());
  CHECK(f.figures().connection_rate().numerator() == 5);
  CHECK(f.figures().connection_rate().denominator() == 5);
  CHECK(f.figures().response_45s_rate().numerator() == 5);
  CHECK_THAT(n2->scrape(), Catch::Contains("switchboard_requests_total{shop=\"lo\",skill=\"general\"} 5"));
  wait_drained(*n2);
  CHECK(pg.query("SELECT count(*) || '/' || count(DISTINCT body) FROM messages WHERE shop_id = 'lo' AND body LIKE 'hello from m%'") ==
        "5/5");
  CHECK(pg.query("SELECT count(*) FROM messages WHERE shop_id = 'lo' AND body = 'late text'") == late_in_db);
  CHECK(pg.query("SELECT count(*) || '/' || count(closed_at) FROM sessions WHERE shop_id = 'lo'") == "5/5");
  CHECK(pg.query("SELECT requests || '/' || sessions_responded_45s FROM shop_day_figures WHERE shop_id = 'lo'") == "5/5");
  CHECK(pg.query("SELECT from_node || '>' || adopted_by || ' ' || rebuilt FROM shop_handoffs WHERE shop_id = 'lo'") == "n1>n2 true");

  // n1 must not come back with the shop: its journal and the assignment still give it lo.
  const std::string dir = temp_dir();
  std::ofstream(dir + "/n1.toml") << "[server]\nthreads = 2\nmanual_clock_allowed = true\n" << test_auth_toml() << store_of(0) << cluster;
  std::string cmd = "timeout 30 " + binary_path() + " serve --config " + dir + "/n1.toml";
  for (const auto& a : args_of(0)) cmd += " " + a;
  const std::string refused = run(cmd + " 2>&1", rc);
  CHECK(WEXITSTATUS(rc) == 2);
  CHECK_THAT(refused, Catch::Contains("shop \"lo\" was rebuilt on node n2 after this node (n1) was declared lost"));
  for (const auto& j : journals) std::system(("rm -rf " + j).c_str());
  std::system(("rm -rf " + dir).c_str());
}
