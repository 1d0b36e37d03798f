// Bad input of every kind gets an error naming the problem and the request id; the connection
// stays open and nothing else is affected.
#include <catch2/catch.hpp>
#include <unistd.h>
#include <fstream>

#include "shops.hpp"
#include "store_helpers.hpp"
#include "support/server_process.hpp"

using namespace sb::test;
namespace v1 = switchboard::v1;
using BC = v1::ServerMessage::BodyCase;

namespace {
const std::vector<std::string> manual_clock{"--clock", "manual", "--clock-start", "2026-08-18T10:00:00+08:00"};

v1::ServerMessage ask(JsonClient& c, const std::string& rid, const std::string& body) {
  c.send(R"({"requestId":")" + rid + R"(",)" + body + "}");
  return c.reply(rid);
}
}  // namespace

TEST_CASE("malformed frames, unknown messages and bad state get clear errors; the connection stays", "[integration][errors]") {
  ServerProcess server(day_shop_toml, manual_clock);
  JsonClient c(server.port());
  c.send("this is not json");
  auto e = c.expect(BC::kError);
  CHECK(e.error().code() == v1::ERROR_CODE_BAD_FRAME);
  CHECK(e.error().message().find("JSON") != std::string::npos);

  c.send(R"({"requestId":"u1","fooBar":{}})");
  e = c.reply("u1");
  CHECK(e.error().code() == v1::ERROR_CODE_UNKNOWN_MESSAGE);
  CHECK(e.error().message().find("fooBar") != std::string::npos);

  CHECK(ask(c, "n1", R"("enter":{})").error().code() == v1::ERROR_CODE_NOT_AUTHENTICATED);
  // Without a token, an unknown shop and a known one answer alike.
  const auto unknown = ask(c, "n2", R"("hello":{"role":"ROLE_CUSTOMER","shopId":"nope","memberId":"m1"})");
  const auto known = ask(c, "n3", R"("hello":{"role":"ROLE_CUSTOMER","shopId":"day","memberId":"m1"})");
  CHECK(unknown.error().code() == v1::ERROR_CODE_BAD_TOKEN);
  CHECK(known.error().code() == v1::ERROR_CODE_BAD_TOKEN);
  CHECK(known.error().message() == "shop \"day\" requires a customer token signed by its site (hello.token)");
  CHECK(unknown.error().message() == "shop \"nope\" requires a customer token signed by its site (hello.token)");
  CHECK(ask(c, "n3b", R"("hello":{"role":"ROLE_CUSTOMER"})").error().code() == v1::ERROR_CODE_INVALID_ARGUMENT);
  c.send(customer_hello("day", "m1", "ok"));
  REQUIRE(c.reply("ok").has_welcome());
  c.send(customer_hello("day", "m1", "n4"));
  CHECK(c.reply("n4").error().code() == v1::ERROR_CODE_INVALID_STATE);
  CHECK(ask(c, "n5", R"("sendText":{"text":"before enter"})").error().code() == v1::ERROR_CODE_INVALID_STATE);
  CHECK(ask(c, "n6", R"("rate":{"sessionId":"day-r1","score":5})").error().code() == v1::ERROR_CODE_NOT_FOUND);
  CHECK(ask(c, "n7", R"("setAgentStatus":{"status":"AGENT_STATUS_ONLINE"})").error().code() == v1::ERROR_CODE_FORBIDDEN);
  CHECK(ask(c, "n8", R"("getShopView":{})").error().code() == v1::ERROR_CODE_FORBIDDEN);
  // A binary frame that is not protobuf.
  c.raw().send_binary(std::string("\xff\xff\xff", 3));
  CHECK(c.expect(BC::kError).error().code() == v1::ERROR_CODE_BAD_FRAME);
  // Still usable.
  CHECK(ask(c, "p", R"("ping":{})").has_pong());
  CHECK(ask(c, "e", R"("enter":{})").has_ack());
}

