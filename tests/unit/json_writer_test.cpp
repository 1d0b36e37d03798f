// The direct JSON writer prints exactly what protobuf's MessageToJsonString prints (with
// always_print_primitive_fields), on seeded random messages of every type the server and the
// tools write: every oneof case, nested and repeated fields, extreme numbers, unknown enum
// values, timestamps, and strings full of what JSON and protobuf escape. The direct reader
// builds what protobuf's parser builds from the same text, or declines.
#include <catch2/catch.hpp>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/timestamp.pb.h>
#include <google/protobuf/util/json_util.h>

#include <cmath>
#include <optional>
#include <limits>
#include <random>

#include <google/protobuf/util/message_differencer.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "net/codec.hpp"
#include "net/json_reader.hpp"
#include "net/json_writer.hpp"
#include "switchboard/v1/history.pb.h"
#include "switchboard/v1/trace.pb.h"

namespace pb = google::protobuf;
using FD = pb::FieldDescriptor;

namespace {

std::string reference_json(const pb::Message& m) {
  pb::util::JsonPrintOptions o;
  o.always_print_primitive_fields = true;
  std::string out;
  REQUIRE(pb::util::MessageToJsonString(m, &out, o).ok());
  return out;
}

class Filler {
 public:
  explicit Filler(std::uint64_t seed) : rng_(seed) {}

