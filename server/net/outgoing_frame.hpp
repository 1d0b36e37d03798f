// A server message on its way to one or more connections, encoded at most once per wire format
// (JSON text or protobuf binary) however many receivers it has: a chat line goes to the
// customer, the agent and every supervisor listening in, and each of them shares one encoding.
// Receivers live on other threads: each format is encoded by whoever needs it first, once.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "switchboard/v1/switchboard.pb.h"

namespace sb::net {

class OutgoingFrame {
 public:
  explicit OutgoingFrame(std::shared_ptr<const switchboard::v1::ServerMessage> message) : message_(std::move(message)) {}

  // The payload in the peer's format; thread-safe, and encoded on the first call for each.
  const std::string& bytes(bool text) const;
  const switchboard::v1::ServerMessage& message() const { return *message_; }

 private:
  std::shared_ptr<const switchboard::v1::ServerMessage> message_;
  mutable std::once_flag json_once_, binary_once_;
  mutable std::string json_, binary_;
};

}  // namespace sb::net
