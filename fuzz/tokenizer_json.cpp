// libFuzzer target: a tokenizer.json from arbitrary bytes, then a few texts through it.
//
// Input: the tokenizer.json text, then optionally "\n@@\n" and a text to encode (otherwise a
// fixed set of texts). Properties:
//   - loading ends in a tokenizer or an ordo::Error, never anything else (no other exception,
//     crash, hang or unbounded allocation);
//   - an accepted tokenizer encodes valid UTF-8 into parallel arrays of one length, with spans
//     inside the text, and decodes its own ids without failing.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.h"
#include "hf/hf_tokenizer.h"
#include "ordo/error.h"
#include "tokenizer.h"
#include "utf8.h"

namespace {

using ordo::tokenizer::Encoding;
using ordo::tokenizer::Tokenizer;

void check(const Encoding& encoding, size_t first, size_t second) {
  const size_t n = encoding.ids.size();
  FUZZ_CHECK(encoding.token_types.size() == n && encoding.tokens.size() == n &&
                 encoding.sequence.size() == n && encoding.begin.size() == n &&
                 encoding.end.size() == n,
             "parallel arrays differ in length");
  for (size_t i = 0; i < n; ++i) {
    if (encoding.sequence[i] < 0) continue;
    const size_t size = encoding.sequence[i] == 0 ? first : second;
    FUZZ_CHECK(encoding.begin[i] <= encoding.end[i] && encoding.end[i] <= size,
               "byte span outside the text");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t separator = input.find("\n@@\n");
  const std::string_view json = input.substr(0, separator);
  std::vector<std::string> texts = {"", "Hello, world! caf\xC3\xA9 \xE4\xBD\xA0\xE5\xA5\xBD",
                                    "  a--b 123 [MASK] <s> \xF0\x9F\x98\x80 x"};
  if (separator != std::string_view::npos) {
    const std::string text(input.substr(separator + 4));
    try {
      ordo::tokenizer::require_valid_utf8(text, "text");
      texts.push_back(text);
    } catch (const ordo::Error&) {
    }
  }
  nlohmann::json document;
  try {
    document = nlohmann::json::parse(json);
  } catch (const nlohmann::json::exception&) {
    return 0;  // not JSON: the file reader's own error, tested elsewhere
  }
  try {
    const Tokenizer tokenizer(
        std::make_unique<ordo::tokenizer::hf::HfTokenizer>(document, "tokenizer.json"));
    for (const std::string& text : texts) {
      const Encoding single = tokenizer.encode(text);
      check(single, text.size(), 0);
      check(tokenizer.encode_pair(text, texts[1], 0, ordo::tokenizer::Truncation::longest_first,
                                  false),
            text.size(), texts[1].size());
      tokenizer.decode(single.ids);
    }
  } catch (const ordo::Error&) {
  }
  return 0;
}
