// Trust at the edges, tried as an attacker and a careless client would: nobody takes over
// another's chat, the tier comes from the token only, no field the core or the database could
// choke on gets past the edge, every refusal says what is wrong (with the frame's requestId),
// and the node backs off instead of spinning when it runs out of files.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "shops.hpp"
#include "store_helpers.hpp"
#include "net/codec.hpp"
#include "support/server_process.hpp"

using namespace sb::test;
namespace v1 = switchboard::v1;
using BC = v1::ServerMessage::BodyCase;

namespace {

int tcp_connect(unsigned short port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  return fd;
}

// User plus system CPU time the process has used.
double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string f;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i)
    if (i == 14 || i == 15) ticks += std::stod(f);
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

const std::vector<std::string> manual_clock{"--clock", "manual", "--clock-start", "2026-08-18T10:00:00+08:00"};

v1::ServerMessage ask(JsonClient& c, const std::string& rid, const std::string& body) {
  c.send(R"({"requestId":")" + rid + R"(",)" + body + "}");
  return c.reply(rid);
}

std::unique_ptr<JsonClient> online_agent(ServerProcess& s, const std::string& id) {
  auto c = std::make_unique<JsonClient>(s.port());
  REQUIRE(ask(*c, "h", R"("hello":{"role":"ROLE_AGENT","shopId":"day","token":")" + s.token("day", id, "agent") + R"("})")
              .has_welcome());
  REQUIRE(ask(*c, "on", R"("setAgentStatus":{"status":"AGENT_STATUS_ONLINE"})").has_ack());
  return c;
}

std::unique_ptr<JsonClient> customer(ServerProcess& s, const std::string& member, v1::Tier tier = v1::TIER_UNSPECIFIED) {
  auto c = std::make_unique<JsonClient>(s.port());
  c->send(customer_hello("day", member, "h", tier));
  REQUIRE(c->reply("h").has_welcome());
  REQUIRE(ask(*c, "e", R"("enter":{"skill":"phones"})").has_ack());
  return c;
}

}  // namespace

TEST_CASE("a hello for a chatting member without that member's token gets nothing of the chat", "[integration][trust]") {
  ServerProcess server(day_shop_toml, manual_clock);
  auto alice = online_agent(server, "alice");
  auto victim = customer(server, "m-victim");
  REQUIRE(ask(*victim, "t", R"("sendText":{"text":"my address is 12 Secret Road"})").has_ack());
  const std::string sid = victim->expect(BC::kAssigned).assigned().session_id();
  alice->expect(BC::kAssigned);
  // The attacker knows the member id, and has a token of its own (another member) and that
  // member's resume token: none of it opens the victim's chat.
  JsonClient attacker(server.port());
  attacker.send(customer_hello("day", "m-attacker", "own"));
  const auto own = attacker.reply("own");
  REQUIRE(own.has_welcome());
  JsonClient again(server.port());
  const auto no_token = ask(again, "a", R"("hello":{"role":"ROLE_CUSTOMER","shopId":"day","memberId":"m-victim"})");
  CHECK(no_token.error().code() == v1::ERROR_CODE_BAD_TOKEN);
  const auto other_token = ask(again, "b", R"("hello":{"role":"ROLE_CUSTOMER","shopId":"day","memberId":"m-victim","token":")" +
                                               server.customer_token("day", "m-attacker") + R"("})");
  CHECK(other_token.error().message() == "token is for member \"m-attacker\", not \"m-victim\"");
  const auto other_resume = ask(again, "c", R"("hello":{"role":"ROLE_CUSTOMER","shopId":"day","memberId":"m-victim","resumeToken":")" +
                                                own.welcome().resume_token() + R"("})");
  CHECK(other_resume.error().code() == v1::ERROR_CODE_BAD_TOKEN);
  CHECK(other_resume.error().message() == "resume token is not for this shop, role and person");
  // Nothing of the victim's session reached either connection; the victim's chat goes on.
  REQUIRE(ask(*alice, "r", R"("sendText":{"sessionId":")" + sid + R"(","text":"delivery tomorrow"})").has_ack());
  CHECK(victim->expect(BC::kChatMessage).chat_message().text() == "delivery tomorrow");
  for (JsonClient* c : {&attacker, &again}) {
    CHECK(c->quiet(BC::kChatMessage));
    CHECK(c->quiet(BC::kResumed));
    CHECK(c->quiet(BC::kAssigned));
  }
  CHECK(ask(attacker, "x", R"("closeSession":{"sessionId":")" + sid + R"("})").error().code() == v1::ERROR_CODE_NOT_FOUND);
  CHECK(ask(attacker, "y", R"("rate":{"sessionId":")" + sid + R"(","score":1})").error().code() == v1::ERROR_CODE_NOT_FOUND);
  const auto metrics = server.scrape();
  CHECK(metrics.find("switchboard_security_refusals_total{reason=\"no_token\"} 1") != std::string::npos);
  CHECK(metrics.find("switchboard_security_refusals_total{reason=\"wrong_person\"} 1") != std::string::npos);
  CHECK(metrics.find("switchboard_security_refusals_total{reason=\"wrong_resume\"} 1") != std::string::npos);
}

