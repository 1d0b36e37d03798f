// The token examples of docs/protocol.md, run as a shop's web developer would run them: PyJWT
// and the npm package jsonwebtoken mint customer tokens with the shop's own key, and the server
// welcomes those customers with the tier the site gave them.
#include <catch2/catch.hpp>

#include <filesystem>

#include "store_helpers.hpp"
#include "support/server_process.hpp"

using namespace sb::test;
namespace v1 = switchboard::v1;
using BC = v1::ServerMessage::BodyCase;

namespace {

const char* shop_with_key = R"(
[[shops]]
id = "demo"
token_issuer = "https://demo-shop.example"
[[shops.keys]]
kid = "demo-site-1"
secret = "demo-shop-site-key-change-me-0123456789"
[[shops.skills]]
name = "phones"
[[shops.agents]]
id = "ana"
skills = ["phones"]
window = 5
)";

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

void welcomed_with_tier(ServerProcess& server, const std::string& token, const std::string& member, v1::Tier tier) {
  JsonClient c(server.port());
  c.send(R"({"requestId":"h","hello":{"role":"ROLE_CUSTOMER","shopId":"demo","token":")" + token + R"("}})");
  const auto w = c.reply("h");
  INFO(w.ShortDebugString());
  REQUIRE(w.has_welcome());
  CHECK(w.welcome().person_id() == member);
  c.send(R"({"requestId":"e","enter":{}})");
  REQUIRE(c.reply("e").has_ack());
  c.send(R"({"requestId":"t","sendText":{"text":"hi"}})");
  REQUIRE(c.reply("t").has_ack());
  CHECK(c.expect(BC::kAssigned).assigned().tier() == tier);  // the site's word, not the client's
}

}  // namespace

TEST_CASE("a shop's site mints customer tokens with PyJWT and with jsonwebtoken", "[integration][tokens]") {
  ServerProcess server(shop_with_key, {});
  JsonClient ana(server.port());
  ana.send(R"({"requestId":"h","hello":{"role":"ROLE_AGENT","shopId":"demo","token":")" + server.token("demo", "ana", "agent") + R"("}})");
  REQUIRE(ana.reply("h").has_welcome());
  ana.send(R"({"requestId":"on","setAgentStatus":{"status":"AGENT_STATUS_ONLINE"}})");
  REQUIRE(ana.reply("on").has_ack());
  const std::string args = " demo-site-1 demo-shop-site-key-change-me-0123456789 demo https://demo-shop.example ";
  int rc = 0;
  const std::string py = trim(run("/usr/bin/python3 " + std::string(SB_SOURCE_DIR) + "/docs/examples/shop_site_token.py" + args + "m-py A", rc));
  REQUIRE(rc == 0);
  welcomed_with_tier(server, py, "m-py", v1::TIER_A);
  // Node: the example runs beside the packages install-npm.sh put in .local/node.
  const std::string node_dir = std::string(SB_SOURCE_DIR) + "/.local/node";
  REQUIRE(std::filesystem::exists(node_dir + "/node_modules/jsonwebtoken"));
  std::filesystem::copy_file(std::string(SB_SOURCE_DIR) + "/docs/examples/shop_site_token.mjs", node_dir + "/shop_site_token.mjs",
                             std::filesystem::copy_options::overwrite_existing);
  const std::string js = trim(run("node " + node_dir + "/shop_site_token.mjs" + args + "m-js B", rc));
  REQUIRE(rc == 0);
  welcomed_with_tier(server, js, "m-js", v1::TIER_B);
  // The same tokens for another shop, or signed with another key, are refused.
  const std::string wrong = trim(run("/usr/bin/python3 " + std::string(SB_SOURCE_DIR) +
                                         "/docs/examples/shop_site_token.py demo-site-1 another-key-another-key-another-key-0 demo "
                                         "https://demo-shop.example m-x C",
                                     rc));
  JsonClient c(server.port());
  c.send(R"({"requestId":"h","hello":{"role":"ROLE_CUSTOMER","shopId":"demo","token":")" + wrong + R"("}})");
  CHECK(c.reply("h").error().message() == "token signature does not verify with key \"demo-site-1\" (wrong key or altered token)");
}
