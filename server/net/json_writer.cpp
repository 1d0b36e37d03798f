#include "json_writer.hpp"

#include "utf8.hpp"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/timestamp.pb.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace sb::net {

namespace pb = google::protobuf;
using FD = pb::FieldDescriptor;

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

void put_u16_escape(std::uint32_t unit, std::string& out) {
  out += "\\u";
  out += hex_digits[(unit >> 12) & 0xf];
  out += hex_digits[(unit >> 8) & 0xf];
  out += hex_digits[(unit >> 4) & 0xf];
  out += hex_digits[unit & 0xf];
}

// Code points protobuf's printer writes as \u escapes although JSON would not need it: C1
// controls and invisible or direction-changing characters that have caused script-injection
// bugs in browsers.
bool escaped_by_protobuf(std::uint32_t cp) {
  if (cp >= 0x80 && cp <= 0x9f) return true;
  switch (cp) {
    case 0x00ad: case 0x06dd: case 0x070f: case 0x17b4: case 0x17b5:
    case 0xfeff: case 0xfff9: case 0xfffa: case 0xfffb: return true;
    default: break;
  }
  return (cp >= 0x0600 && cp <= 0x0603) || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
         (cp >= 0x2060 && cp <= 0x2064) || (cp >= 0x206a && cp <= 0x206f);
}

// Outside the basic plane, escaped as a surrogate pair: language tags and music formatting.
bool escaped_as_pair(std::uint32_t cp) {
  return cp == 0xe0001 || (cp >= 0x1d173 && cp <= 0x1d17a) || (cp >= 0xe0020 && cp <= 0xe007f);
}

bool put_string(const std::string& s, std::string& out) {
  out += '"';
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '<': out += "\\u003c"; break;
        case '>': out += "\\u003e"; break;
        case '\b': out += "\\b"; break;
        case '\t': out += "\\t"; break;
        case '\n': out += "\\n"; break;
        case '\f': out += "\\f"; break;
        case '\r': out += "\\r"; break;
        default:
          if (c < 0x20 || c == 0x7f) put_u16_escape(c, out);
          else out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    // A multi-byte UTF-8 sequence: decoded to decide whether it is escaped.
    std::uint32_t cp = 0;
    const std::size_t len = decode_utf8(s, i, cp);
    if (len == 0) return false;
    if (escaped_by_protobuf(cp)) {
      put_u16_escape(cp, out);
    } else if (escaped_as_pair(cp)) {
      const std::uint32_t v = cp - 0x10000;
      put_u16_escape(0xd800 + (v >> 10), out);
      put_u16_escape(0xdc00 + (v & 0x3ff), out);
    } else {
      out.append(s, i, len);
    }
    i += len;
  }
  out += '"';
  return true;
}

// The shortest of %.15g / %.17g (%.6g / %.9g for float) that reads back as the same value,
// as protobuf's printer does.
template <typename T>
void put_real(T v, std::string& out) {
  if (std::isnan(v)) {
    out += "\"NaN\"";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "\"Infinity\"" : "\"-Infinity\"";
    return;
  }
  constexpr bool is_float = sizeof(T) == sizeof(float);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.*g", is_float ? FLT_DIG : DBL_DIG, static_cast<double>(v));
  const bool exact = is_float ? std::strtof(buf, nullptr) == v : std::strtod(buf, nullptr) == static_cast<double>(v);
  if (!exact) std::snprintf(buf, sizeof buf, "%.*g", is_float ? FLT_DIG + 3 : DBL_DIG + 2, static_cast<double>(v));
  out += buf;
}

// RFC 3339 in UTC with 0, 3, 6 or 9 fraction digits, as protobuf prints a Timestamp.
bool put_timestamp(const pb::Message& m, std::string& out) {
  const pb::Reflection* r = m.GetReflection();
  const pb::Descriptor* d = m.GetDescriptor();
  const std::int64_t seconds = r->GetInt64(m, d->FindFieldByNumber(1));
  const std::int32_t nanos = r->GetInt32(m, d->FindFieldByNumber(2));
  // 0001-01-01 .. 9999-12-31, nanos 0..999,999,999: what protobuf accepts.
  if (seconds < -62135596800LL || seconds > 253402300799LL || nanos < 0 || nanos > 999'999'999) return false;
  std::int64_t days = seconds / 86400;
  std::int64_t rem = seconds % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  char buf[48];
  int n = std::snprintf(buf, sizeof buf, "\"%04lld-%02lld-%02lldT%02lld:%02lld:%02lld", static_cast<long long>(year),
                        static_cast<long long>(month), static_cast<long long>(day), static_cast<long long>(rem / 3600),
                        static_cast<long long>(rem / 60 % 60), static_cast<long long>(rem % 60));
  if (nanos != 0) {
    if (nanos % 1'000'000 == 0) n += std::snprintf(buf + n, sizeof buf - static_cast<std::size_t>(n), ".%03d", nanos / 1'000'000);
    else if (nanos % 1'000 == 0) n += std::snprintf(buf + n, sizeof buf - static_cast<std::size_t>(n), ".%06d", nanos / 1'000);
    else n += std::snprintf(buf + n, sizeof buf - static_cast<std::size_t>(n), ".%09d", nanos);
  }
  out.append(buf, static_cast<std::size_t>(n));
  out += "Z\"";
  return true;
}