TEST_CASE("tokens: bad, expired, wrongly signed, other shop or role are refused and counted", "[integration][errors][security]") {
  ServerProcess server(day_shop_toml, manual_clock);
  JsonClient c(server.port());
  auto hello = [&](const std::string& rid, const std::string& role, const std::string& shop, const std::string& token) {
    return ask(c, rid, R"("hello":{"role":")" + role + R"(","shopId":")" + shop + R"(","token":")" + token + R"("})");
  };
  CHECK(hello("t1", "ROLE_AGENT", "day", "").error().code() == v1::ERROR_CODE_BAD_TOKEN);
  CHECK(hello("t2", "ROLE_AGENT", "day", "garbage").error().code() == v1::ERROR_CODE_BAD_TOKEN);
  const std::string expired = server.token("day", "alice", "agent", -120);  // past the 60 s clock skew
  auto e = hello("t3", "ROLE_AGENT", "day", expired);
  CHECK(e.error().code() == v1::ERROR_CODE_BAD_TOKEN);
  CHECK(e.error().message().find("expired") != std::string::npos);
  std::string forged = server.token("day", "alice", "agent");
  forged[forged.size() - 3] = forged[forged.size() - 3] == 'A' ? 'B' : 'A';
  CHECK(hello("t4", "ROLE_AGENT", "day", forged).error().message().find("signature") != std::string::npos);
  CHECK(hello("t5", "ROLE_AGENT", "day", server.token("other", "zed", "agent")).error().message().find("shop") !=
        std::string::npos);
  CHECK(hello("t6", "ROLE_SUPERVISOR", "day", server.token("day", "alice", "agent")).error().message().find("role") !=
        std::string::npos);
  // An agent token for a person the shop does not have.
  CHECK(hello("t7", "ROLE_AGENT", "day", server.token("day", "mallory", "agent")).error().code() == v1::ERROR_CODE_NOT_FOUND);
  // The refusals are counted for security monitoring; the token itself is never logged.
  const auto metrics = server.scrape();
  CHECK(metrics.find("switchboard_security_refusals_total{reason=\"no_token\"} 1") != std::string::npos);
  CHECK(metrics.find("switchboard_security_refusals_total{reason=\"bad_token\"} 3") != std::string::npos);
  CHECK(metrics.find("switchboard_security_refusals_total{reason=\"wrong_shop\"} 1") != std::string::npos);
  CHECK(metrics.find("switchboard_security_refusals_total{reason=\"wrong_role\"} 1") != std::string::npos);
  CHECK(server.stderr_text().find(forged) == std::string::npos);
  // After all that, a good token works on the same connection.
  CHECK(hello("ok", "ROLE_AGENT", "day", server.token("day", "alice", "agent")).has_welcome());
}

