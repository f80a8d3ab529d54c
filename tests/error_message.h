#pragma once
// The one way the tests check an error's message: which ordo::Error a call throws, and which
// words its message must hold.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ordo/error.h"

namespace ordo::test {

// The message of the ordo::Error `call` throws; a test failure when it throws none. Any other
// exception escapes and fails the test, which is how the exception type is checked.
template <typename Call>
std::string error_message(Call&& call) {
  try {
    call();
  } catch (const Error& error) {
    return error.what();
  }
  ADD_FAILURE() << "expected an ordo::Error, nothing was thrown";
  return "";
}

// Every one of `words` appears in `message`.
inline void expect_contains(const std::string& message, const std::vector<std::string>& words) {
  for (const std::string& word : words) {
    EXPECT_NE(message.find(word), std::string::npos) << "'" << word << "' not in: " << message;
  }
}

}  // namespace ordo::test
