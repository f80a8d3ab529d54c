// libFuzzer target: the CLI's hand-written argument parser (tools/ordo/args.cpp).
//
// Input: NUL-separated arguments, as argv holds them; the first names the command whose
// declared flags and options are used (mirrored from tools/ordo/cmd_*.cpp). Parsing must end
// in an Args or a UsageError, never anything else, and an accepted parse keeps the grammar:
//   - positionals are, in order, the arguments after "--" and those before it that do not
//     start with '-' (or are "-");
//   - integer() answers within its bounds, real() a finite number within its bounds,
//     parse_int_list() values that print and parse back to themselves.
#include <cmath>
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

std::vector<std::string> expected_positionals(const std::vector<std::string>& arguments,
                                              const CommandSpec& spec) {
  std::vector<std::string> positional;
  bool ended = false;
  for (size_t i = 0; i < arguments.size(); ++i) {
    const std::string& argument = arguments[i];
    if (ended) {
      positional.push_back(argument);
    } else if (argument == "--") {
      ended = true;
    } else if (argument.rfind("--", 0) == 0) {
      const std::string name = argument.substr(0, argument.find('='));
      if (spec.options.count(name) != 0 && name == argument) ++i;  // the next is its value
    } else {
      positional.push_back(argument);  // the parser accepted it, so it is "-" or plain
    }
  }
  return positional;
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
  try {
    const Args args(arguments, spec->flags, spec->options, spec->repeatable);
    FUZZ_CHECK(args.positional() == expected_positionals(arguments, *spec),
               "positional arguments differ from the grammar");
    for (const std::string& flag : spec->flags) {
      if (args.flag(flag)) FUZZ_CHECK(args.values(flag).empty(), "a flag took a value");
    }
    check_values(args, *spec);
  } catch (const UsageError&) {
    // A message naming the argument: the expected outcome for most inputs.
  }
  return 0;
}