TEST_CASE("a customer's tier comes from its token only", "[integration][trust]") {
  ServerProcess server(day_shop_toml, manual_clock);
  auto alice = online_agent(server, "alice");  // window 1
  auto busy = customer(server, "m-first");
  REQUIRE(ask(*busy, "t", R"("sendText":{"text":"first"})").has_ack());
  const std::string first = busy->expect(BC::kAssigned).assigned().session_id();
  // Numbers and names the client picks are refused, and the refusal keeps the frame's requestId.
  auto c = customer(server, "m-c");  // token without a tier: C
  for (const char* tier : {"\"TIER_A\"", "1", "99", "-5", "40000"}) {
    const auto e = ask(*c, "tier", std::string(R"("enter":{"skill":"phones","tier":)") + tier + "}");
    INFO(tier);
    REQUIRE(e.has_error());
    CHECK((e.error().code() == v1::ERROR_CODE_INVALID_ARGUMENT || e.error().code() == v1::ERROR_CODE_BAD_FRAME));
  }
  REQUIRE(ask(*c, "t", R"("sendText":{"text":"C waits"})").has_ack());
  auto a = customer(server, "m-a", v1::TIER_A);  // the shop's site signed tier A
  REQUIRE(ask(*a, "t", R"("sendText":{"text":"A waits"})").has_ack());
  // alice frees up: the tier-A customer, who came second, is served first.
  REQUIRE(ask(*alice, "c", R"("closeSession":{"sessionId":")" + first + R"("})").has_ack());
  const auto served = a->expect(BC::kAssigned);
  CHECK(served.assigned().tier() == v1::TIER_A);
  CHECK(c->quiet(BC::kAssigned));
}

