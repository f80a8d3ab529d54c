#include "args.h"

#include <cerrno>
#include <cstdlib>

namespace ordo::cli {

Args::Args(const std::vector<std::string>& arguments, const std::set<std::string>& flags,
           const std::set<std::string>& options, const std::set<std::string>& repeatable) {
  bool options_ended = false;
  for (size_t i = 0; i < arguments.size(); ++i) {
    const std::string& argument = arguments[i];
    if (!options_ended && argument == "--") {  // the rest are texts, even "--help" or "-3 °C"
      options_ended = true;
      continue;
    }
    if (options_ended || argument.size() < 2 || argument.rfind("--", 0) != 0) {
      if (!options_ended && argument.size() > 1 && argument[0] == '-') {
        throw UsageError("unknown option '" + argument +
                         "' (a text that starts with '-' goes after '--')");
      }
      positional_.push_back(argument);
      continue;
    }
    std::string name = argument;
    std::optional<std::string> inline_value;
    if (const auto equals = argument.find('='); equals != std::string::npos) {
      name = argument.substr(0, equals);
      inline_value = argument.substr(equals + 1);
    }
    if (flags.count(name)) {
      if (inline_value) throw UsageError("option '" + name + "' takes no value");
      flags_seen_.insert(name);
    } else if (options.count(name)) {
      if (!inline_value) {
        if (i + 1 >= arguments.size()) throw UsageError("option '" + name + "' needs a value");
        inline_value = arguments[++i];
      }
      auto& slot = values_[name];
      if (!slot.empty() && !repeatable.count(name)) {
        throw UsageError("option '" + name + "' given more than once");
      }
      slot.push_back(*inline_value);
    } else {
      throw UsageError("unknown option '" + name + "'");
    }
  }
}

std::optional<std::string> Args::value(const std::string& name) const {
  const auto found = values_.find(name);
  if (found == values_.end()) return std::nullopt;
  return found->second.back();
}

std::vector<std::string> Args::values(const std::string& name) const {
  const auto found = values_.find(name);
  return found == values_.end() ? std::vector<std::string>{} : found->second;
}

static long long parse_integer(const std::string& text, const std::string& what) {
  if (text.empty()) throw UsageError(what + ": expected an integer, got an empty string");
  char* end = nullptr;
  errno = 0;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (errno == ERANGE || end != text.c_str() + text.size()) {
    throw UsageError(what + ": expected an integer, got '" + text + "'");
  }
  return value;
}

int Args::integer(const std::string& name, int fallback, int min, int max) const {
  const auto text = value(name);
  if (!text) return fallback;
  const long long number = parse_integer(*text, "option '" + name + "'");
  if (number < min || number > max) {
    throw UsageError("option '" + name + "' must be between " + std::to_string(min) + " and " +
                     std::to_string(max) + ", got " + *text);
  }
  return static_cast<int>(number);
}

double Args::real(const std::string& name, double fallback, double min, double max) const {
  const auto text = value(name);
  if (!text) return fallback;
  char* end = nullptr;
  const double number = std::strtod(text->c_str(), &end);
  if (text->empty() || end != text->c_str() + text->size() || !(number >= min && number <= max)) {
    throw UsageError("option '" + name + "' must be a number between " + std::to_string(min) +
                     " and " + std::to_string(max) + ", got '" + *text + "'");
  }
  return number;
}

std::vector<int32_t> parse_int_list(const std::string& text, const std::string& what) {
  std::vector<int32_t> values;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const std::string item =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const long long value = parse_integer(item, what + " item " + std::to_string(values.size()));
    if (value < INT32_MIN || value > INT32_MAX) {
      throw UsageError(what + ": value " + item + " does not fit a 32-bit id");
    }
    values.push_back(static_cast<int32_t>(value));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return values;
}

}  // namespace ordo::cli
