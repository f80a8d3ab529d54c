#pragma once
// A JSON document read from a file, with typed field access whose errors name the file and
// the field ("config.json: field 'hidden_size' must be a positive integer, got "abc"").
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace ordo::io {

class JsonFile {
 public:
  // Reads and parses `path`; the top level must be an object.
  explicit JsonFile(const std::filesystem::path& path);
  JsonFile(std::string name, nlohmann::json document);

  const std::string& name() const { return name_; }
  const nlohmann::json& document() const { return document_; }
  bool has(const std::string& field) const;

  int64_t integer(const std::string& field) const;
  int64_t integer(const std::string& field, int64_t fallback) const;
  double number(const std::string& field) const;
  double number(const std::string& field, double fallback) const;
  std::string string(const std::string& field) const;
  std::string string(const std::string& field, const std::string& fallback) const;
  bool boolean(const std::string& field, bool fallback) const;

  // An ordo::Error whose message starts with the file and field.
  [[noreturn]] void fail(const std::string& field, const std::string& problem) const;

 private:
  const nlohmann::json& required(const std::string& field) const;

  std::string name_;
  nlohmann::json document_;
};

}  // namespace ordo::io