TEST_CASE("poison input is refused at the edge, naming the field and the rule, with the requestId", "[integration][trust]") {
  ServerProcess server(day_shop_toml, manual_clock);
  auto alice = online_agent(server, "alice");
  auto c = customer(server, "m1");
  auto refused = [&](const std::string& rid, const std::string& body, const std::string& names) {
    const auto e = ask(*c, rid, body);
    INFO(body << " -> " << e.ShortDebugString());
    REQUIRE(e.has_error());
    CHECK(e.error().code() == v1::ERROR_CODE_INVALID_ARGUMENT);
    CHECK(e.error().message().find(names) != std::string::npos);
  };
  refused("nul", R"("sendText":{"text":"a\u0000b"})", "sendText.text: contains U+0000 (NUL)");
  refused("ctl", R"("sendText":{"text":"bell\u0007"})", "sendText.text: contains control character U+0007");
  refused("skill", R"("enter":{"skill":"ph\u0000ones"})", "enter.skill: contains U+0000");
  refused("long", R"("rate":{"sessionId":")" + std::string(200, 's') + R"(","score":5})", "rate.sessionId: is 200 bytes; the limit is 128");
  refused("score", R"("rate":{"sessionId":"s","score":40000})", "rate.score: must be 1 to 5, got 40000");
  refused("status", R"("setAgentStatus":{"status":7})", "setAgentStatus.status: 7 is not a AgentStatus value");
  refused("window", R"("setWindow":{"agentId":"alice","window":-3})", "setWindow.window: must be 1 to 50, got -3");
  // A hello whose member id carries a NUL is refused before any token check.
  JsonClient h(server.port());
  const auto e = ask(h, "hn", R"("hello":{"role":"ROLE_CUSTOMER","shopId":"day","memberId":"m\u00001"})");
  CHECK(e.error().message() == "hello.memberId: contains U+0000 (NUL), which is not allowed");
  // Wrongly typed fields: the frame is not a ClientMessage, but its requestId comes back.
  const std::vector<std::string> typed{R"("rate":{"sessionId":"s","score":"five"})", R"("rate":{"sessionId":7,"score":5})",
                                       R"("enter":{"skill":["phones"]})",           R"("sendText":{"text":{"a":1}})",
                                       R"("sendText":{"text":true})",               R"("setWindow":{"agentId":"a","window":1.5})",
                                       R"("setAgentStatus":{"status":{}})",        R"("transfer":{"sessionId":null,"toSkill":3})",
                                       R"("watchSession":{"sessionId":"s","stop":[1]})", R"("enter":"phones")",
                                       R"("ping":[])",                              R"("leaveMessage":{"text":12})"};
  for (std::size_t i = 0; i < typed.size(); ++i) {
    const std::string rid = "typed" + std::to_string(i);
    const auto t = ask(*c, rid, typed[i]);
    INFO(typed[i]);
    CHECK(t.request_id() == rid);
    CHECK(t.error().code() == v1::ERROR_CODE_BAD_FRAME);
  }
  // Nothing of it changed anything: the customer still chats normally.
  REQUIRE(ask(*c, "ok", R"("sendText":{"text":"a normal question"})").has_ack());
  c->expect(BC::kAssigned);
  const auto to_alice = alice->expect(BC::kAssigned);
  REQUIRE(to_alice.assigned().history_size() == 1);
  CHECK(to_alice.assigned().history(0).text() == "a normal question");
}

TEST_CASE("the WebSocket URL may name the shop (for a proxy) and carry any query string", "[integration][trust]") {
  ServerProcess server(day_shop_toml, manual_clock);
  sb::net::WsClient query, shop_url, mismatch, bad_path;
  CHECK(query.connect("127.0.0.1", server.port(), "/ws?widget=2&lang=zh").empty());
  REQUIRE(shop_url.connect("127.0.0.1", server.port(), "/ws/shops/day?v=1").empty());
  shop_url.send_text(R"({"requestId":"h","hello":{"role":"ROLE_AGENT","token":")" + server.token("day", "bob", "agent") + R"("}})");
  std::string parse_error;
  v1::ServerMessage w;
  REQUIRE(sb::net::from_json(*shop_url.recv(std::chrono::seconds(3)), w, parse_error));
  CHECK(w.welcome().shop_id() == "day");
  REQUIRE(mismatch.connect("127.0.0.1", server.port(), "/ws/shops/other").empty());
  mismatch.send_text(R"({"requestId":"h","hello":{"role":"ROLE_AGENT","shopId":"day","token":")" + server.token("day", "bob", "agent") +
                     R"("}})");
  v1::ServerMessage e;
  REQUIRE(sb::net::from_json(*mismatch.recv(std::chrono::seconds(3)), e, parse_error));
  CHECK(e.error().code() == v1::ERROR_CODE_INVALID_ARGUMENT);
  CHECK(e.error().message() == "hello.shopId \"day\" differs from the shop in the URL (\"other\")");
  CHECK(!bad_path.connect("127.0.0.1", server.port(), "/chat").empty());
}

TEST_CASE("the manual clock refuses advances past 400 days or beyond what time can hold", "[integration][trust]") {
  ServerProcess server(day_shop_toml, manual_clock);
  const std::string admin = server.token("*", "ops", "admin");
  auto advance = [&](const std::string& body) { return server.post("/api/v1/admin/clock", body, admin); };
  auto r = advance(R"({"advanceMs": 9223372036854775807})");
  CHECK(r.status == 400);
  CHECK(r.body.find("advanceMs: must be 0 to 34560000000") != std::string::npos);
  CHECK(advance(R"({"advanceMs": 1000000000000000})").status == 400);
  CHECK(advance(R"({"advanceMs": -5})").status == 400);
  r = advance(R"({"advanceTo": "9999-12-31T00:00:00Z"})");
  CHECK(r.status == 400);
  CHECK(r.body.find("at most 400 days") != std::string::npos);
  CHECK(advance(R"({"advanceMs": 34560000000})").status == 200);  // exactly 400 days: every hour fires
  CHECK(server.running());
  CHECK(server.get("/healthz").status == 200);
}

