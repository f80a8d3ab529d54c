// libFuzzer target: the CLI's hand-written argument parser (tools/ordo/args.cpp).
//
// Input: NUL-separated arguments, as argv holds them; the first names the command whose
// declared flags and options are used (mirrored from tools/ordo/cmd_*.cpp). The parser is
// checked against the grammar written out independently in expected_parse(): it accepts
// exactly what the grammar accepts ("--" ends options; "--name=value" or "--name value";
// flags take no value; only declared options, each once unless repeatable; no "-x"), with the
// same flags, values and positionals. Then integer() answers within its bounds, real() a finite
// number within its bounds, and parse_int_list() values that print and parse back to themselves.
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "args.h"
#include "fuzz_util.h"

namespace {

using ordo::cli::Args;
using ordo::cli::UsageError;

struct CommandSpec {
  const char* name;
  std::set<std::string> flags, options, repeatable;
};

const std::set<std::string> kModel = {"--model", "--pe", "--threads"};

std::set<std::string> with_model(std::set<std::string> options) {
  options.insert(kModel.begin(), kModel.end());
  return options;
}

const std::vector<CommandSpec>& commands() {
  static const std::vector<CommandSpec> specs = {
      {"encode",
       {"--json", "--jsonl", "--normalize", "--check-weights"},
       with_model(
           {"--ids", "--token-types", "--input", "--npy", "--pooling", "--output", "--batch-size"}),
       {"--ids", "--token-types"}},
      {"pair",
       {"--json", "--joint", "--check-weights"},
       with_model({"--layer", "--head", "--pooling", "--svg"}),
       {}},
      {"attention",
       {"--json", "--check-weights"},
       with_model({"--npy", "--svg", "--layer", "--head", "--top"}),
       {}},
      {"pe", {"--json", "--check-weights"}, with_model({"--positions", "--npy", "--svg"}), {}},
      {"fill", {"--json", "--check-weights"}, with_model({"--top-k"}), {}},
      {"bench",
       {"--json", "--check-weights"},
       with_model({"--batch", "--seq", "--seconds", "--min-runs"}),
       {}},
      {"compare-pe",
       {"--json", "--check-weights"},
       {"--text", "--lengths", "--seed", "--sentences", "--positions", "--svg", "--threads"},
       {}},
  };
  return specs;
}

std::vector<std::string> split_arguments(const uint8_t* data, size_t size) {
  std::vector<std::string> arguments(1);
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0) {
      arguments.emplace_back();
    } else {
      arguments.back() += static_cast<char>(data[i]);
    }
  }
  return arguments;
}

// What the parser must make of `arguments`, from the grammar alone; nullopt: a usage error.
struct Expected {
  std::set<std::string> flags;
  std::map<std::string, std::vector<std::string>> values;
  std::vector<std::string> positional;
};

std::optional<Expected> expected_parse(const std::vector<std::string>& arguments,
                                       const CommandSpec& spec) {
  Expected expected;
  bool ended = false;
  for (size_t i = 0; i < arguments.size(); ++i) {
    const std::string& argument = arguments[i];
    const bool dashed = !ended && argument.size() > 1 && argument[0] == '-';
    if (!ended && argument == "--") {
      ended = true;
    } else if (dashed && argument[1] == '-') {
      const size_t equals = argument.find('=');
      const std::string name = argument.substr(0, equals);
      if (spec.flags.count(name) != 0) {
        if (equals != std::string::npos) return std::nullopt;  // a flag takes no value
        expected.flags.insert(name);
      } else if (spec.options.count(name) != 0) {
        std::vector<std::string>& slot = expected.values[name];
        if (!slot.empty() && spec.repeatable.count(name) == 0) return std::nullopt;
        if (equals != std::string::npos) {
          slot.push_back(argument.substr(equals + 1));
        } else if (i + 1 < arguments.size()) {
          slot.push_back(arguments[++i]);  // the next argument, whatever it looks like
        } else {
          return std::nullopt;  // the value is missing
        }
      } else {
        return std::nullopt;  // unknown option
      }
    } else if (dashed) {
      return std::nullopt;  // "-x": no short options
    } else {
      expected.positional.push_back(argument);
    }
  }
  return expected;
}

void check_values(const Args& args, const CommandSpec& spec) {
  for (const std::string& option : spec.options) {
    const auto value = args.value(option);
    if (!value) continue;
    FUZZ_CHECK(args.values(option).back() == *value, "value() is not the last of values()");
    FUZZ_CHECK(spec.repeatable.count(option) != 0 || args.values(option).size() == 1,
               "a non-repeatable option kept several values");
    try {
      const int number = args.integer(option, 7, -5, 4096);
      FUZZ_CHECK(number >= -5 && number <= 4096, "integer() out of its bounds: " + *value);
    } catch (const UsageError&) {
      FUZZ_CHECK(*value != "12" && *value != "-5", "rejected a plain in-range integer");
    }
    try {
      const double number = args.real(option, 0.5, 0.0, 3600.0);
      FUZZ_CHECK(std::isfinite(number) && number >= 0.0 && number <= 3600.0,
                 "real() out of its bounds: " + *value);
    } catch (const UsageError&) {
    }
    try {
      const std::vector<int32_t> list = ordo::cli::parse_int_list(*value, option);
      std::string printed;
      for (int32_t item : list) printed += (printed.empty() ? "" : ",") + std::to_string(item);
      FUZZ_CHECK(ordo::cli::parse_int_list(printed, option) == list, "list does not round-trip");
    } catch (const UsageError&) {
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> arguments = split_arguments(data, size);
  const CommandSpec* spec = &commands().front();
  for (const CommandSpec& candidate : commands()) {
    if (arguments.front() == candidate.name) spec = &candidate;
  }
  arguments.erase(arguments.begin());
  const std::optional<Expected> expected = expected_parse(arguments, *spec);
  try {
    const Args args(arguments, spec->flags, spec->options, spec->repeatable);
    FUZZ_CHECK(expected.has_value(), "accepted arguments the grammar rejects");
    FUZZ_CHECK(args.positional() == expected->positional, "positional arguments differ");
    for (const std::string& flag : spec->flags) {
      FUZZ_CHECK(args.flag(flag) == (expected->flags.count(flag) != 0), "flag " + flag);
    }
    for (const std::string& option : spec->options) {
      const auto found = expected->values.find(option);
      FUZZ_CHECK(args.values(option) ==
                     (found == expected->values.end() ? std::vector<std::string>{} : found->second),
                 "values of " + option);
    }
    check_values(args, *spec);
  } catch (const UsageError& error) {
    FUZZ_CHECK(!expected.has_value(), std::string("rejected valid arguments: ") + error.what());
  }
  return 0;
}
