// A message with several receivers is encoded once per format, whichever thread asks first.
#include <catch2/catch.hpp>

#include <thread>
#include <vector>

#include "net/codec.hpp"
#include "net/outgoing_frame.hpp"

namespace v1 = switchboard::v1;

TEST_CASE("an outgoing frame is encoded once per format and shared by every receiver", "[frame]") {
  auto m = std::make_shared<v1::ServerMessage>();
  m->mutable_chat_message()->set_session_id("s1");
  m->mutable_chat_message()->set_text("Is the X200 in stock?");
  const sb::net::OutgoingFrame frame(m);
  // Eight receivers on eight threads ask for the JSON at once: one string, the same for all.
  std::vector<const std::string*> seen(8);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < seen.size(); ++i) threads.emplace_back([&, i] { seen[i] = &frame.bytes(true); });
  for (auto& t : threads) t.join();
  for (const auto* p : seen) CHECK(p == seen.front());
  CHECK(*seen.front() == sb::net::encode_frame(*m, true));
  // The binary format is its own encoding, made once as well.
  const std::string& binary = frame.bytes(false);
  CHECK(&frame.bytes(false) == &binary);
  v1::ServerMessage back;
  REQUIRE(back.ParseFromString(binary));
  CHECK(back.chat_message().text() == "Is the X200 in stock?");
}
