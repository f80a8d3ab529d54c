#pragma once
// A small, strict command-line parser: every option is declared, unknown ones are errors,
// and every error is a UsageError (exit status 2) naming the argument at fault.
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace ordo::cli {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Args {
 public:
  // `flags` take no value; `options` take one (and may repeat if `repeatable` lists them).
  Args(const std::vector<std::string>& arguments, const std::set<std::string>& flags,
       const std::set<std::string>& options, const std::set<std::string>& repeatable = {});

  bool flag(const std::string& name) const { return flags_seen_.count(name) != 0; }
  std::optional<std::string> value(const std::string& name) const;
  std::vector<std::string> values(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }

  int integer(const std::string& name, int fallback, int min, int max) const;
  double real(const std::string& name, double fallback, double min, double max) const;

 private:
  std::set<std::string> flags_seen_;
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positional_;
};

// "5,17,42" -> {5, 17, 42}; `what` names the argument in errors.
std::vector<int32_t> parse_int_list(const std::string& text, const std::string& what);

}  // namespace ordo::cli
