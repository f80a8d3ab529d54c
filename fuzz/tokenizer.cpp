// libFuzzer target: the tokenizer on arbitrary bytes, as users hand it text.
//
// Input: byte 0 picks the call (encode, encode_pair, encode_masked, decode), byte 1 the
// max_length (0: none), byte 2's low bit Truncation::error; the rest is the text (for pairs,
// split at the first 0x1F byte) or, for decode, little-endian int32 ids. The tokenizer is the
// bundled model's (8000 pieces, byte fallback, [MASK]). Properties:
//   - text is rejected exactly when it is not UTF-8 or holds a NUL byte (glibc's iconv is the
//     independent judge of UTF-8), and then with ordo::Error;
//   - an encoding's parallel arrays agree, spans lie inside the text, ids are in the
//     vocabulary, and max_length is respected.
#include <iconv.h>

#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.h"
#include "ordo/error.h"
#include "tokenizer.h"

namespace {

using ordo::tokenizer::Encoding;
using ordo::tokenizer::Tokenizer;
using ordo::tokenizer::Truncation;

const Tokenizer& bundled_tokenizer() {
  static const Tokenizer tokenizer = Tokenizer::from_directory(ORDO_MODELS_DIR "/ordo-sinusoidal");
  return tokenizer;
}

// Well-formed UTF-8 as glibc's converter sees it (Unicode 3.9: no overlongs, no surrogates,
// nothing past U+10FFFF), with no NUL byte.
bool acceptable_text(std::string_view text) {
  if (text.find('\0') != std::string_view::npos) return false;
  static iconv_t converter = iconv_open("UTF-32LE", "UTF-8");
  // NOLINTNEXTLINE(performance-no-int-to-ptr): (iconv_t)-1 is iconv_open's failure value
  FUZZ_CHECK(converter != reinterpret_cast<iconv_t>(-1), "iconv_open");
  iconv(converter, nullptr, nullptr, nullptr, nullptr);
  std::string input(text);
  std::vector<char> output(4 * input.size() + 4);
  char* in = input.data();
  char* out = output.data();
  size_t in_left = input.size(), out_left = output.size();
  return iconv(converter, &in, &in_left, &out, &out_left) != static_cast<size_t>(-1) &&
         in_left == 0;
}

void check_encoding(const Encoding& encoding, const std::string_view texts[2], size_t max_length) {
  const size_t n = encoding.ids.size();
  FUZZ_CHECK(encoding.token_types.size() == n && encoding.tokens.size() == n &&
                 encoding.sequence.size() == n && encoding.begin.size() == n &&
                 encoding.end.size() == n,
             "parallel arrays differ in length");
  if (max_length > 0) FUZZ_CHECK(n <= max_length, "longer than max_length");
  const int32_t vocabulary = bundled_tokenizer().ids().vocab_size();
  for (size_t i = 0; i < n; ++i) {
    FUZZ_CHECK(encoding.ids[i] >= 0 && encoding.ids[i] < vocabulary, "id outside the vocabulary");
    const int which = encoding.sequence[i];
    FUZZ_CHECK(which >= -1 && which <= 1, "sequence index");
    if (which < 0) continue;
    FUZZ_CHECK(encoding.begin[i] <= encoding.end[i] && encoding.end[i] <= texts[which].size(),
               "byte span outside the text");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const Tokenizer& tokenizer = bundled_tokenizer();
  const int call = data[0] % 4;
  const size_t max_length = data[1];
  const Truncation truncation = (data[2] & 1) != 0 ? Truncation::error : Truncation::longest_first;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 3, size - 3);

  if (call == 3) {
    std::vector<int32_t> ids(rest.size() / 4);
    for (size_t i = 0; i < ids.size(); ++i) {
      ids[i] = static_cast<int32_t>(static_cast<uint32_t>(data[3 + 4 * i]) |
                                    static_cast<uint32_t>(data[4 + 4 * i]) << 8 |
                                    static_cast<uint32_t>(data[5 + 4 * i]) << 16 |
                                    static_cast<uint32_t>(data[6 + 4 * i]) << 24);
    }
    tokenizer.decode(ids);  // any id, valid or not: special and unknown ones are skipped
    return 0;
  }
  std::string_view texts[2] = {rest, {}};
  if (call == 1) {
    const size_t separator = rest.find('\x1f');
    texts[0] = rest.substr(0, separator);
    texts[1] =
        separator == std::string_view::npos ? std::string_view() : rest.substr(separator + 1);
  }
  const bool acceptable = acceptable_text(texts[0]) && acceptable_text(texts[1]);
  try {
    const Encoding encoding =
        call == 0   ? tokenizer.encode(texts[0], max_length, truncation)
        : call == 1 ? tokenizer.encode_pair(texts[0], texts[1], max_length, truncation)
                    : tokenizer.encode_masked(texts[0], max_length, truncation);
    FUZZ_CHECK(acceptable, "accepted text that is not UTF-8 or holds a NUL byte");
    check_encoding(encoding, texts, max_length);
  } catch (const ordo::Error& error) {
    const std::string message = error.what();
    const bool too_long = message.find("tokens but the limit is") != std::string::npos;
    FUZZ_CHECK(!acceptable || too_long, "rejected acceptable text: " + message);
    FUZZ_CHECK(!too_long || max_length > 0, "a length error without a limit");
  }
  return 0;
}
