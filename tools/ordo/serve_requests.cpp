#include "serve_requests.h"

#include <cstring>
#include <nlohmann/json.hpp>

#include "base64.h"

namespace ordo::cli {
namespace {

using nlohmann::json;

[[noreturn]] void bad(const std::string& message) {
  throw RequestError(400, "Validation", message);
}

json parse_object(std::string_view body) {
  json document;
  try {
    // The parser also rejects strings that are not valid UTF-8.
    document = json::parse(body.begin(), body.end());
  } catch (const json::exception& e) {
    bad(std::string("the body is not valid JSON: ") + e.what());
  }
  if (!document.is_object()) bad("the body must be a JSON object");
  return document;
}

// Every key of `document` is one of `known`: a misspelt option is an error, not ignored.
void only_known_keys(const json& document, const std::vector<std::string>& known) {
  for (const auto& item : document.items()) {
    bool found = false;
    for (const std::string& key : known) found = found || item.key() == key;
    if (!found) bad("unknown field \"" + item.key() + "\"");
  }
}

std::vector<std::string> texts(const json& document, const char* key, const RequestLimits& limits,
                               bool* single) {
  if (!document.contains(key)) bad(std::string("\"") + key + "\" is missing");
  const json& value = document.at(key);
  std::vector<std::string> out;
  if (value.is_string()) {
    *single = true;
    out.push_back(value.get<std::string>());
  } else if (value.is_array()) {
    *single = false;
    if (value.empty()) bad(std::string("\"") + key + "\" is an empty list");
    if (value.size() > limits.max_inputs) {
      throw RequestError(413, "Validation",
                         std::string("\"") + key + "\" holds " + std::to_string(value.size()) +
                             " texts; this server takes at most " +
                             std::to_string(limits.max_inputs) + " per request (--max-inputs)");
    }
    for (size_t i = 0; i < value.size(); ++i) {
      if (!value[i].is_string()) {
        bad(std::string("\"") + key + "\"[" + std::to_string(i) + "] must be a string, not " +
            value[i].type_name());
      }
      out.push_back(value[i].get<std::string>());
    }
  } else {
    bad(std::string("\"") + key + "\" must be a string or a list of strings, not " +
        value.type_name());
  }
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i].find('\0') != std::string::npos) {
      bad(std::string("\"") + key + "\"[" + std::to_string(i) + "] contains a NUL character");
    }
  }
  return out;
}

bool boolean(const json& document, const char* key, bool fallback) {
  if (!document.contains(key) || document.at(key).is_null()) return fallback;
  if (!document.at(key).is_boolean()) bad(std::string("\"") + key + "\" must be true or false");
  return document.at(key).get<bool>();
}

int64_t integer(const json& document, const char* key, int64_t fallback, int64_t min, int64_t max) {
  if (!document.contains(key) || document.at(key).is_null()) return fallback;
  const json& value = document.at(key);
  if (!value.is_number_integer()) bad(std::string("\"") + key + "\" must be an integer");
  const auto number = value.get<int64_t>();
  if (number < min || number > max) {
    bad(std::string("\"") + key + "\" is " + std::to_string(number) + "; expected " +
        std::to_string(min) + " to " + std::to_string(max));
  }
  return number;
}

std::optional<std::string> string(const json& document, const char* key) {
  if (!document.contains(key) || document.at(key).is_null()) return std::nullopt;
  if (!document.at(key).is_string()) bad(std::string("\"") + key + "\" must be a string");
  return document.at(key).get<std::string>();
}

}  // namespace

EmbedRequest parse_tei_embed(std::string_view body, const RequestLimits& limits) {
  const json document = parse_object(body);
  only_known_keys(document, {"inputs", "normalize", "truncate", "truncation_direction",
                             "prompt_name", "dimensions"});
  EmbedRequest request;
  request.inputs = texts(document, "inputs", limits, &request.single);
  request.normalize = boolean(document, "normalize", true);
  request.truncate = boolean(document, "truncate", false);
  if (const auto direction = string(document, "truncation_direction")) {
    if (*direction != "Right" && *direction != "right") {
      bad("\"truncation_direction\": only \"Right\" is supported");
    }
  }
  request.prompt_name = string(document, "prompt_name");
  request.dimensions = integer(document, "dimensions", 0, 1, limits.hidden);
  return request;
}

EmbedRequest parse_openai_embed(std::string_view body, const RequestLimits& limits,
                                bool normalize) {
  const json document = parse_object(body);
  only_known_keys(document, {"input", "model", "encoding_format", "dimensions", "user"});
  EmbedRequest request;
  if (document.contains("input") && document.at("input").is_array() &&
      !document.at("input").empty() && document.at("input")[0].is_number_integer()) {
    bad("\"input\" as token ids is not supported: send text");
  }
  request.inputs = texts(document, "input", limits, &request.single);
  request.model = string(document, "model").value_or("");
  const std::string format = string(document, "encoding_format").value_or("float");
  if (format != "float" && format != "base64") {
    bad("\"encoding_format\" must be \"float\" or \"base64\", not \"" + format + "\"");
  }
  request.base64 = format == "base64";
  request.dimensions = integer(document, "dimensions", 0, 1, limits.hidden);
  request.normalize = normalize;
  request.truncate = false;
  return request;
}

std::vector<std::string> parse_tokenize(std::string_view body, const RequestLimits& limits) {
  const json document = parse_object(body);
  only_known_keys(document, {"inputs", "add_special_tokens"});
  if (!boolean(document, "add_special_tokens", true)) {
    bad("\"add_special_tokens\": false is not supported");
  }
  bool single = false;
  return texts(document, "inputs", limits, &single);
}

PairRequest parse_pair(std::string_view body) {
  const json document = parse_object(body);
  only_known_keys(document, {"a", "b", "layer", "head"});
  PairRequest request;
  const auto a = string(document, "a"), b = string(document, "b");
  if (!a || !b) bad("\"a\" and \"b\" must both be strings");
  request.a = *a;
  request.b = *b;
  if (request.a.find('\0') != std::string::npos || request.b.find('\0') != std::string::npos) {
    bad("\"a\" and \"b\" must not contain NUL characters");
  }
  // Ranges are the model's: Model::compare names the one at fault.
  request.layer = static_cast<int>(integer(document, "layer", -1, -1, 1 << 20));
  request.head = static_cast<int>(integer(document, "head", -1, -1, 1 << 20));
  return request;
}

std::string base64_floats(const float* values, size_t count) {
  std::string bytes(count * sizeof(float), '\0');
  if (count > 0) std::memcpy(bytes.data(), values, bytes.size());  // x86, aarch64: little-endian
  return base64(bytes);
}

}  // namespace ordo::cli
