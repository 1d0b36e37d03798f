// libFuzzer harness for the edge: any frame is decoded, checked against the message rules and,
// if it is a hello, authenticated; none of it crashes or throws, every refusal names its
// problem, and whatever passes the rules holds no string the database would refuse (no NUL,
// valid UTF-8, within its bound) and no enum value without a name.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "net/codec.hpp"
#include "net/hello_auth.hpp"
#include "net/message_rules.hpp"
#include "net/shop_route.hpp"
#include "net/utf8.hpp"

namespace {

namespace pb = google::protobuf;

bool clean_string(const std::string& s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == 0) return false;
    std::uint32_t cp = 0;
    if (c >= 0x80) {
      const std::size_t len = sb::net::decode_utf8(s, i, cp);
      if (len == 0) return false;
      i += len - 1;
    }
  }
  return s.size() <= sb::net::text_bytes_max;
}

// An independent walk: every string clean, every enum named.
bool clean(const pb::Message& m) {
  std::vector<const pb::FieldDescriptor*> fields;
  m.GetReflection()->ListFields(m, &fields);
  const pb::Reflection* r = m.GetReflection();
  for (const auto* f : fields) {
    const int n = f->is_repeated() ? r->FieldSize(m, f) : 1;
    for (int i = 0; i < n; ++i) {
      if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_STRING) {
        std::string scratch;
        if (!clean_string(f->is_repeated() ? r->GetRepeatedStringReference(m, f, i, &scratch) : r->GetStringReference(m, f, &scratch)))
          return false;
      } else if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_ENUM) {
        const int v = f->is_repeated() ? r->GetRepeatedEnumValue(m, f, i) : r->GetEnumValue(m, f);
        if (f->enum_type()->FindValueByNumber(v) == nullptr) return false;
      } else if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
        if (!clean(f->is_repeated() ? r->GetRepeatedMessage(m, f, i) : r->GetMessage(m, f))) return false;
      }
    }
  }
  return true;
}

const sb::net::KeyRing& ring() {
  static const sb::net::KeyRing r{"switchboard", 60, {sb::net::TokenKey{"ops", sb::net::KeyAlgorithm::hs256, std::string(40, 'o'), "", "switchboard"}}};
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool text = (data[0] & 1) != 0;  // the first byte picks the frame type and the URL
  const std::string_view url_shop = (data[0] & 2) != 0 ? "day" : "";
  const std::string_view payload(reinterpret_cast<const char*>(data + 1), size - 1);
  const sb::net::Decoded d = sb::net::decode_frame(payload, text);
  if (!d.ok) return d.error.empty() ? (std::abort(), 0) : 0;
  const sb::Check checked = sb::net::check_client_message(d.message);
  if (!checked.ok()) {
    if (checked.error().message.empty()) std::abort();
    return 0;
  }
  if (!clean(d.message)) std::abort();  // the rules let something through the database would refuse
  if (!d.message.has_hello()) return 0;
  const auto shop = sb::net::hello_shop(d.message.hello(), url_shop);
  if (!shop.ok()) return shop.error().message.empty() ? (std::abort(), 0) : 0;
  static const sb::net::ShopRoute route{0, true, {}};
  const char* reason = nullptr;
  const auto who = sb::net::authenticate(ring(), d.message.hello(), *shop, *shop == "day" ? &route : nullptr, nullptr, 1'800'000'000, reason);
  if (!who.ok() && who.error().message.empty()) std::abort();
  // Without a token nobody is anybody in particular: at most a guest the core will name.
  if (who.ok() && d.message.hello().token().empty() && d.message.hello().resume_token().empty() && !who->person.empty()) std::abort();
  return 0;
}
