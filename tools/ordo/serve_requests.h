#pragma once
// The JSON bodies `ordo serve` accepts, parsed and checked before anything is queued: TEI's
// /embed and /tokenize, OpenAI's /v1/embeddings, and /pair. Every fault is a RequestError with
// the HTTP status and error type the server answers with. No HTTP here: the fuzz target
// feeds these functions bytes directly.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ordo::cli {

class RequestError : public std::runtime_error {
 public:
  RequestError(int status, std::string type, const std::string& message)
      : std::runtime_error(message), status_(status), type_(std::move(type)) {}
  int status() const { return status_; }
  const std::string& type() const { return type_; }

 private:
  int status_;
  std::string type_;
};

struct RequestLimits {
  size_t max_inputs = 256;  // texts per request
  int64_t hidden = 0;       // the model's sentence-vector width: the largest `dimensions`
};

struct EmbedRequest {
  std::vector<std::string> inputs;
  bool single = false;     // "inputs" was one string (OpenAI answers the same either way)
  bool normalize = true;   // TEI's default; /v1/embeddings uses the model's setting
  bool truncate = false;   // TEI's default: too long is 422
  bool base64 = false;     // OpenAI's encoding_format "base64"
  int64_t dimensions = 0;  // 0: all
  std::string model;       // OpenAI's "model", echoed
  std::optional<std::string> prompt_name;
};

// POST /embed: {"inputs": str | [str], "normalize": bool, "truncate": bool, "prompt_name": str,
// "dimensions": int}.
EmbedRequest parse_tei_embed(std::string_view body, const RequestLimits& limits);
// POST /v1/embeddings: {"input": str | [str], "model": str, "encoding_format": "float" |
// "base64", "dimensions": int}; `normalize` is the model's own setting.
EmbedRequest parse_openai_embed(std::string_view body, const RequestLimits& limits, bool normalize);
// POST /tokenize: {"inputs": str | [str]}.
std::vector<std::string> parse_tokenize(std::string_view body, const RequestLimits& limits);

struct PairRequest {
  std::string a, b;
  int layer = -1, head = -1;
};
// POST /pair: {"a": str, "b": str, "layer": int, "head": int}.
PairRequest parse_pair(std::string_view body);

// OpenAI's base64 encoding_format: the float32 values' little-endian bytes, base64.
std::string base64_floats(const float* values, size_t count);

}  // namespace ordo::cli
