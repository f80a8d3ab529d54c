#pragma once
// Running the built `ordo` binary as a user or a script would, capturing status and output.
#include <sys/wait.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "safetensors_test_util.h"

namespace ordo::test {

struct CliRun {
  int status = -1;
  std::string out, err;
};

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline std::string quote(const std::string& argument) {
  std::string quoted = "'";
  for (char c : argument) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// Runs `command` (its stdout and stderr redirected to `out` and `err` in `scratch`) and collects
// its exit status and output.
inline CliRun run_command(const std::string& command, const ScratchDir& scratch) {
  const int raw = std::system(command.c_str());
  CliRun run;
  run.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  run.out = read_file(scratch.path() / "out");
  run.err = read_file(scratch.path() / "err");
  return run;
}

// Runs `ordo ARGUMENTS` through the shell, with `stdin_text` on its standard input when given
// (otherwise stdin is /dev/null).
inline CliRun ordo(const std::vector<std::string>& arguments,
                   const std::optional<std::string>& stdin_text = std::nullopt) {
  ScratchDir scratch;
  std::string command = quote(ORDO_CLI_PATH);
  for (const auto& argument : arguments) command += " " + quote(argument);
  const auto input = scratch.path() / "in";
  std::ofstream(input, std::ios::binary) << stdin_text.value_or("");
  command += " <" + quote(input.string()) + " >" + quote((scratch.path() / "out").string()) +
             " 2>" + quote((scratch.path() / "err").string());
  return run_command(command, scratch);
}

// Runs `script` with bash, for what needs a shell (pipes, ulimit, redirections to devices);
// $ORDO is the built binary. Status, stdout and stderr are the script's.
inline CliRun shell(const std::string& script) {
  ScratchDir scratch;
  const auto file = scratch.write("script.sh", "ORDO=" + quote(ORDO_CLI_PATH) + "\n" + script);
  const std::string command = "bash " + quote(file.string()) + " </dev/null >" +
                              quote((scratch.path() / "out").string()) + " 2>" +
                              quote((scratch.path() / "err").string());
  return run_command(command, scratch);
}

// A copy of a fixture model directory that a test may damage: edit its config, overwrite
// bytes of a tensor, replace a file.
class ModelCopy {
 public:
  explicit ModelCopy(const std::filesystem::path& source) {
    for (const auto& entry : std::filesystem::directory_iterator(source)) {
      std::filesystem::copy_file(entry.path(), scratch_.path() / entry.path().filename());
    }
  }
  std::string path() const { return scratch_.path().string(); }
  const ScratchDir& scratch() const { return scratch_; }

  void edit_config(const std::function<void(nlohmann::json&)>& change) const {
    nlohmann::json config = nlohmann::json::parse(read_file(scratch_.path() / "config.json"));
    change(config);
    scratch_.write("config.json", config.dump(2));
  }

  // Overwrites element `index` of tensor `name` with the raw bytes of `value` (whose size
  // must be the tensor's element size: float for F32, uint16_t for F16/BF16).
  template <typename T>
  void poke(const std::string& name, int64_t index, T value) const {
    const auto file = scratch_.path() / "model.safetensors";
    std::string bytes = read_file(file);
    uint64_t header_length = 0;
    std::memcpy(&header_length, bytes.data(), sizeof header_length);
    const auto header = nlohmann::json::parse(bytes.substr(8, header_length));
    const uint64_t begin = header.at(name).at("data_offsets").at(0).get<uint64_t>();
    std::memcpy(&bytes[8 + header_length + begin + index * sizeof(T)], &value, sizeof(T));
    scratch_.write("model.safetensors", bytes);
  }

 private:
  ScratchDir scratch_;
};

// The run fails with `status`, says `words` on stderr and prints nothing on stdout.
inline void expect_error(const std::vector<std::string>& arguments, int status,
                         const std::string& words) {
  const CliRun run = ordo(arguments);
  EXPECT_EQ(run.status, status) << run.err;
  EXPECT_TRUE(run.out.empty()) << "stdout on error: " << run.out;
  EXPECT_NE(run.err.find(words), std::string::npos) << run.err;
}

// The header length and data offset of a float32 .npy, and its shape text, e.g. "(2, 3, 32)".
struct NpyFile {
  std::string shape;
  std::vector<float> values;
};

inline NpyFile read_npy(const std::filesystem::path& path) {
  const std::string bytes = read_file(path);
  NpyFile npy;
  if (bytes.size() < 10 || bytes.compare(0, 8, std::string("\x93NUMPY\x01\x00", 8)) != 0) {
    ADD_FAILURE() << path << " is not a version 1.0 .npy";
    return npy;
  }
  const size_t header_length =
      static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
  const std::string header = bytes.substr(10, header_length);
  const size_t open = header.find("'shape': ("), close = header.find(')', open);
  npy.shape = header.substr(open + 9, close - open - 8);
  const size_t data = 10 + header_length;
  npy.values.resize((bytes.size() - data) / sizeof(float));
  std::memcpy(npy.values.data(), bytes.data() + data, npy.values.size() * sizeof(float));
  return npy;
}

}  // namespace ordo::test
