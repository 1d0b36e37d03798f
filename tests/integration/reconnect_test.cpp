// Reconnects against the real binary: a dropped connection (no close frame) keeps the chat for
// the grace; the resume token from Welcome brings it back with the messages missed; a forged or
// foreign resume token is refused and counted; a storm of every client at once loses nothing.
#include <catch2/catch.hpp>

#include <atomic>
#include <google/protobuf/util/json_util.h>
#include <thread>

#include "shops.hpp"
#include "support/server_process.hpp"

using namespace sb::test;
namespace v1 = switchboard::v1;
using BC = v1::ServerMessage::BodyCase;

namespace {

std::string hello_customer(const std::string& shop, const std::string& member, const std::string& resume = {},
                           const std::string& seen = {}) {
  // Without a resume token, the member's own token (as its shop's site would mint it).
  const std::string token = resume.empty() ? sb::net::mint_token(test_keys(), shop, member, "customer", 3600) : "";
  return R"({"requestId":"h","hello":{"role":"ROLE_CUSTOMER","shopId":")" + shop + R"(","memberId":")" + member +
         R"(","token":")" + token + R"(","resumeToken":")" + resume + R"(","seen":{)" + seen + "}}}";
}

std::string hello_agent(const std::string& shop, const std::string& token, const std::string& resume = {}) {
  return R"({"requestId":"h","hello":{"role":"ROLE_AGENT","shopId":")" + shop + R"(","token":")" + token +
         R"(","resumeToken":")" + resume + R"("}})";
}

const char* online = R"({"requestId":"on","setAgentStatus":{"status":"AGENT_STATUS_ONLINE"}})";

// Enough agents for every customer of the storm: `agents` x window 4.
std::string storm_shop(int agents) {
  std::string t = "[[shops]]\nid = \"storm\"\n[[shops.skills]]\nname = \"phones\"\n";
  for (int i = 0; i < agents; ++i)
    t += "[[shops.agents]]\nid = \"a" + std::to_string(i) + "\"\nskills = [\"phones\"]\nwindow = 4\n";
  return t;
}

}  // namespace

TEST_CASE("a dropped customer resumes its session with the messages it missed", "[integration][reconnect]") {
  ServerProcess server(always_open_toml, {});
  JsonClient agent(server.port());
  agent.send(hello_agent("day", server.token("day", "alice", "agent")));
  REQUIRE(agent.reply("h").has_welcome());
  agent.send(online);
  agent.reply("on");

  auto customer = std::make_unique<JsonClient>(server.port());
  customer->send(hello_customer("day", "m1"));
  const auto welcome = customer->reply("h");
  REQUIRE(welcome.has_welcome());
  const std::string resume = welcome.welcome().resume_token();
  REQUIRE(!resume.empty());
  CHECK(!welcome.welcome().resumed());
  customer->send(R"({"enter":{}})");
  customer->send(R"({"requestId":"q","sendText":{"text":"is the phone waterproof?"}})");
  const std::string sid = customer->expect(BC::kAssigned).assigned().session_id();
  agent.expect(BC::kAssigned);
  agent.send(R"({"requestId":"a1","sendText":{"sessionId":")" + sid + R"(","text":"one"}})");
  const auto one = customer->expect(BC::kChatMessage);
  CHECK(one.chat_message().seq() == 2);

  customer->raw().drop();  // no close frame: a lost network
  customer.reset();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  agent.send(R"({"requestId":"a2","sendText":{"sessionId":")" + sid + R"(","text":"two"}})");
  agent.reply("a2");
  agent.send(R"({"requestId":"a3","sendText":{"sessionId":")" + sid + R"(","text":"three"}})");
  agent.reply("a3");

  SECTION("with its resume token it picks up where it was") {
    JsonClient back(server.port());
    back.send(hello_customer("day", "m1", resume, "\"" + sid + "\":\"2\""));
    const auto w = back.reply("h");
    REQUIRE(w.has_welcome());
    CHECK(w.welcome().resumed());
    const auto r = back.expect(BC::kResumed);
    REQUIRE(r.resumed().sessions_size() == 1);
    const auto& s = r.resumed().sessions(0);
    CHECK(s.session_id() == sid);
    CHECK(s.agent_id() == "alice");
    REQUIRE(s.history_size() == 2);
    CHECK(s.history(0).text() == "two");
    CHECK(s.history(1).text() == "three");
    back.send(R"({"requestId":"b","sendText":{"text":"back again"}})");
    CHECK(back.reply("b").has_ack());
    CHECK(agent.expect(BC::kChatMessage).chat_message().text() == "back again");
    CHECK(server.metric("switchboard_resumes_total") == 1);
  }
  SECTION("a forged or foreign resume token is refused, counted, and the chat stays held") {
    JsonClient forged(server.port());
    std::string bad = resume;
    bad[bad.size() - 3] = bad[bad.size() - 3] == 'A' ? 'B' : 'A';
    forged.send(hello_customer("day", "m1", bad));
    const auto e = forged.reply("h");
    REQUIRE(e.has_error());
    CHECK(e.error().code() == v1::ERROR_CODE_BAD_TOKEN);
    CHECK(e.error().message().find("resume token") != std::string::npos);
    JsonClient thief(server.port());
    thief.send(hello_customer("day", "m2", resume));  // m1's token for another member
    CHECK(thief.reply("h").error().code() == v1::ERROR_CODE_BAD_TOKEN);
    CHECK(server.scrape().find("switchboard_security_refusals_total{reason=\"wrong_resume\"} 1") !=
          std::string::npos);
    // The real owner still gets its session back.
    JsonClient back(server.port());
    back.send(hello_customer("day", "m1", resume));
    CHECK(back.reply("h").welcome().resumed());
    CHECK(back.expect(BC::kResumed).resumed().sessions(0).history_size() == 4);  // no seen: the whole transcript
  }
}