  void fill(pb::Message& m, int depth) {
    const pb::Descriptor* d = m.GetDescriptor();
    const pb::Reflection* r = m.GetReflection();
    if (d->well_known_type() == pb::Descriptor::WELLKNOWNTYPE_TIMESTAMP) {
      auto& t = static_cast<pb::Timestamp&>(m);
      t.set_seconds(pick<std::int64_t>({0, 1, 1786982400, 253402300799LL, -62135596800LL, 951782400 /* 2000-02-29 */,
                                        static_cast<std::int64_t>(rng_() % 4'000'000'000ULL)}));
      t.set_nanos(pick<std::int32_t>({0, 1, 1'000'000, 123'000'000, 5'000, 999'999'999, static_cast<std::int32_t>(rng_() % 1'000'000'000)}));
      return;
    }
    // One member of each oneof, sometimes none.
    for (int o = 0; o < d->oneof_decl_count(); ++o) {
      const pb::OneofDescriptor* od = d->oneof_decl(o);
      if (coin(5)) continue;
      set_field(m, od->field(static_cast<int>(rng_() % static_cast<unsigned>(od->field_count()))), depth);
    }
    for (int i = 0; i < d->field_count(); ++i) {
      const FD* f = d->field(i);
      if (f->containing_oneof() != nullptr) continue;
      if (f->is_map()) continue;  // written by protobuf in hash order: the writer leaves non-empty maps to it
      if (f->is_repeated()) {
        const int n = coin(3) ? 0 : static_cast<int>(rng_() % 4);
        for (int k = 0; k < n; ++k) add_value(m, f, depth);
        continue;
      }
      if (coin(3)) continue;  // left at its default
      set_field(m, f, depth);
    }
    (void)r;
  }

 private:
  template <typename T>
  T pick(std::initializer_list<T> v) {
    return *(v.begin() + rng_() % v.size());
  }
  bool coin(unsigned one_in) { return rng_() % one_in == 0; }

  std::string text() {
    static const std::vector<std::string> parts{
        "hello", "", "你好，这个手机防水吗？", "😀", "a\"b", "back\\slash", "<script>", "x>y", "tab\there", "new\nline",
        "\r\f\b", std::string("nul\0byte", 8), "\x01\x1f\x7f", "\xc2\x80\xc2\x9f", "soft\xc2\xadhyphen", "\xe2\x80\xa8\xe2\x80\xa9",
        "\xe2\x80\x8b\xe2\x80\x8f", "\xef\xbb\xbf", "\xef\xbf\xb9", "\xd8\x80", "\xdb\x9d", "\xdc\x8f", "\xe1\x9e\xb4",
        "\xe2\x81\xa0\xe2\x81\xaf", "\xf3\xa0\x80\x81", "\xf3\xa0\x80\xa0", "\xf0\x9d\x85\xb3", "\xf0\x9d\x85\xbb", "\xc2\xa0",
        "é", "ü", "\xe2\x80\xaf", "\xe2\x80\xae", "\xf4\x8f\xbf\xbf", "/", "'", "&", "="};
    std::string s;
    const int n = static_cast<int>(rng_() % 4);
    for (int i = 0; i < n; ++i) s += parts[rng_() % parts.size()];
    return s;
  }

  double real() {
    return pick<double>({0.0, -0.0, 1.0, 0.1, 2.0 / 3.0, 1e300, -1e-300, 1999.99, 123456789.125, 1e15, 1e16, 1e17,
                         std::numeric_limits<double>::denorm_min(), std::numeric_limits<double>::max(),
                         std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
                         std::numeric_limits<double>::quiet_NaN(), static_cast<double>(rng_() % 1000) / 7.0});
  }

  int enum_number(const FD* f) {
    const pb::EnumDescriptor* e = f->enum_type();
    if (coin(8)) return static_cast<int>(rng_() % 50) + 100;  // a value this build does not know
    return e->value(static_cast<int>(rng_() % static_cast<unsigned>(e->value_count())))->number();
  }

  void set_field(pb::Message& m, const FD* f, int depth) {
    const pb::Reflection* r = m.GetReflection();
    switch (f->cpp_type()) {
      case FD::CPPTYPE_INT32: r->SetInt32(&m, f, pick<std::int32_t>({0, 1, -1, INT32_MAX, INT32_MIN, static_cast<std::int32_t>(rng_())})); break;
      case FD::CPPTYPE_UINT32: r->SetUInt32(&m, f, pick<std::uint32_t>({0, 1, UINT32_MAX, static_cast<std::uint32_t>(rng_())})); break;
      case FD::CPPTYPE_INT64: r->SetInt64(&m, f, pick<std::int64_t>({0, -1, INT64_MAX, INT64_MIN, static_cast<std::int64_t>(rng_())})); break;
      case FD::CPPTYPE_UINT64: r->SetUInt64(&m, f, pick<std::uint64_t>({0, UINT64_MAX, rng_()})); break;
      case FD::CPPTYPE_DOUBLE: r->SetDouble(&m, f, real()); break;
      case FD::CPPTYPE_FLOAT: r->SetFloat(&m, f, static_cast<float>(real())); break;
      case FD::CPPTYPE_BOOL: r->SetBool(&m, f, coin(2)); break;
      case FD::CPPTYPE_ENUM: r->SetEnumValue(&m, f, enum_number(f)); break;
      case FD::CPPTYPE_STRING: r->SetString(&m, f, text()); break;
      case FD::CPPTYPE_MESSAGE:
        if (depth < 4) fill(*r->MutableMessage(&m, f), depth + 1);
        else r->MutableMessage(&m, f);
        break;
    }
  }

  void add_value(pb::Message& m, const FD* f, int depth) {
    const pb::Reflection* r = m.GetReflection();
    switch (f->cpp_type()) {
      case FD::CPPTYPE_INT32: r->AddInt32(&m, f, static_cast<std::int32_t>(rng_())); break;
      case FD::CPPTYPE_UINT32: r->AddUInt32(&m, f, static_cast<std::uint32_t>(rng_())); break;
      case FD::CPPTYPE_INT64: r->AddInt64(&m, f, static_cast<std::int64_t>(rng_())); break;
      case FD::CPPTYPE_UINT64: r->AddUInt64(&m, f, rng_()); break;
      case FD::CPPTYPE_DOUBLE: r->AddDouble(&m, f, real()); break;
      case FD::CPPTYPE_FLOAT: r->AddFloat(&m, f, static_cast<float>(real())); break;
      case FD::CPPTYPE_BOOL: r->AddBool(&m, f, coin(2)); break;
      case FD::CPPTYPE_ENUM: r->AddEnumValue(&m, f, enum_number(f)); break;
      case FD::CPPTYPE_STRING: r->AddString(&m, f, text()); break;
      case FD::CPPTYPE_MESSAGE: {
        pb::Message* child = r->AddMessage(&m, f);
        if (depth < 4) fill(*child, depth + 1);
        break;
      }
    }
  }

  std::mt19937_64 rng_;
};

template <typename M>
void compare_many(std::uint64_t seed, int count) {
  Filler filler(seed);
  int written = 0;
  for (int i = 0; i < count; ++i) {
    M m;
    filler.fill(m, 0);
    std::string fast;
    if (!sb::net::write_json(m, fast)) continue;
    ++written;
    INFO(m.GetDescriptor()->full_name() << " #" << i << ": " << m.ShortDebugString());
    REQUIRE(fast == reference_json(m));
  }
  // The writer handled nearly all of them itself (only non-empty maps and bytes fall back).
  CHECK(written >= count * 9 / 10);
}

}  // namespace

TEST_CASE("the JSON writer prints what protobuf prints, message by message", "[codec][json]") {
  compare_many<switchboard::v1::ServerMessage>(1, 6000);
  compare_many<switchboard::v1::ClientMessage>(2, 3000);
  compare_many<switchboard::v1::ShopFigures>(3, 500);
  compare_many<switchboard::v1::TraceRecord>(4, 2000);
  compare_many<switchboard::v1::HistoryEvent>(5, 1000);
}

TEST_CASE("the JSON writer leaves to protobuf what it does not handle", "[codec][json]") {
  switchboard::v1::ClientMessage hello;
  (*hello.mutable_hello()->mutable_seen())["s1"] = 4;
  (*hello.mutable_hello()->mutable_seen())["s2"] = 9;
  std::string fast;
  CHECK_FALSE(sb::net::write_json(hello, fast));  // a non-empty map: protobuf's own order
  CHECK(sb::net::to_json(hello) == reference_json(hello));

  switchboard::v1::ServerMessage bad;
  bad.mutable_chat_message()->set_text(std::string("\xff\xfe", 2));  // not UTF-8
  fast.clear();
  CHECK_FALSE(sb::net::write_json(bad, fast));

  // An empty map is printed by the writer itself, as protobuf prints it.
  switchboard::v1::ClientMessage empty;
  empty.mutable_hello()->set_shop_id("s");
  fast.clear();
  REQUIRE(sb::net::write_json(empty, fast));
  CHECK(fast == reference_json(empty));
}

namespace {

// What protobuf's parser makes of text (nullopt: it refuses).
template <typename M>
std::optional<M> reference_parse(std::string_view text) {
  M m;
  pb::util::JsonParseOptions o;
  if (!pb::util::JsonStringToMessage(std::string(text), &m, o).ok()) return std::nullopt;
  return m;
}

// The reader either declines or agrees with protobuf exactly.
template <typename M = switchboard::v1::ClientMessage>
void check_agrees(std::string_view text, bool& accepted) {
  M fast;
  accepted = sb::net::read_json(text, fast);
  if (!accepted) return;
  const auto ref = reference_parse<M>(text);
  INFO("text: " << text);
  REQUIRE(ref.has_value());
  REQUIRE(pb::util::MessageDifferencer::Equals(fast, *ref));
}

}  // namespace

TEST_CASE("the JSON reader builds what protobuf's parser builds, or declines", "[codec][json]") {
  Filler filler(9);
  int accepted_n = 0;
  for (int i = 0; i < 4000; ++i) {
    switchboard::v1::ClientMessage m;
    filler.fill(m, 0);
    m.DiscardUnknownFields();
    std::string text;
    if (!sb::net::write_json(m, text)) continue;
    bool accepted = false;
    check_agrees(text, accepted);
    if (accepted) ++accepted_n;
  }
  CHECK(accepted_n > 1000);  // declined: \u escapes, unknown enum numbers, non-empty maps

  // What the server sends (the load generator and test clients read it back), timestamps included.
  int server_accepted = 0;
  for (int i = 0; i < 4000; ++i) {
    switchboard::v1::ServerMessage m;
    filler.fill(m, 0);
    std::string text;
    if (!sb::net::write_json(m, text)) continue;
    bool accepted = false;
    check_agrees<switchboard::v1::ServerMessage>(text, accepted);
    server_accepted += accepted ? 1 : 0;
  }
  CHECK(server_accepted > 1000);
  int stamps = 0;
  for (const char* at : {"2024-02-29T00:00:00Z", "2023-02-29T00:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z",
                         "2026-08-18T12:00:00.5Z", "2026-08-18T12:00:00.123456Z", "2026-08-18T12:00:00.Z", "2026-08-18T20:00:00+08:00",
                         "2026-08-18T12:00:60Z", "2026-08-18t12:00:00z", "2026-13-01T00:00:00Z", "2026-8-18T12:00:00Z",
                         "1969-12-31T23:59:59.999Z", "2026-08-18T12:00:00.1234567891Z", "0000-01-01T00:00:00Z"}) {
    bool accepted = false;
    check_agrees<switchboard::v1::ServerMessage>(std::string(R"({"pong":{"serverTime":")") + at + "\"}}", accepted);
    stamps += accepted ? 1 : 0;
  }
  CHECK(stamps >= 6);

  // Hand-made edge cases: each either declined or read as protobuf reads it.
  const std::vector<std::string> cases{
      R"({"requestId":"r1","sendText":{"text":"你好 \"quoted\" \/ \\ \n\t"}})",
      R"({ "requestId" : "r" , "ping" : { } })",
      R"({"requestId":"a","requestId":"b"})",                 // duplicate key
      R"({"hello":{},"ping":{}})",                            // two members of a oneof
      R"({"request_id":"x"})",                                // original field name
      R"({"rate":{"score":5.0}})", R"({"rate":{"score":"5"}})", R"({"rate":{"score":1e2}})",
      R"({"rate":{"score":2147483648}})", R"({"rate":{"score":-2147483648}})", R"({"rate":{"score":-0}})",
      R"({"rate":{"score":007}})", R"({"rate":{"score":null}})", R"({"rate":{"score":+1}})",
      R"({"enter":{"tier":"TIER_B"}})", R"({"enter":{"tier":"tier_b"}})", R"({"enter":{"tier":2}})",
      R"({"setAgentStatus":{"status":"AGENT_STATUS_ONLINE"}})",
      R"({"listLeftMessages":{"includeReplied":true}})", R"({"listLeftMessages":{"includeReplied":"true"}})",
      R"({"hello":{"seen":{"s1":"4"}}})", R"({"hello":{"seen":{}}})",
      R"({"sendText":{"text":"\u00e9"}})", R"({"sendText":{"text":"\ud83d\ude00"}})",
      "{\"sendText\":{\"text\":\"raw\ttab\"}}", "{\"sendText\":{\"text\":\"\xff\"}}",
      "{\"sendText\":{\"text\":\"\x7f\"}}", "{\"sendText\":{\"text\":\"\xe2\x80\xa8\"}}",
      R"({"sendText":{"text":"a"}} x)", R"({"sendText":{"text":"a"},})", R"({,})", R"([])", R"("x")", R"({})", "",
      R"({"cancel":{}, "requestId":""})", R"({"unknownField":1})", R"({"ping":{"extra":1}})",
      R"({"sendText":{"text":"a"})", R"({"sendText":{"text":"a)", "{\"sendText\":{\"text\":\"a\\\"}}"};
  int hand_accepted = 0;
  for (const auto& c : cases) {
    bool accepted = false;
    check_agrees(c, accepted);
    hand_accepted += accepted ? 1 : 0;
  }
  CHECK(hand_accepted >= 8);
  // What clients send on every chat message is read directly.
  for (const char* typical : {R"({"requestId":"t7","sendText":{"sessionId":"n1-s42","text":"这个有货吗？"}})",
                              R"({"requestId":"h","hello":{"role":"ROLE_AGENT","shopId":"s","token":"abc.def"}})",
                              R"({"requestId":"on","setAgentStatus":{"status":"AGENT_STATUS_ONLINE"}})"}) {
    bool accepted = false;
    check_agrees(typical, accepted);
    CHECK(accepted);
  }

  // Every input of the codec fuzzer's corpus (text frames: first byte odd).
  int corpus_n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(SB_SOURCE_DIR) + "/tests/fuzz/corpus/codec")) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    const std::string data = bytes.str();
    if (data.empty() || (static_cast<unsigned char>(data[0]) & 1) == 0) continue;
    bool accepted = false;
    check_agrees(std::string_view(data).substr(1), accepted);
    ++corpus_n;
  }
  CHECK(corpus_n > 50);
}
