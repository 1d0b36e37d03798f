#include "json_reader.hpp"

#include "utf8.hpp"

#include <google/protobuf/descriptor.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>
#include <unordered_map>
#include <vector>

namespace sb::net {

namespace pb = google::protobuf;
using FD = pb::FieldDescriptor;

namespace {

constexpr int depth_max = 32;

// JSON name -> field, per message type; one table per thread, so no lock on the hot path.
const FD* field_by_json_name(const pb::Descriptor* d, std::string_view name) {
  thread_local std::unordered_map<const pb::Descriptor*, std::unordered_map<std::string, const FD*>> tables;
  auto [it, fresh] = tables.try_emplace(d);
  if (fresh)
    for (int i = 0; i < d->field_count(); ++i) it->second.emplace(d->field(i)->json_name(), d->field(i));
  auto f = it->second.find(std::string(name));
  return f == it->second.end() ? nullptr : f->second;
}

class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}

  bool document(pb::Message& m) {
    ws();
    if (!object(m, 0)) return false;
    ws();
    return i_ == s_.size();
  }

 private:
  void ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  bool eat(char c) {
    ws();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool peek(char c) {
    ws();
    return i_ < s_.size() && s_[i_] == c;
  }

  // A string with only the short escapes; \u escapes, raw control characters and invalid
  // UTF-8 are declined.
  bool string(std::string& out) {
    ws();
    if (i_ >= s_.size() || s_[i_] != '"') return false;
    ++i_;
    out.clear();
    while (i_ < s_.size()) {
      const auto c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c < 0x20 || c == 0x7f) return false;
      if (c == '\\') {
        if (i_ + 1 >= s_.size()) return false;
        switch (s_[i_ + 1]) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          default: return false;
        }
        i_ += 2;
        continue;
      }
      if (c < 0x80) {
        out += static_cast<char>(c);
        ++i_;
        continue;
      }
      std::uint32_t cp = 0;
      const std::size_t len = decode_utf8(s_, i_, cp);
      if (len == 0) return false;
      out.append(s_.substr(i_, len));
      i_ += len;
    }
    return false;
  }

  // A JSON number's text: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  bool number_text(std::string_view& text, bool& integral) {
    ws();
    const std::size_t start = i_;
    integral = true;
    if (i_ < s_.size() && s_[i_] == '-') ++i_;
    if (i_ >= s_.size() || s_[i_] < '0' || s_[i_] > '9') return false;
    if (s_[i_] == '0') {
      ++i_;
    } else {
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
    }
    if (i_ < s_.size() && s_[i_] == '.') {
      integral = false;
      ++i_;
      if (i_ >= s_.size() || s_[i_] < '0' || s_[i_] > '9') return false;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      integral = false;
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (i_ >= s_.size() || s_[i_] < '0' || s_[i_] > '9') return false;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
    }
    text = s_.substr(start, i_ - start);
    return true;
  }

  // A plain integer (64-bit ones also as a quoted one), in range for T.
  template <typename T>
  bool integer(T& out, bool quoted_allowed) {
    std::string_view text;
    bool integral = false;
    if (quoted_allowed && peek('"')) {
      ++i_;
      const std::size_t start = i_;
      while (i_ < s_.size() && s_[i_] != '"') ++i_;
      if (i_ >= s_.size()) return false;
      text = s_.substr(start, i_ - start);
      ++i_;
      // Same grammar as an unquoted one.
      Reader inner(text);
      std::string_view again;
      if (!inner.number_text(again, integral) || again.size() != text.size()) return false;
    } else if (!number_text(text, integral)) {
      return false;
    }
    if (!integral) return false;
    if (std::is_unsigned_v<T> && !text.empty() && text[0] == '-') return false;
    const auto r = std::from_chars(text.data(), text.data() + text.size(), out);
    return r.ec == std::errc() && r.ptr == text.data() + text.size();
  }

  bool real(double& out) {
    std::string_view text;
    bool integral = false;
    if (!number_text(text, integral)) return false;
    const std::string copy(text);
    errno = 0;
    char* end = nullptr;
    out = std::strtod(copy.c_str(), &end);
    return errno == 0 && end == copy.c_str() + copy.size() && std::isfinite(out);
  }

  // "YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z", as this server and protobuf print them; offsets other
  // than Z and everything else are declined.
  bool timestamp(pb::Message& m) {
    std::string text;
    if (!string(text)) return false;
    auto digits = [&](std::size_t at, std::size_t n, int& out) {
      if (at + n > text.size()) return false;
      out = 0;
      for (std::size_t k = at; k < at + n; ++k) {
        if (text[k] < '0' || text[k] > '9') return false;
        out = out * 10 + (text[k] - '0');
      }
      return true;
    };
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
    if (text.size() < 20 || !digits(0, 4, y) || text[4] != '-' || !digits(5, 2, mo) || text[7] != '-' || !digits(8, 2, d) ||
        text[10] != 'T' || !digits(11, 2, h) || text[13] != ':' || !digits(14, 2, mi) || text[16] != ':' || !digits(17, 2, se))
      return false;
    std::size_t at = 19;
    int nanos = 0;
    if (text[at] == '.') {
      std::size_t n = 0;
      ++at;
      while (at < text.size() && text[at] >= '0' && text[at] <= '9' && n < 9) {
        nanos = nanos * 10 + (text[at] - '0');
        ++at;
        ++n;
      }
      if (n == 0) return false;
      for (; n < 9; ++n) nanos *= 10;
    }
    if (at + 1 != text.size() || text[at] != 'Z') return false;
    static constexpr int month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > month_days[mo - 1] + (mo == 2 && leap ? 1 : 0) || h > 23 || mi > 59 || se > 59)
      return false;
    // Days since 1970-01-01 from the civil date (Howard Hinnant's algorithm).
    const std::int64_t yy = y - (mo <= 2 ? 1 : 0);
    const std::int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    const std::int64_t yoe = yy - era * 400;
    const std::int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    const std::int64_t days = era * 146097 + doe - 719468;
    const pb::Reflection* r = m.GetReflection();
    const pb::Descriptor* desc = m.GetDescriptor();
    r->SetInt64(&m, desc->FindFieldByNumber(1), days * 86400 + h * 3600 + mi * 60 + se);
    r->SetInt32(&m, desc->FindFieldByNumber(2), nanos);
    return true;
  }

  bool literal(std::string_view word) {
    ws();
    if (s_.substr(i_, word.size()) != word) return false;
    i_ += word.size();
    return true;
  }

  // One value of field f, set (repeated: added) on m.
  bool value(pb::Message& m, const FD* f, bool add, int depth) {
    const pb::Reflection* r = m.GetReflection();
    switch (f->cpp_type()) {
      case FD::CPPTYPE_INT32: {
        std::int32_t v = 0;
        if (!integer(v, false)) return false;
        add ? r->AddInt32(&m, f, v) : r->SetInt32(&m, f, v);
        return true;
      }
      case FD::CPPTYPE_UINT32: {
        std::uint32_t v = 0;
        if (!integer(v, false)) return false;
        add ? r->AddUInt32(&m, f, v) : r->SetUInt32(&m, f, v);
        return true;
      }
      case FD::CPPTYPE_INT64: {
        std::int64_t v = 0;
        if (!integer(v, true)) return false;
        add ? r->AddInt64(&m, f, v) : r->SetInt64(&m, f, v);
        return true;
      }
      case FD::CPPTYPE_UINT64: {
        std::uint64_t v = 0;
        if (!integer(v, true)) return false;
        add ? r->AddUInt64(&m, f, v) : r->SetUInt64(&m, f, v);
        return true;
      }
      case FD::CPPTYPE_DOUBLE: {
        double v = 0;
        if (!real(v)) return false;
        add ? r->AddDouble(&m, f, v) : r->SetDouble(&m, f, v);
        return true;
      }
      case FD::CPPTYPE_FLOAT: return false;  // range rules of its own: protobuf's parser decides
      case FD::CPPTYPE_BOOL: {
        bool v = false;
        if (literal("true")) v = true;
        else if (!literal("false")) return false;
        add ? r->AddBool(&m, f, v) : r->SetBool(&m, f, v);
        return true;
      }
      case FD::CPPTYPE_ENUM: {
        std::string name;
        if (!string(name)) return false;
        const pb::EnumValueDescriptor* v = f->enum_type()->FindValueByName(name);
        if (v == nullptr) return false;
        add ? r->AddEnumValue(&m, f, v->number()) : r->SetEnumValue(&m, f, v->number());
        return true;
      }
      case FD::CPPTYPE_STRING: {
        if (f->type() == FD::TYPE_BYTES) return false;
        std::string v;
        if (!string(v)) return false;
        add ? r->AddString(&m, f, std::move(v)) : r->SetString(&m, f, std::move(v));
        return true;
      }
      case FD::CPPTYPE_MESSAGE: {
        const auto wkt = f->message_type()->well_known_type();
        if (wkt == pb::Descriptor::WELLKNOWNTYPE_TIMESTAMP) return timestamp(add ? *r->AddMessage(&m, f) : *r->MutableMessage(&m, f));
        if (wkt != pb::Descriptor::WELLKNOWNTYPE_UNSPECIFIED) return false;
        return object(add ? *r->AddMessage(&m, f) : *r->MutableMessage(&m, f), depth + 1);
      }
    }
    return false;
  }

  bool object(pb::Message& m, int depth) {
    if (depth > depth_max || !eat('{')) return false;
    const pb::Descriptor* d = m.GetDescriptor();
    std::vector<bool> seen(static_cast<std::size_t>(d->field_count()), false);
    std::vector<bool> oneof_set(static_cast<std::size_t>(d->oneof_decl_count()), false);
    if (eat('}')) return true;
    std::string key;
    for (;;) {
      if (!string(key) || !eat(':')) return false;
      const FD* f = field_by_json_name(d, key);
      if (f == nullptr || f->is_map()) return false;
      if (peek('n')) return false;  // null: protobuf's parser decides what it means
      const auto index = static_cast<std::size_t>(f->index());
      if (seen[index]) return false;
      seen[index] = true;
      if (const pb::OneofDescriptor* o = f->containing_oneof()) {
        const auto oi = static_cast<std::size_t>(o->index());
        if (oneof_set[oi]) return false;
        oneof_set[oi] = true;
      }
      if (f->is_repeated()) {
        if (!eat('[')) return false;
        if (!eat(']')) {
          do {
            if (peek('n') || !value(m, f, true, depth)) return false;
          } while (eat(','));
          if (!eat(']')) return false;
        }
      } else if (!value(m, f, false, depth)) {
        return false;
      }
      if (eat(',')) continue;
      return eat('}');
    }
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

}  // namespace

bool read_json(std::string_view json, pb::Message& msg) { return Reader(json).document(msg); }

}  // namespace sb::net
