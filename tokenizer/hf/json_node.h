#pragma once
// A value of tokenizer.json with its JSON Pointer, so that every load error names the field at
// fault: "tokenizer.json: /pre_tokenizer/pretokenizers/1/pattern/Regex: ...".
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace ordo::tokenizer::hf {

class JsonNode {
 public:
  JsonNode(const nlohmann::json& value, std::string file, std::string pointer = "")
      : value_(&value), file_(std::move(file)), pointer_(std::move(pointer)) {}

  const nlohmann::json& value() const { return *value_; }
  const std::string& pointer() const { return pointer_; }
  [[noreturn]] void fail(const std::string& message) const;

  bool is_null() const { return value_->is_null(); }
  bool has(const char* key) const;             // an object with `key` present and not null
  JsonNode at(const char* key) const;          // required: absent is an error naming the field
  JsonNode at_or_null(const char* key) const;  // a null node when absent
  JsonNode at(size_t index) const;
  // A member of this object met while iterating over it (keys may hold any character).
  JsonNode member(const std::string& key, const nlohmann::json& value) const;
  size_t size() const;  // of an array (anything else is an error)
  // The object's "type" string, e.g. "BPE"; `fallback` when absent and not null.
  std::string type(const char* fallback = nullptr) const;

  std::string string() const;
  bool boolean() const;
  int64_t integer(int64_t min, int64_t max) const;
  double number() const;

  std::string string(const char* key) const { return at(key).string(); }
  std::optional<std::string> optional_string(const char* key) const;
  bool boolean(const char* key, bool fallback) const;
  int64_t integer(const char* key, int64_t fallback, int64_t min, int64_t max) const;

  void require_object() const;
  void require_array() const;

 private:
  const nlohmann::json* value_;
  std::string file_;
  std::string pointer_;
};

}  // namespace ordo::tokenizer::hf
