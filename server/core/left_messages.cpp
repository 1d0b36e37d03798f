// Leaving a message, listing and answering them.
#include "left_messages.hpp"

#include <algorithm>

#include "proto_time.hpp"
#include "shop_engine.hpp"

namespace sb::core {

namespace v1 = switchboard::v1;

namespace {
constexpr std::size_t left_messages_list_max = 1000;
}

bool LeftMessages::make_room(std::size_t bound) {
  if (messages_.size() < bound) return true;
  auto replied = std::find_if(messages_.begin(), messages_.end(), [](const auto& kv) { return kv.second.message.replied(); });
  if (replied == messages_.end()) return false;
  messages_.erase(replied);
  return true;
}

LeftMessage* LeftMessages::find(std::uint64_t id) {
  auto it = messages_.find(id);
  return it == messages_.end() ? nullptr : &it->second;
}

void ShopEngine::on_leave_message(TimeMs now, const Actor& a, const v1::LeaveMessage& m, Output& out) {
  if (m.text().empty() || m.text().size() > config_.limits.text_bytes_max) {
    reply_error(out, v1::ERROR_CODE_INVALID_ARGUMENT,
                "leave_message.text must be 1 to " + std::to_string(config_.limits.text_bytes_max) + " bytes");
    return;
  }
  if (!left_.make_room(config_.limits.left_messages_kept_max)) {
    reply_error(out, v1::ERROR_CODE_UNAVAILABLE, "shop " + config_.id + " holds " + std::to_string(left_.size()) +
                                                     " unanswered messages, its limit; try again later");
    return;
  }
  const std::uint64_t id = next_id_++;
  LeftMessage lm;
  lm.left_at = now;
  lm.message.set_message_id(external_id('m', id));
  lm.message.set_member_id(a.person);
  lm.message.set_text(m.text());
  set_time(lm.message.mutable_left_at(), now);
  left_.add(id, lm);
  book_.message_left(now);
  if (auto* e = history_.add_at_own_hour(out, now)) {
    auto* l = e->mutable_message_left();
    l->set_message_id(external_id('m', id));
    l->set_member_id(a.person);
    l->set_text(m.text());
  }
  reply_ack(out, external_id('m', id));
}

void ShopEngine::on_list_left(const v1::ListLeftMessages& m, Output& out) {
  v1::ServerMessage reply;
  auto* list = reply.mutable_left_messages();
  left_.each([&](const LeftMessage& lm) {
    if (lm.message.replied() && !m.include_replied()) return;
    if (static_cast<std::size_t>(list->messages_size()) >= left_messages_list_max) return;
    *list->add_messages() = lm.message;
  });
  out.reply = std::move(reply);
}

void ShopEngine::on_reply_left(TimeMs now, const Actor& a, const v1::ReplyLeftMessage& m, Output& out) {
  LeftMessage* left = left_.find(internal_id('m', m.message_id()));
  if (left == nullptr) {
    reply_error(out, v1::ERROR_CODE_NOT_FOUND, "no left message \"" + m.message_id() + "\" in shop " + config_.id);
    return;
  }
  auto& lm = left->message;
  if (lm.replied()) {
    reply_error(out, v1::ERROR_CODE_INVALID_STATE, "message " + m.message_id() + " was already answered by " + lm.replied_by());
    return;
  }
  if (m.text().empty() || m.text().size() > config_.limits.text_bytes_max) {
    reply_error(out, v1::ERROR_CODE_INVALID_ARGUMENT,
                "reply_left_message.text must be 1 to " + std::to_string(config_.limits.text_bytes_max) + " bytes");
    return;
  }
  lm.set_replied(true);
  lm.set_reply_text(m.text());
  lm.set_replied_by(a.person);
  set_time(lm.mutable_replied_at(), now);
  book_.message_replied(left->left_at);
  if (auto* e = history_.add(out, now, nullptr)) {
    auto* r = e->mutable_message_replied();
    r->set_message_id(m.message_id());
    r->set_agent_id(a.person);
    r->set_text(m.text());
    r->set_left_at_ms(left->left_at);
  }
  reply_ack(out, m.message_id());
  auto msg = make_message();
  *msg->mutable_left_message_replied()->mutable_message() = lm;
  deliver(out, v1::ROLE_CUSTOMER, lm.member_id(), msg);
}

}  // namespace sb::core
