#include "outgoing_frame.hpp"

#include "codec.hpp"

namespace sb::net {

const std::string& OutgoingFrame::bytes(bool text) const {
  if (text) {
    std::call_once(json_once_, [this] { json_ = encode_frame(*message_, true); });
    return json_;
  }
  std::call_once(binary_once_, [this] { binary_ = encode_frame(*message_, false); });
  return binary_;
}

}  // namespace sb::net
