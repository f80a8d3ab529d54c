#include "json_node.h"

#include "ordo/error.h"

namespace ordo::tokenizer::hf {
namespace {

// RFC 6901: '~' and '/' inside a key are written ~0 and ~1.
std::string escape_key(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

const char* type_name(const nlohmann::json& value) {
  return value.type_name();
}

}  // namespace

void JsonNode::fail(const std::string& message) const {
  throw Error(file_ + ": " + (pointer_.empty() ? "/" : pointer_) + ": " + message);
}

void JsonNode::require_object() const {
  if (!value_->is_object()) fail(std::string("expected an object, got ") + type_name(*value_));
}

void JsonNode::require_array() const {
  if (!value_->is_array()) fail(std::string("expected an array, got ") + type_name(*value_));
}

bool JsonNode::has(const char* key) const {
  require_object();
  const auto it = value_->find(key);
  return it != value_->end() && !it->is_null();
}

JsonNode JsonNode::at(const char* key) const {
  require_object();
  const auto it = value_->find(key);
  const std::string pointer = pointer_ + "/" + escape_key(key);
  if (it == value_->end()) JsonNode(*value_, file_, pointer).fail("missing");
  return JsonNode(*it, file_, pointer);
}

JsonNode JsonNode::at_or_null(const char* key) const {
  static const nlohmann::json kNull;
  return has(key) ? at(key) : JsonNode(kNull, file_, pointer_ + "/" + escape_key(key));
}

JsonNode JsonNode::member(const std::string& key, const nlohmann::json& value) const {
  return JsonNode(value, file_, pointer_ + "/" + escape_key(key));
}

JsonNode JsonNode::at(size_t index) const {
  require_array();
  if (index >= value_->size()) fail("index " + std::to_string(index) + " out of range");
  return JsonNode((*value_)[index], file_, pointer_ + "/" + std::to_string(index));
}

size_t JsonNode::size() const {
  require_array();
  return value_->size();
}

std::string JsonNode::type(const char* fallback) const {
  require_object();
  if (!value_->contains("type") && fallback != nullptr) return fallback;
  return at("type").string();
}

std::string JsonNode::string() const {
  if (!value_->is_string()) fail(std::string("expected a string, got ") + type_name(*value_));
  return value_->get<std::string>();
}

bool JsonNode::boolean() const {
  if (!value_->is_boolean()) fail(std::string("expected true or false, got ") + type_name(*value_));
  return value_->get<bool>();
}

int64_t JsonNode::integer(int64_t min, int64_t max) const {
  if (!value_->is_number_integer())
    fail(std::string("expected an integer, got ") + type_name(*value_));
  if (value_->is_number_unsigned() && value_->get<uint64_t>() > static_cast<uint64_t>(max))
    fail("must be between " + std::to_string(min) + " and " + std::to_string(max));
  const int64_t number = value_->get<int64_t>();
  if (number < min || number > max)
    fail("must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
         std::to_string(number));
  return number;
}

double JsonNode::number() const {
  if (!value_->is_number()) fail(std::string("expected a number, got ") + type_name(*value_));
  return value_->get<double>();
}

std::optional<std::string> JsonNode::optional_string(const char* key) const {
  if (!has(key)) return std::nullopt;
  return at(key).string();
}

bool JsonNode::boolean(const char* key, bool fallback) const {
  return has(key) ? at(key).boolean() : fallback;
}

int64_t JsonNode::integer(const char* key, int64_t fallback, int64_t min, int64_t max) const {
  return has(key) ? at(key).integer(min, max) : fallback;
}

}  // namespace ordo::tokenizer::hf
