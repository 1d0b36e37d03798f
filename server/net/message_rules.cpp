#include "message_rules.hpp"

#include <cmath>
#include <string_view>
#include <unordered_map>

#include "core/time.hpp"
#include "utf8.hpp"

namespace sb::net {

namespace {

namespace v1 = switchboard::v1;
namespace pb = google::protobuf;

// Free text lets tabs and line breaks through; names, ids and tokens no control character.
enum class Kind { id, text, token };

struct StringRule {
  Kind kind = Kind::id;
  std::size_t bytes_max = id_bytes_max;
};

const std::unordered_map<std::string_view, StringRule>& string_rules() {
  static const std::unordered_map<std::string_view, StringRule> rules{
      {"switchboard.v1.SendText.text", {Kind::text, text_bytes_max}},
      {"switchboard.v1.LeaveMessage.text", {Kind::text, text_bytes_max}},
      {"switchboard.v1.ReplyLeftMessage.text", {Kind::text, text_bytes_max}},
      {"switchboard.v1.Hello.token", {Kind::token, token_field_bytes_max}},
      {"switchboard.v1.Hello.resume_token", {Kind::token, token_field_bytes_max}},
      {"switchboard.v1.ClockAdvance.advance_to", {Kind::id, 64}},
  };
  return rules;
}

struct IntRule {
  std::int64_t min, max;
};

// The ranges the core accepts (and the database columns hold).
const std::unordered_map<std::string_view, IntRule>& int_rules() {
  static const std::unordered_map<std::string_view, IntRule> rules{
      {"switchboard.v1.Rate.score", {1, 5}},
      {"switchboard.v1.SetWindow.window", {1, 50}},
      {"switchboard.v1.ClockAdvance.advance_ms", {0, 400 * core::ms_per_day}},
  };
  return rules;
}

// JSON name path for messages: what the client wrote ("sendText.text").
std::string join(const std::string& path, const pb::FieldDescriptor* f) {
  return path.empty() ? f->json_name() : path + "." + f->json_name();
}

Check check_string(const std::string& path, std::string_view s, StringRule rule) {
  if (s.size() > rule.bytes_max)
    return invalid_argument(path + ": is " + std::to_string(s.size()) + " bytes; the limit is " + std::to_string(rule.bytes_max));
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == 0) return invalid_argument(path + ": contains U+0000 (NUL), which is not allowed");
    if (c >= 0x80) {
      std::uint32_t cp = 0;
      const std::size_t len = decode_utf8(s, i, cp);
      if (len == 0) return invalid_argument(path + ": is not valid UTF-8 (byte " + std::to_string(i) + ")");
      i += len - 1;
      continue;
    }
    const bool control = c < 0x20 || c == 0x7f;
    const bool allowed_in_text = c == '\t' || c == '\n' || c == '\r';
    if (control && !(rule.kind == Kind::text && allowed_in_text))
      return invalid_argument(path + ": contains control character U+00" + std::string(1, "0123456789ABCDEF"[c >> 4]) +
                              std::string(1, "0123456789ABCDEF"[c & 15]) +
                              (rule.kind == Kind::text ? ", which is not allowed in text" : "; ids and names take printable characters only"));
  }
  return {};
}

Check check_enum(const std::string& path, const pb::FieldDescriptor* f, int value) {
  if (f->full_name() == "switchboard.v1.Enter.tier" && value != 0)
    return invalid_argument(path + ": is not accepted from clients: a customer's tier comes from its token");
  if (f->enum_type()->FindValueByNumber(value) == nullptr)
    return invalid_argument(path + ": " + std::to_string(value) + " is not a " + f->enum_type()->name() + " value");
  return {};
}

Check check_message(const pb::Message& m, const std::string& path, int depth);

Check check_value(const pb::Message& m, const pb::FieldDescriptor* f, int index, const std::string& path, int depth) {
  const pb::Reflection* r = m.GetReflection();
  const bool rep = f->is_repeated();
  switch (f->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_STRING: {
      std::string scratch;
      const std::string& s = rep ? r->GetRepeatedStringReference(m, f, index, &scratch) : r->GetStringReference(m, f, &scratch);
      auto it = string_rules().find(f->full_name());
      return check_string(path, s, it == string_rules().end() ? StringRule{} : it->second);
    }
    case pb::FieldDescriptor::CPPTYPE_ENUM:
      return check_enum(path, f, rep ? r->GetRepeatedEnumValue(m, f, index) : r->GetEnumValue(m, f));
    case pb::FieldDescriptor::CPPTYPE_INT32:
    case pb::FieldDescriptor::CPPTYPE_INT64: {
      const std::int64_t v = f->cpp_type() == pb::FieldDescriptor::CPPTYPE_INT32 ? (rep ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f))
                                                                              : (rep ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f));
      auto it = int_rules().find(f->full_name());
      if (it != int_rules().end() && (v < it->second.min || v > it->second.max))
        return invalid_argument(path + ": must be " + std::to_string(it->second.min) + " to " + std::to_string(it->second.max) +
                                ", got " + std::to_string(v));
      return {};
    }
    case pb::FieldDescriptor::CPPTYPE_DOUBLE: {
      const double v = rep ? r->GetRepeatedDouble(m, f, index) : r->GetDouble(m, f);
      if (!std::isfinite(v)) return invalid_argument(path + ": must be a finite number");
      return {};
    }
    case pb::FieldDescriptor::CPPTYPE_MESSAGE:
      return check_message(rep ? r->GetRepeatedMessage(m, f, index) : r->GetMessage(m, f), path, depth + 1);
    default: return {};  // bools, unsigned counters: every value is meaningful
  }
}

Check check_message(const pb::Message& m, const std::string& path, int depth) {
  if (depth > 4) return invalid_argument(path + ": nested too deep");
  std::vector<const pb::FieldDescriptor*> fields;
  m.GetReflection()->ListFields(m, &fields);
  for (const auto* f : fields) {
    const std::string p = join(path, f);
    if (f->is_map() && m.GetReflection()->FieldSize(m, f) > seen_entries_max)
      return invalid_argument(p + ": has " + std::to_string(m.GetReflection()->FieldSize(m, f)) + " entries; the limit is " +
                              std::to_string(seen_entries_max));
    if (!f->is_repeated()) {
      if (auto c = check_value(m, f, 0, p, depth); !c) return c;
      continue;
    }
    for (int i = 0; i < m.GetReflection()->FieldSize(m, f); ++i)
      if (auto c = check_value(m, f, i, p + "[" + std::to_string(i) + "]", depth); !c) return c;
  }
  return {};
}

}  // namespace

Check check_client_message(const v1::ClientMessage& msg) { return check_message(msg, "", 0); }

Check check_order(const v1::Order& order) {
  if (auto c = check_message(order, "", 0); !c) return c;
  if (!(order.amount() >= 0 && order.amount() <= amount_max))
    return invalid_argument("amount: must be 0 to " + std::to_string(static_cast<long long>(amount_max)));
  return {};
}

Check check_clock_advance(const v1::ClockAdvance& advance) { return check_message(advance, "", 0); }

}  // namespace sb::net