TEST_CASE("a shop-A agent cannot touch shop-B sessions; HTTP API checks role and shop", "[integration][errors][security]") {
  ServerProcess server(day_shop_toml, manual_clock);
  JsonClient bob(server.port()), customer(server.port()), zed(server.port());
  ask(bob, "h", R"("hello":{"role":"ROLE_AGENT","shopId":"day","token":")" + server.token("day", "bob", "agent") + R"("})");
  ask(bob, "on", R"("setAgentStatus":{"status":"AGENT_STATUS_ONLINE"})");
  customer.send(customer_hello("day", "m1", "h"));
  customer.reply("h");
  ask(customer, "e", R"("enter":{})");
  ask(customer, "t", R"("sendText":{"text":"hi"})");
  const std::string sid = customer.expect(BC::kAssigned).assigned().session_id();
  ask(zed, "h", R"("hello":{"role":"ROLE_AGENT","shopId":"other","token":")" + server.token("other", "zed", "agent") + R"("})");
  CHECK(ask(zed, "x", R"("sendText":{"sessionId":")" + sid + R"(","text":"hijack"})").error().code() == v1::ERROR_CODE_NOT_FOUND);
  CHECK(ask(zed, "y", R"("closeSession":{"sessionId":")" + sid + R"("})").error().code() == v1::ERROR_CODE_NOT_FOUND);
  CHECK(customer.quiet(BC::kChatMessage));
  CHECK(customer.quiet(BC::kSessionClosed));
  // A customer acting as an agent, and an agent on a session not its own: refused and counted.
  CHECK(ask(customer, "as-agent", R"("setAgentStatus":{"status":"AGENT_STATUS_ONLINE"})").error().code() ==
        v1::ERROR_CODE_FORBIDDEN);
  JsonClient carol(server.port());
  ask(carol, "h", R"("hello":{"role":"ROLE_AGENT","shopId":"day","token":")" + server.token("day", "carol", "agent") + R"("})");
  CHECK(ask(carol, "steal", R"("sendText":{"sessionId":")" + sid + R"(","text":"mine now"})").error().code() ==
        v1::ERROR_CODE_FORBIDDEN);
  CHECK(server.scrape().find("switchboard_security_refusals_total{reason=\"forbidden\"} 2") != std::string::npos);

  CHECK(server.get("/api/v1/shops/day/figures").status == 401);
  CHECK(server.get("/api/v1/shops/day/figures", server.token("other", "boss", "supervisor")).status == 403);
  CHECK(server.get("/api/v1/shops/day/figures", server.token("day", "bob", "agent")).status == 403);
  CHECK(server.get("/api/v1/shops/day/figures", server.token("day", "boss", "supervisor")).status == 200);
  CHECK(server.get("/api/v1/shops/day/figures?date=2026-13-01", server.token("day", "boss", "supervisor")).status == 400);
  // A shop the token is not for answers the same whether it exists or not; an admin learns which.
  CHECK(server.get("/api/v1/shops/nope/figures", server.token("day", "boss", "supervisor")).status == 403);
  CHECK(server.get("/api/v1/shops/nope/figures").body == server.get("/api/v1/shops/day/figures").body);
  CHECK(server.get("/api/v1/shops/nope/figures", server.token("*", "ops", "admin")).status == 404);
  CHECK(server.advance_ms(1000).status == 200);
  CHECK(server.post("/api/v1/admin/clock", R"({"advanceMs":1000})", server.token("day", "boss", "supervisor")).status == 403);
  CHECK(server.post("/api/v1/admin/clock", R"({"advanceTo":"2020-01-01T00:00:00Z"})", server.token("*", "ops", "admin")).status ==
        400);
}

TEST_CASE("orders: missing id, unknown shop, bad JSON are refused; a repeated id counts once", "[integration][errors]") {
  ServerProcess server(day_shop_toml, manual_clock);
  const std::string orders = server.token("day", "erp", "orders");
  auto r = server.post("/api/v1/orders", R"({"shopId":"day","memberId":"m1","amount":10})", orders);
  CHECK(r.status == 400);
  CHECK(r.body.find("order_id") != std::string::npos);
  CHECK(server.post("/api/v1/orders", "{not json", orders).status == 400);
  CHECK(server.post("/api/v1/orders", R"({"orderId":"o1","shopId":"zzz","memberId":"m1"})", orders).status == 403);
  CHECK(server.post("/api/v1/orders", R"({"orderId":"o1","shopId":"zzz","memberId":"m1"})", server.token("*", "ops", "admin"))
            .status == 404);
  CHECK(server.post("/api/v1/orders", R"({"orderId":"o1","shopId":"day","memberId":"m1"})", "").status == 401);
  CHECK(server.post("/api/v1/orders", R"({"orderId":"o1","shopId":"other","memberId":"m1"})", orders).status == 403);
  r = server.post("/api/v1/orders", R"({"orderId":"o1","shopId":"day","memberId":"m1","amount":10,"category":"phones"})", orders);
  CHECK(r.status == 200);
  CHECK(r.body.find("\"duplicate\":false") != std::string::npos);
  r = server.post("/api/v1/orders", R"({"orderId":"o1","shopId":"day","memberId":"m1","amount":10,"category":"phones"})", orders);
  CHECK(r.body.find("\"duplicate\":true") != std::string::npos);
  const auto metrics = server.scrape();
  CHECK(metrics.find("switchboard_orders_total{shop=\"day\"} 1") != std::string::npos);
  CHECK(metrics.find("switchboard_orders_duplicate_total{shop=\"day\"} 1") != std::string::npos);
}