bool put_message(const pb::Message& m, std::string& out);

bool put_enum(const FD* f, int number, std::string& out) {
  if (const pb::EnumValueDescriptor* v = f->enum_type()->FindValueByNumber(number)) {
    out += '"';
    out += v->name();
    out += '"';
  } else {
    out += std::to_string(number);  // an open enum's value this build does not know
  }
  return true;
}

// One value of field f (index < 0: a singular field, else that element of a repeated one).
bool put_value(const pb::Message& m, const FD* f, int index, std::string& out) {
  const pb::Reflection* r = m.GetReflection();
  const bool rep = index >= 0;
  switch (f->cpp_type()) {
    case FD::CPPTYPE_INT32: out += std::to_string(rep ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f)); return true;
    case FD::CPPTYPE_UINT32: out += std::to_string(rep ? r->GetRepeatedUInt32(m, f, index) : r->GetUInt32(m, f)); return true;
    case FD::CPPTYPE_INT64:
      out += '"';
      out += std::to_string(rep ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f));
      out += '"';
      return true;
    case FD::CPPTYPE_UINT64:
      out += '"';
      out += std::to_string(rep ? r->GetRepeatedUInt64(m, f, index) : r->GetUInt64(m, f));
      out += '"';
      return true;
    case FD::CPPTYPE_DOUBLE: put_real(rep ? r->GetRepeatedDouble(m, f, index) : r->GetDouble(m, f), out); return true;
    case FD::CPPTYPE_FLOAT: put_real(rep ? r->GetRepeatedFloat(m, f, index) : r->GetFloat(m, f), out); return true;
    case FD::CPPTYPE_BOOL: out += (rep ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f)) ? "true" : "false"; return true;
    case FD::CPPTYPE_ENUM: return put_enum(f, rep ? r->GetRepeatedEnumValue(m, f, index) : r->GetEnumValue(m, f), out);
    case FD::CPPTYPE_STRING: {
      if (f->type() == FD::TYPE_BYTES) return false;
      std::string scratch;
      const std::string& s = rep ? r->GetRepeatedStringReference(m, f, index, &scratch) : r->GetStringReference(m, f, &scratch);
      return put_string(s, out);
    }
    case FD::CPPTYPE_MESSAGE: return put_message(rep ? r->GetRepeatedMessage(m, f, index) : r->GetMessage(m, f), out);
  }
  return false;
}

// Whether protobuf's printer renders a set field as a plain value rather than an object in
// place: timestamps, and members of a oneof (or proto3 optional) of a scalar type.
bool rendered_late(const FD* f) {
  if (f->is_repeated()) return false;
  if (f->cpp_type() == FD::CPPTYPE_MESSAGE)
    return f->message_type()->well_known_type() == pb::Descriptor::WELLKNOWNTYPE_TIMESTAMP;
  return f->containing_oneof() != nullptr;
}

bool put_field(const pb::Message& m, const FD* f, bool& first, std::string& out) {
  const pb::Reflection* r = m.GetReflection();
  if (!first) out += ',';
  first = false;
  out += '"';
  out += f->json_name();
  out += "\":";
  if (f->is_map()) {
    out += "{}";
    return true;
  }
  if (!f->is_repeated()) return put_value(m, f, -1, out);
  out += '[';
  const int n = r->FieldSize(m, f);
  for (int k = 0; k < n; ++k) {
    if (k > 0) out += ',';
    if (!put_value(m, f, k, out)) return false;
  }
  out += ']';
  return true;
}

// Field order as protobuf's printer has it with default values on: every field in declaration
// order (scalars always, repeated ones even when empty, messages when set), except that set
// timestamps and set scalar oneof members come last, in field-number order, because the
// printer adds them to its tree after laying out the defaults.
bool put_message(const pb::Message& m, std::string& out) {
  const pb::Descriptor* d = m.GetDescriptor();
  if (d->well_known_type() == pb::Descriptor::WELLKNOWNTYPE_TIMESTAMP) return put_timestamp(m, out);
  if (d->well_known_type() != pb::Descriptor::WELLKNOWNTYPE_UNSPECIFIED) return false;
  const pb::Reflection* r = m.GetReflection();
  out += '{';
  bool first = true;
  bool any_late = false;
  for (int i = 0; i < d->field_count(); ++i) {
    const FD* f = d->field(i);
    if (f->is_map()) {
      if (r->FieldSize(m, f) > 0) return false;
    } else if (!f->is_repeated() && f->has_presence()) {
      if (!r->HasField(m, f)) continue;  // unset message, oneof member or optional field
      if (rendered_late(f)) {
        any_late = true;
        continue;
      }
    }
    if (!put_field(m, f, first, out)) return false;
  }
  if (any_late) {
    std::vector<const FD*> late;
    for (int i = 0; i < d->field_count(); ++i) {
      const FD* f = d->field(i);
      if (!f->is_repeated() && f->has_presence() && rendered_late(f) && r->HasField(m, f)) late.push_back(f);
    }
    std::sort(late.begin(), late.end(), [](const FD* a, const FD* b) { return a->number() < b->number(); });
    for (const FD* f : late)
      if (!put_field(m, f, first, out)) return false;
  }
  out += '}';
  return true;
}

}  // namespace

bool write_json(const pb::Message& msg, std::string& out) { return put_message(msg, out); }

}  // namespace sb::net