TEST_CASE("check-config catches what serve would trip on", "[integration][trust][config]") {
  auto check = [](const std::string& toml, int& rc, const std::string& prefix = "") {
    const std::string path = temp_dir() + "/config.toml";
    std::ofstream(path) << toml;
    return run(prefix + binary_path() + " check-config --config " + path, rc);
  };
  const std::string shop = "[[shops]]\nid = \"x\"\n[[shops.skills]]\nname = \"a\"\n";
  int rc = 0;
  auto out = check(test_auth_toml() + shop + "[shops.hours]\nevery_day = [\"09:00-13:00\", \"12:00-18:00\"]\n", rc);
  CHECK(rc != 0);
  CHECK(out.find("shops[0].hours.every_day: spans \"09:00-13:00\" and \"12:00-18:00\" overlap") != std::string::npos);
  out = check("[server]\nlisten = \"127.0.0.1:9000\"\nadmin_listen = \"127.0.0.1:9000\"\n" + test_auth_toml() + shop, rc);
  CHECK(rc != 0);
  CHECK(out.find("server.admin_listen: is the same address as server.listen") != std::string::npos);
  out = check(test_auth_toml() + "[store]\ndatabase_url = \"postgresql://[::1\"\n" + shop, rc);
  CHECK(rc != 0);
  CHECK(out.find("store.database_url: is not a PostgreSQL connection URL") != std::string::npos);
  out = check("[auth]\n[[auth.keys]]\nkid = \"k\"\nsecret = \"short\"\n" + shop, rc);
  CHECK(rc != 0);
  CHECK(out.find("auth.keys[0].secret: must be at least 32 bytes") != std::string::npos);
  // Too many connections for the open-files limit: a warning, and serve caps it.
  out = check("[server]\nconnections_max = 18000\n" + test_auth_toml() + shop, rc, "/usr/bin/prlimit --nofile=1024 -- ");
  CHECK(rc == 0);
  CHECK(out.find("warning: server.connections_max 18000 is above what the open-files limit (1024") != std::string::npos);
  CHECK(out.find("capped at 960") != std::string::npos);
}

TEST_CASE("out of open files, the node pauses accepting instead of spinning, and recovers", "[integration][trust][limits]") {
  ServerProcess server(always_open_toml, {}, "connections_max = 100000\nconnections_per_address_max = 100000\n",
                       {"/usr/bin/prlimit", "--nofile=96", "--"});
  JsonClient keeper(server.port());  // an open connection that must keep working
  keeper.send(R"({"requestId":"p0","ping":{}})");
  REQUIRE(keeper.reply("p0").has_pong());
  // Plain TCP connections: the kernel queues them; the server accepts until it runs out of files.
  std::vector<int> flood;
  for (int i = 0; i < 150; ++i) flood.push_back(tcp_connect(server.port()));
  const double cpu_before = cpu_seconds(server.pid());
  std::this_thread::sleep_for(std::chrono::seconds(3));  // the kernel's backlog keeps knocking
  const double cpu = cpu_seconds(server.pid()) - cpu_before;
  CHECK(cpu < 0.5);  // a spinning accept loop takes the whole core: ~3 s
  keeper.send(R"({"requestId":"p1","ping":{}})");
  CHECK(keeper.reply("p1").has_pong());
  for (int fd : flood) ::close(fd);  // files free up: accepting resumes
  std::unique_ptr<JsonClient> later;
  for (int attempt = 0; attempt < 50 && !later; ++attempt) {
    try {
      later = std::make_unique<JsonClient>(server.port());
    } catch (const std::exception&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  REQUIRE(later);
  later->send(R"({"requestId":"p2","ping":{}})");
  CHECK(later->reply("p2").has_pong());
  const std::string log = server.stderr_text();
  std::size_t lines = 0;
  for (std::size_t at = log.find("accept failed"); at != std::string::npos; at = log.find("accept failed", at + 1)) ++lines;
  CHECK(lines >= 1);
  CHECK(lines <= 3);  // once per 5 s, with a count
  CHECK(server.scrape().find("switchboard_accept_errors_total{reason=\"files\"}") != std::string::npos);
}