TEST_CASE("a broken config refuses to start, naming the file, the key and the problem", "[integration][errors][config]") {
  auto refuse = [](const std::string& toml, const std::string& expect_key, const std::vector<std::string>& args = {}) {
    try {
      ServerProcess server(toml, args);
      FAIL("server started with a broken config");
    } catch (const std::runtime_error& e) {
      const std::string msg = e.what();
      CHECK(msg.find("config.toml") != std::string::npos);
      CHECK(msg.find(expect_key) != std::string::npos);
    }
  };
  refuse(R"([[shops]]
id = "x"
[[shops.skills]]
name = "a"
[[shops.agents]]
id = "a1"
skills = ["a"]
window = 0
)", "shops[0].agents[0].window");
  refuse(R"([[shops]]
id = "x"
strategy = "fastest"
[[shops.skills]]
name = "a"
)", "shops[0].strategy");
  refuse(R"([[shops]]
id = "x"
[[shops.skills]]
name = "a"
[shops.hours]
every_day = ["9-5"]
)", "shops[0].hours.every_day");
  refuse(R"([[shops]]
id = "x"
typo_key = 1
[[shops.skills]]
name = "a"
)", "shops[0].typo_key");
  refuse("[[shops]\nid=", "config.toml:");
  refuse(R"([store]
database_url_env = "SB_TEST_VARIABLE_THAT_IS_NOT_SET"
[[shops]]
id = "x"
[[shops.skills]]
name = "a"
)", "store.database_url_env: environment variable SB_TEST_VARIABLE_THAT_IS_NOT_SET is not set");
  const std::string two_shops = "[[shops]]\nid = \"x\"\n[[shops.skills]]\nname = \"a\"\n[[shops]]\nid = \"y\"\n[[shops.skills]]\nname = \"a\"\n";
  refuse(two_shops + "[shops.figure_targets]\nresponse_45s_rate = 1.5\n", "shops[1].figure_targets.response_45s_rate: must be 0");
  refuse(two_shops + "[shops.figure_targets]\nspeed = 0.5\n", "shops[1].figure_targets.speed: unknown key");
  const std::string nodes = "[cluster]\nnode = \"n1\"\n[[cluster.nodes]]\nid = \"n1\"\naddress = \"127.0.0.2:8080\"\nshops = [\"x\"]\n";
  refuse(two_shops + nodes, "cluster.nodes: shop \"y\" is assigned to no node");
  refuse(two_shops + nodes + "[[cluster.nodes]]\nid = \"n2\"\naddress = \"127.0.0.3:8080\"\nshops = [\"y\", \"x\"]\n",
         "cluster.nodes[1].shops: shop \"x\" is assigned to node \"n1\" too");
  refuse(two_shops + nodes + "[[cluster.nodes]]\nid = \"n2\"\naddress = \"nowhere\"\nshops = [\"y\", \"z\"]\n",
         "cluster.nodes[1].address: must be HOST:PORT");
  refuse(two_shops + nodes + "[[cluster.nodes]]\nid = \"n2\"\naddress = \"127.0.0.3:8080\"\nshops = [\"y\"]\n", "node \"n9\" is not among",
         {"--node", "n9"});
  try {
    ServerProcess server(two_shops, {}, "trusted_proxies = [\"proxy.local\"]\n");
    FAIL("server started with a host name among server.trusted_proxies");
  } catch (const std::runtime_error& e) {
    CHECK_THAT(e.what(), Catch::Contains("server.trusted_proxies: must list IP addresses, got \"proxy.local\""));
  }
  // haproxy-config needs the assignment, and TLS needs both its address and its certificate.
  const std::string dir = "/tmp/sb-haproxy-" + std::to_string(::getpid());
  std::system(("mkdir -p " + dir).c_str());
  std::ofstream(dir + "/single.toml") << test_auth_toml() << two_shops;
  std::ofstream(dir + "/cluster.toml") << test_auth_toml() << two_shops << nodes
                                       << "[[cluster.nodes]]\nid = \"n2\"\naddress = \"127.0.0.3:8080\"\nshops = [\"y\"]\n";
  int rc = 0;
  CHECK_THAT(run(binary_path() + " haproxy-config --config " + dir + "/single.toml --out " + dir, rc),
             Catch::Contains("has no [cluster] assigning shops to nodes"));
  CHECK(rc != 0);
  CHECK_THAT(run(binary_path() + " haproxy-config --config " + dir + "/cluster.toml --out " + dir + " --tls-cert x.pem", rc),
             Catch::Contains("--tls-bind and --tls-cert go together"));
  CHECK(rc != 0);
  std::system(("rm -rf " + dir).c_str());
}

