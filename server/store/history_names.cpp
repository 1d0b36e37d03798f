#include "history_names.hpp"

#include <cctype>

namespace sb::store {

namespace {

// The prefix an enum's values share: the enum's name in UPPER_SNAKE_CASE and "_"
// ("CloseReason" -> "CLOSE_REASON_").
std::string prefix_of(const google::protobuf::EnumDescriptor* type) {
  std::string out;
  for (char c : type->name()) {
    if (std::isupper(static_cast<unsigned char>(c)) && !out.empty()) out.push_back('_');
    out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return out + "_";
}

}  // namespace

std::string sql_name(const google::protobuf::EnumValueDescriptor* value) {
  if (value == nullptr) return {};
  std::string name = value->name();
  const std::string prefix = prefix_of(value->type());
  if (name.rfind(prefix, 0) == 0) name = name.substr(prefix.size());
  if (name.size() == 1) return name;
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

std::optional<int> from_sql_name(const google::protobuf::EnumDescriptor* type, std::string_view name) {
  for (int i = 0; i < type->value_count(); ++i)
    if (sql_name(type->value(i)) == name) return type->value(i)->number();
  return std::nullopt;
}

std::string kind_name(const switchboard::v1::HistoryEvent& e) {
  const auto* field = e.GetDescriptor()->FindFieldByNumber(static_cast<int>(e.body_case()));
  return field == nullptr ? std::string() : field->name();
}

}  // namespace sb::store
