// The one way every edge says "this did not work, and why": a value, or an Error carrying the
// protocol's error code and a message a person can act on. HTTP maps the code to a status,
// WebSocket sends it as an Error frame, the CLI prints the message. Exceptions are kept for
// what cannot go on (a full disk under the journal, a broken invariant).
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

#include "switchboard/v1/switchboard.pb.h"

namespace sb {

struct Error {
  switchboard::v1::ErrorCode code = switchboard::v1::ERROR_CODE_INVALID_ARGUMENT;
  std::string message;
};

inline Error invalid_argument(std::string message) { return {switchboard::v1::ERROR_CODE_INVALID_ARGUMENT, std::move(message)}; }

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit, so functions can `return value;`
  Result(Error error) : v_(std::move(error)) {}  // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const {
    assert(ok());
    return std::get<0>(v_);
  }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

// A check with nothing to return: empty on success.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    assert(!ok_);
    return error_;
  }

 private:
  Error error_;
  bool ok_ = true;
};

using Check = Result<void>;

}  // namespace sb
