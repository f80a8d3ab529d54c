// libFuzzer target: the request bodies `ordo serve` parses (tools/ordo/serve_requests.cpp).
//
// Input: one byte choosing the endpoint (/embed, /v1/embeddings, /tokenize, /pair), then the
// body. Every body is either accepted or refused with a RequestError (400, 413 or 422) — any
// other exception escapes and libFuzzer reports it. What is accepted keeps the promises the
// server relies on: 1 to max_inputs texts, none holding NUL, each valid UTF-8 (as the JSON
// parser checked), dimensions within 0..hidden. base64_floats decodes back to its bytes.
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "serve_requests.h"

namespace {

using ordo::cli::RequestError;

bool valid_utf8(const std::string& text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    const size_t length = c < 0x80         ? 1
                          : (c >> 5) == 6  ? 2
                          : (c >> 4) == 14 ? 3
                          : (c >> 3) == 30 ? 4
                                           : 0;
    if (length == 0 || i + length > text.size()) return false;
    for (size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return false;
    }
    i += length;
  }
  return true;
}

void check_texts(const std::vector<std::string>& texts, size_t max_inputs) {
  FUZZ_CHECK(!texts.empty() && texts.size() <= max_inputs, "accepted text count out of range");
  for (const std::string& text : texts) {
    FUZZ_CHECK(text.find('\0') == std::string::npos, "accepted a text holding NUL");
    FUZZ_CHECK(valid_utf8(text), "accepted a text that is not UTF-8");
  }
}

std::string decode_base64(const std::string& text) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned bits = 0;
  int count = 0;
  for (char c : text) {
    if (c == '=') break;
    bits = (bits << 6) | static_cast<unsigned>(kAlphabet.find(c));
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xFF);
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  const ordo::cli::RequestLimits limits{8, 128};
  try {
    switch (data[0] % 5) {
      case 0: {
        const auto request = ordo::cli::parse_tei_embed(body, limits);
        check_texts(request.inputs, limits.max_inputs);
        FUZZ_CHECK(request.dimensions >= 0 && request.dimensions <= limits.hidden, "dimensions");
        break;
      }
      case 1: {
        const auto request = ordo::cli::parse_openai_embed(body, limits, true);
        check_texts(request.inputs, limits.max_inputs);
        FUZZ_CHECK(request.dimensions >= 0 && request.dimensions <= limits.hidden, "dimensions");
        break;
      }
      case 2:
        check_texts(ordo::cli::parse_tokenize(body, limits), limits.max_inputs);
        break;
      case 3: {
        const auto request = ordo::cli::parse_pair(body);
        check_texts({request.a, request.b}, 2);
        break;
      }
      default: {
        std::vector<float> values(body.size() / sizeof(float));
        if (!values.empty()) std::memcpy(values.data(), body.data(), values.size() * sizeof(float));
        const std::string encoded = ordo::cli::base64_floats(values.data(), values.size());
        FUZZ_CHECK(encoded.size() % 4 == 0, "base64 length");
        FUZZ_CHECK(decode_base64(encoded) == std::string(body.substr(0, values.size() * 4)),
                   "base64 does not decode to the floats' bytes");
      }
    }
  } catch (const RequestError& error) {
    FUZZ_CHECK(error.status() == 400 || error.status() == 413 || error.status() == 422,
               "unexpected status " + std::to_string(error.status()));
  }
  return 0;
}
