// The 45-second clock over real sockets: exactly at its due time on the manual clock, within
// 100 ms of it on the system clock.
#include <catch2/catch.hpp>

#include "net/codec.hpp"
#include "support/server_process.hpp"

using namespace sb::test;
namespace v1 = switchboard::v1;
using BC = v1::ServerMessage::BodyCase;

namespace {

std::string shop_toml(int warning_s, int threshold_s) {
  return R"([[shops]]
id = "fast"
[shops.thresholds]
first_response_warning_s = )" + std::to_string(warning_s) + R"(
first_response_threshold_s = )" + std::to_string(threshold_s) + R"(
[[shops.skills]]
name = "general"
[[shops.agents]]
id = "ann"
skills = ["general"]
)";
}

struct Setup {
  std::unique_ptr<JsonClient> agent, supervisor, customer;
  std::string session;
};

Setup start_chat(ServerProcess& s) {
  Setup st;
  st.agent = std::make_unique<JsonClient>(s.port());
  st.agent->send(R"({"requestId":"h","hello":{"role":"ROLE_AGENT","shopId":"fast","token":")" + s.token("fast", "ann", "agent") + R"("}})");
  st.agent->reply("h");
  st.agent->send(R"({"requestId":"on","setAgentStatus":{"status":"AGENT_STATUS_ONLINE"}})");
  st.agent->reply("on");
  st.supervisor = std::make_unique<JsonClient>(s.port());
  st.supervisor->send(R"({"requestId":"h","hello":{"role":"ROLE_SUPERVISOR","shopId":"fast","token":")" +
                      s.token("fast", "sue", "supervisor") + R"("}})");
  st.supervisor->reply("h");
  st.customer = std::make_unique<JsonClient>(s.port());
  st.customer->send(customer_hello("fast", "m1", "h"));
  st.customer->reply("h");
  st.customer->send(R"({"requestId":"e","enter":{}})");
  st.customer->reply("e");
  st.customer->send(R"({"requestId":"t","sendText":{"text":"hello"}})");
  st.session = st.customer->expect(BC::kAssigned).assigned().session_id();
  return st;
}

}  // namespace

TEST_CASE("manual clock: warning and breach fire exactly at their due time", "[integration][clock]") {
  ServerProcess server(shop_toml(30, 45), {"--clock", "manual", "--clock-start", "2026-08-18T10:00:00+08:00"});
  Setup st = start_chat(server);
  REQUIRE(server.advance_ms(29'999).status == 200);
  CHECK(st.agent->quiet(BC::kFirstResponseWarning));
  auto r = server.advance_ms(1);
  REQUIRE(r.status == 200);
  CHECK(r.body.find("\"timersFired\":1") != std::string::npos);
  const auto w = st.agent->expect(BC::kFirstResponseWarning);
  CHECK(w.first_response_warning().elapsed_ms() == 30'000);
  REQUIRE(server.advance_ms(14'999).status == 200);
  CHECK(st.supervisor->quiet(BC::kFirstResponseBreach));
  REQUIRE(server.advance_ms(1).status == 200);
  CHECK(st.supervisor->expect(BC::kFirstResponseBreach).first_response_breach().session_id() == st.session);
}

TEST_CASE("system clock: warning and breach arrive within 100 ms of their due time", "[integration][clock]") {
  ServerProcess server(shop_toml(1, 2), {});
  const auto t0 = std::chrono::steady_clock::now();
  Setup st = start_chat(server);
  // The clock starts at the customer's first message, just before the assignment arrived.
  const auto assigned_at = std::chrono::steady_clock::now();
  st.agent->expect(BC::kFirstResponseWarning, std::chrono::milliseconds(3000));
  const auto warned_at = std::chrono::steady_clock::now();
  st.supervisor->expect(BC::kFirstResponseBreach, std::chrono::milliseconds(3000));
  const auto breached_at = std::chrono::steady_clock::now();
  using ms = std::chrono::milliseconds;
  const auto warn_ms = std::chrono::duration_cast<ms>(warned_at - assigned_at).count();
  const auto breach_ms = std::chrono::duration_cast<ms>(breached_at - assigned_at).count();
  const auto setup_ms = std::chrono::duration_cast<ms>(assigned_at - t0).count();
  INFO("warning after " << warn_ms << " ms, breach after " << breach_ms << " ms (setup " << setup_ms << " ms)");
  CHECK(warn_ms >= 900);
  CHECK(warn_ms <= 1100);
  CHECK(breach_ms >= 1900);
  CHECK(breach_ms <= 2100);
}