TEST_CASE("a dropped agent keeps its sessions and resumes them with its resume token", "[integration][reconnect]") {
  ServerProcess server(always_open_toml, {});
  auto agent = std::make_unique<JsonClient>(server.port());
  agent->send(hello_agent("day", server.token("day", "alice", "agent")));
  const std::string resume = agent->reply("h").welcome().resume_token();
  agent->send(online);
  agent->reply("on");
  JsonClient customer(server.port());
  customer.send(hello_customer("day", "m1"));
  customer.reply("h");
  customer.send(R"({"enter":{}})");
  customer.send(R"({"requestId":"q","sendText":{"text":"hello?"}})");
  const std::string sid = customer.expect(BC::kAssigned).assigned().session_id();
  agent->expect(BC::kAssigned);
  agent->raw().drop();
  agent.reset();
  customer.send(R"({"requestId":"q2","sendText":{"text":"anyone?"}})");
  customer.reply("q2");
  // The agent's own token may have expired meanwhile: the resume token alone is enough.
  JsonClient back(server.port());
  back.send(hello_agent("day", "", resume));
  const auto w = back.reply("h");
  REQUIRE(w.has_welcome());
  CHECK(w.welcome().resumed());
  const auto r = back.expect(BC::kResumed);
  REQUIRE(r.resumed().sessions_size() == 1);
  CHECK(r.resumed().sessions(0).session_id() == sid);
  CHECK(r.resumed().sessions(0).history(r.resumed().sessions(0).history_size() - 1).text() == "anyone?");
  back.send(R"({"requestId":"a","sendText":{"sessionId":")" + sid + R"(","text":"here"}})");
  CHECK(back.reply("a").has_ack());
  CHECK(customer.expect(BC::kChatMessage).chat_message().text() == "here");
}

TEST_CASE("a reconnect storm: every client drops at once and comes back, no session lost", "[integration][reconnect]") {
  constexpr int agents_n = 50, customers_n = 200;
  ServerProcess server(storm_shop(agents_n), {});
  std::vector<std::unique_ptr<JsonClient>> agents, customers;
  std::vector<std::string> agent_resume(agents_n), customer_resume(customers_n), sid(customers_n);
  for (int i = 0; i < agents_n; ++i) {
    agents.push_back(std::make_unique<JsonClient>(server.port()));
    agents[i]->send(hello_agent("storm", server.token("storm", "a" + std::to_string(i), "agent")));
    agent_resume[i] = agents[i]->reply("h").welcome().resume_token();
    agents[i]->send(online);
    agents[i]->reply("on");
  }
  for (int i = 0; i < customers_n; ++i) {
    customers.push_back(std::make_unique<JsonClient>(server.port()));
    customers[i]->send(hello_customer("storm", "m" + std::to_string(i)));
    customer_resume[i] = customers[i]->reply("h").welcome().resume_token();
    customers[i]->send(R"({"enter":{}})");
    customers[i]->send(R"({"requestId":"q","sendText":{"text":"q"}})");
  }
  for (int i = 0; i < customers_n; ++i) sid[i] = customers[i]->expect(BC::kAssigned).assigned().session_id();

  // Everyone drops together...
  for (auto& c : agents) c->raw().drop();
  for (auto& c : customers) c->raw().drop();
  agents.clear();
  customers.clear();
  // ...and comes back together, from several threads.
  std::vector<std::unique_ptr<JsonClient>> back_customers(customers_n), back_agents(agents_n);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      try {
        for (int i = t; i < customers_n; i += 8) {
          back_customers[i] = std::make_unique<JsonClient>(server.port());
          back_customers[i]->send(hello_customer("storm", "m" + std::to_string(i), customer_resume[i]));
        }
        for (int i = t; i < agents_n; i += 8) {
          back_agents[i] = std::make_unique<JsonClient>(server.port());
          back_agents[i]->send(hello_agent("storm", "", agent_resume[i]));
        }
      } catch (const std::exception&) {
        ++failures;
      }
    });
  for (auto& t : threads) t.join();
  REQUIRE(failures == 0);
  int resumed = 0, sessions_back = 0;
  for (int i = 0; i < customers_n; ++i) {
    auto& c = *back_customers[i];
    if (!c.reply("h", std::chrono::milliseconds(10'000)).welcome().resumed()) continue;
    const auto r = c.expect(BC::kResumed, std::chrono::milliseconds(10'000));
    if (r.resumed().sessions_size() == 1 && r.resumed().sessions(0).session_id() == sid[i]) ++resumed;
  }
  for (int i = 0; i < agents_n; ++i) {
    auto& a = *back_agents[i];
    REQUIRE(a.reply("h", std::chrono::milliseconds(10'000)).welcome().resumed());
    sessions_back += a.expect(BC::kResumed, std::chrono::milliseconds(10'000)).resumed().sessions_size();
  }
  CHECK(resumed == customers_n);
  CHECK(sessions_back == customers_n);
  CHECK(server.metric("switchboard_resumes_total") == customers_n + agents_n);
  // Still talking: a customer's message reaches its agent.
  back_customers[7]->send(R"({"requestId":"z","sendText":{"text":"still here"}})");
  CHECK(back_customers[7]->reply("z").has_ack());
  // Nothing was counted as abandoned or closed.
  JsonClient boss(server.port());
  boss.send(R"({"requestId":"h","hello":{"role":"ROLE_SUPERVISOR","shopId":"storm","token":")" +
            server.token("storm", "boss", "supervisor") + R"("}})");
  boss.reply("h");
  boss.send(R"({"requestId":"v","getShopView":{}})");
  CHECK(boss.reply("v").shop_view().sessions_size() == customers_n);
}
