#include "io/json_file.h"

#include <fstream>
#include <sstream>

#include "ordo/error.h"

namespace ordo::io {

JsonFile::JsonFile(const std::filesystem::path& path) : name_(path.string()) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(name_ + ": cannot open file");
  std::ostringstream text;
  text << in.rdbuf();
  try {
    document_ = nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::exception& e) {
    throw Error(name_ + ": not valid JSON (" + e.what() + ")");
  }
  if (!document_.is_object()) throw Error(name_ + ": the top level must be a JSON object");
}

JsonFile::JsonFile(std::string name, nlohmann::json document)
    : name_(std::move(name)), document_(std::move(document)) {
  if (!document_.is_object()) throw Error(name_ + ": the top level must be a JSON object");
}

bool JsonFile::has(const std::string& field) const {
  return document_.contains(field) && !document_.at(field).is_null();
}

void JsonFile::fail(const std::string& field, const std::string& problem) const {
  throw Error(name_ + ": field '" + field + "' " + problem);
}

const nlohmann::json& JsonFile::required(const std::string& field) const {
  if (!has(field)) fail(field, "is missing");
  return document_.at(field);
}

int64_t JsonFile::integer(const std::string& field) const {
  const nlohmann::json& value = required(field);
  if (value.is_number_unsigned()) {
    if (value.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) fail(field, "is too large");
    return static_cast<int64_t>(value.get<uint64_t>());
  }
  if (!value.is_number_integer()) fail(field, "must be an integer, got " + value.dump());
  return value.get<int64_t>();
}

int64_t JsonFile::integer(const std::string& field, int64_t fallback) const {
  return has(field) ? integer(field) : fallback;
}

double JsonFile::number(const std::string& field) const {
  const nlohmann::json& value = required(field);
  if (!value.is_number()) fail(field, "must be a number, got " + value.dump());
  return value.get<double>();
}

double JsonFile::number(const std::string& field, double fallback) const {
  return has(field) ? number(field) : fallback;
}

std::string JsonFile::string(const std::string& field) const {
  const nlohmann::json& value = required(field);
  if (!value.is_string()) fail(field, "must be a string, got " + value.dump());
  return value.get<std::string>();
}

std::string JsonFile::string(const std::string& field, const std::string& fallback) const {
  return has(field) ? string(field) : fallback;
}

bool JsonFile::boolean(const std::string& field, bool fallback) const {
  if (!has(field)) return fallback;
  const nlohmann::json& value = document_.at(field);
  if (!value.is_boolean()) fail(field, "must be true or false, got " + value.dump());
  return value.get<bool>();
}

}  // namespace ordo::io
