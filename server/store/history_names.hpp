// How history reaches SQL by name, one rule for the writer, the SQL and the trace export: an
// enum value is its name without the enum's prefix, lower case ('no_agent' for
// UNCONNECTED_REASON_NO_AGENT, 'customer_left' for CLOSE_REASON_CUSTOMER_LEFT, 'online'), a
// one-letter name keeps its case (tiers 'A', 'B', 'C'); an event's kind is its body's field
// name in history.proto ('request_begun').
#pragma once

#include <google/protobuf/generated_enum_reflection.h>

#include <optional>
#include <string>
#include <string_view>

#include "switchboard/v1/history.pb.h"

namespace sb::store {

std::string sql_name(const google::protobuf::EnumValueDescriptor* value);
// The value named `name` in `type`, nullopt for a name it does not have.
std::optional<int> from_sql_name(const google::protobuf::EnumDescriptor* type, std::string_view name);
std::string kind_name(const switchboard::v1::HistoryEvent& e);

template <class E>
std::string sql_name(E value) {
  return sql_name(google::protobuf::GetEnumDescriptor<E>()->FindValueByNumber(static_cast<int>(value)));
}

template <class E>
std::optional<E> enum_from_sql(std::string_view name) {
  const auto v = from_sql_name(google::protobuf::GetEnumDescriptor<E>(), name);
  if (!v) return std::nullopt;
  return static_cast<E>(*v);
}

}  // namespace sb::store