TEST_CASE("customers need a token from their shop's site, unless the shop takes guests", "[integration][errors][security]") {
  ServerProcess server(day_shop_toml, manual_clock);
  JsonClient c(server.port());
  auto hello = [&](const std::string& rid, const std::string& shop, const std::string& member, const std::string& token) {
    return ask(c, rid, R"("hello":{"role":"ROLE_CUSTOMER","shopId":")" + shop + R"(","memberId":")" + member +
                           R"(","token":")" + token + R"("})");
  };
  CHECK(hello("a", "day", "m1", "").error().code() == v1::ERROR_CODE_BAD_TOKEN);
  CHECK(hello("b", "day", "m1", server.customer_token("day", "m2")).error().message() == "token is for member \"m2\", not \"m1\"");
  CHECK(hello("c", "day", "m1", server.token("day", "m1", "agent")).error().message() == "token is for role agent, not customer");
  CHECK(hello("d", "day", "m1", server.customer_token("other", "m1")).error().code() == v1::ERROR_CODE_BAD_TOKEN);
  // A guest shop: no token, no member id; the server names the guest.
  const auto guest = hello("g", "vip", "", "");
  REQUIRE(guest.has_welcome());
  CHECK(guest.welcome().person_id().find("vip-g") != std::string::npos);
  JsonClient named(server.port());
  const auto chosen = ask(named, "n", R"("hello":{"role":"ROLE_CUSTOMER","shopId":"vip","memberId":"m-vip"})");
  CHECK(chosen.error().code() == v1::ERROR_CODE_INVALID_ARGUMENT);
  CHECK(chosen.error().message().find("hello.memberId") != std::string::npos);
  CHECK(ask(named, "t", R"("hello":{"role":"ROLE_CUSTOMER","shopId":"vip","token":")" + server.customer_token("vip", "m-vip") + R"("})")
            .welcome().person_id() == "m-vip");  // a token names a member there too
}

TEST_CASE("the manual clock is refused unless the config enables it", "[integration][errors][config]") {
  try {
    ServerProcess server(day_shop_toml, manual_clock, "manual_clock_allowed = false\n");
    FAIL("server started on the manual clock without manual_clock_allowed");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find("server.manual_clock_allowed") != std::string::npos);
  }
  ServerProcess system_clock(day_shop_toml, {}, "manual_clock_allowed = false\n");
  const auto r = system_clock.advance_ms(1000);
  CHECK(r.status == 409);
  CHECK(r.body.find("system clock") != std::string::npos);
}
