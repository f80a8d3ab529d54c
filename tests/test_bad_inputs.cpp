// The bad-input table (docs/bad-inputs.md), one test per row that no other suite already proves:
// each asserts the message, the CLI's exit status, that nothing reached stdout, and that the
// next ordinary run still works. Model files come from the internet and text from users; none
// of this may crash, hang, allocate what a file merely claims, or answer silently wrong.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <random>

#include "allocation_tracker.h"
#include "cli_test_util.h"
#include "io/safetensors.h"
#include "test_util.h"
#include "tokenizer.h"

namespace ordo::test {
namespace {

// Random weights, a real tokenizer, sinusoidal positions and no length limit of its own.
const std::string kTiny = fixture("tiny_tokenized").string();
// Random weights, a 40-position learned table, no tokenizer.
const std::string kLearned = fixture("learned_gelu").string();
const std::string kBundled = std::string(ORDO_MODELS_DIR) + "/ordo-sinusoidal";
const std::string kBundledLearned = std::string(ORDO_MODELS_DIR) + "/ordo-learned";

bool contains(const std::string& text, const std::string& words) {
  return text.find(words) != std::string::npos;
}

// The run fails with `status`, prints nothing on stdout and says every one of `words`.
void expect_failure(const CliRun& run, int status, const std::vector<std::string>& words) {
  EXPECT_EQ(run.status, status) << run.err;
  EXPECT_TRUE(run.out.empty()) << "stdout on error: " << run.out.substr(0, 200);
  for (const std::string& word : words) EXPECT_TRUE(contains(run.err, word)) << run.err;
}

void expect_works(const std::vector<std::string>& arguments) {
  const CliRun run = ordo(arguments);
  EXPECT_EQ(run.status, 0) << run.err;
  EXPECT_FALSE(run.out.empty());
}

// Loads a model and returns the message of the ordo::Error it must throw.
std::string load_error(const std::filesystem::path& directory, models::LoadOptions options = {}) {
  try {
    models::load_model(directory, options);
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << directory << " loaded; an error was expected";
  return "";
}

std::string lines(int count, const std::string& stem = "line") {
  std::string text;
  for (int i = 0; i < count; ++i) text += stem + " " + std::to_string(i) + " cat\n";
  return text;
}

// ---- Model files ---------------------------------------------------------------------------

TEST(BadInputs, MalformedSafetensorsThroughTheCli) {
  // Every malformed layout is spelled out in test_safetensors.cpp; here: what a user sees.
  ModelCopy truncated(kLearned);
  const std::string bytes = read_file(truncated.path() + "/model.safetensors");
  truncated.scratch().write("model.safetensors", bytes.substr(0, bytes.size() - 9));
  expect_failure(ordo({"encode", "--model", truncated.path(), "--ids", "1,2", "--json"}), 1,
                 {"model.safetensors", "run past the end of the data section", "truncated"});
  ModelCopy huge_header(kLearned);
  huge_header.scratch().write("model.safetensors", le_u64(uint64_t{1} << 60) + bytes.substr(8));
  expect_failure(ordo({"encode", "--model", huge_header.path(), "--ids", "1,2", "--json"}), 1,
                 {"header length 1152921504606846976 exceeds the limit"});
  expect_works({"encode", "--model", kLearned, "--ids", "1,2", "--json"});
}

TEST(BadInputs, NanWeightsAreFoundByCheckWeightsAndNeverReportedAsAnswers) {
  ModelCopy model(kTiny);
  model.poke("bert.encoder.layer.0.attention.self.query.weight", 5, std::nanf(""));
  const std::string tensor = "'bert.encoder.layer.0.attention.self.query.weight'";
  const CliRun checked =
      ordo({"encode", "--model", model.path(), "--check-weights", "--json", "text"});
  expect_failure(checked, 1, {tensor, "non-finite value (nan)", "element [0, 5]"});
  // Without the scan the NaN reaches the output, which is refused rather than printed (as
  // JSON it would have become null).
  expect_failure(ordo({"encode", "--model", model.path(), "--jsonl", "text"}), 1,
                 {"the output (last hidden state) holds", "nan", "--check-weights"});
  // Every command that loads a model takes the flag.
  ScratchDir scratch;
  const auto text = scratch.write("text.txt", "the cat chases the mouse\n");
  const std::vector<std::vector<std::string>> commands = {
      {"pair", "a b", "b a"},
      {"attention", "text"},
      {"pe"},
      {"fill", "a [MASK]"},
      {"bench", "--seconds", "0", "--min-runs", "1"},
      {"compare-pe", model.path(), model.path(), "--text", text.string()}};
  for (std::vector<std::string> arguments : commands) {
    if (arguments[0] != "compare-pe")
      arguments.insert(arguments.begin() + 1, {"--model", model.path()});
    arguments.push_back("--check-weights");
    expect_failure(ordo(arguments), 1, {tensor});
  }
  // compare-pe's accuracies and distances would be noise: refused the same way.
  expect_failure(ordo({"compare-pe", model.path(), model.path(), "--text", text.string()}), 1,
                 {"holds", "nan", "--check-weights"});
  // The library names it the same way; unchecked, it loads (and the CLI refuses the output).
  EXPECT_TRUE(contains(load_error(model.path(), {true}), "non-finite value (nan)"));
  EXPECT_NO_THROW(models::load_model(model.path()));
  expect_works({"encode", "--model", kTiny, "--check-weights", "--json", "text"});
}

TEST(BadInputs, InfInAnF16EmbeddingRowMattersOnlyWhenUsed) {
  ModelCopy model(fixture("learned_gelu_f16"));
  model.poke("embeddings.word_embeddings.weight", 3 * 32, uint16_t{0x7C00});  // +inf, row 3
  expect_failure(
      ordo({"encode", "--model", model.path(), "--check-weights", "--ids", "1,2", "--json"}), 1,
      {"'embeddings.word_embeddings.weight'", "(inf)", "element [3, 0]"});
  expect_works({"encode", "--model", model.path(), "--ids", "1,2", "--json"});  // row 3 unused
  expect_failure(ordo({"encode", "--model", model.path(), "--ids", "1,3", "--json"}), 1,
                 {"the output", "--check-weights"});
}

TEST(BadInputs, ConfigErrorsThroughTheCli) {
  // Each edit of a valid config, and words the message must hold (test_config.cpp covers the
  // library side of each).
  const std::vector<std::pair<std::function<void(nlohmann::json&)>, std::vector<std::string>>>
      cases = {
          {[](auto& c) {
             c["hidden_size"] = 48;
             c["num_attention_heads"] = 4;
           },
           {"'embeddings.word_embeddings.weight' has shape [97, 32]", "requires [97, 48]"}},
          {[](auto& c) { c["num_attention_heads"] = 5; },
           {"config.json", "num_attention_heads", "(5) must divide hidden_size (32)"}},
          {[](auto& c) { c["num_hidden_layers"] = 0; }, {"num_hidden_layers", "got 0"}},
          {[](auto& c) { c["max_position_embeddings"] = int64_t{1} << 50; },
           {"max_position_embeddings", "must be between 1 and 1048576"}},
          {[](auto& c) { c["max_position_embeddings"] = 1 << 20; },
           {"position_embeddings.weight", "[40, 32]", "[1048576, 32]"}},
      };
  for (const auto& [edit, words] : cases) {
    ModelCopy model(kLearned);
    model.edit_config(edit);
    expect_failure(ordo({"encode", "--model", model.path(), "--ids", "1,2", "--json"}), 1, words);
  }
  expect_works({"encode", "--model", kLearned, "--ids", "1,2", "--json"});
}

// A size in a header or a config is a claim; nothing may be allocated on its say-so.
TEST(BadInputs, HugeClaimsAreRejectedBeforeAnythingIsAllocated) {
  ScratchDir scratch;
  const auto file = scratch.write(
      "claims.safetensors",
      safetensors_bytes(R"({"x":{"dtype":"F32","shape":[1073741824,1073741824],)"
                        R"("data_offsets":[0,16]}})",
                        std::string(16, '\0')));  // 2^60 elements claimed, 16 bytes present
  ModelCopy positions(kLearned);
  positions.edit_config([](auto& c) { c["max_position_embeddings"] = 1 << 20; });
  ModelCopy everything(kLearned);
  everything.edit_config([](auto& c) {
    c["vocab_size"] = 1 << 24;
    c["hidden_size"] = 1 << 16;
    c["intermediate_size"] = 1 << 20;
  });
  const AllocationTracker allocations;
  const auto start = std::chrono::steady_clock::now();
  std::string messages;
  try {
    io::SafetensorsFile claims(file);
  } catch (const Error& e) {
    messages += e.what();
  }
  messages += load_error(positions.path());
  messages += load_error(everything.path());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(contains(messages, "of F32 needs 4611686018427387904")) << messages;
  EXPECT_TRUE(contains(messages, "[1048576, 32]")) << messages;
  EXPECT_TRUE(contains(messages, "[16777216, 65536]")) << messages;
  EXPECT_LT(allocations.largest(), size_t{1} << 20) << "bytes in one allocation";
  EXPECT_LT(seconds, 5.0);
}

// ---- Tokenizers ----------------------------------------------------------------------------

TEST(BadInputs, ModelDirectoryWithoutATokenizer) {
  expect_failure(ordo({"encode", "--model", kLearned, "--json", "some text"}), 1,
                 {kLearned, "no tokenizer in this model directory", "pass token ids instead"});
  expect_works({"encode", "--model", kLearned, "--ids", "5,6", "--json"});
}

TEST(BadInputs, TokenizerFileThatIsNotSentencePiece) {
  const std::string real = read_file(kTiny + "/tokenizer.model");
  for (const std::string& bytes :
       {std::string("this is not a SentencePiece model"), std::string(), real.substr(0, 1000)}) {
    ModelCopy model(kTiny);
    model.scratch().write("tokenizer.model", bytes);
    expect_failure(ordo({"encode", "--model", model.path(), "--json", "text"}), 1,
                   {"tokenizer.model: not a SentencePiece model"});
  }
  expect_works({"encode", "--model", kTiny, "--json", "text"});
}

TEST(BadInputs, InvalidUtf8AndNulBytesOnStdin) {
  // (argv cannot carry a NUL; CliPair.Errors covers invalid UTF-8 in an argument.)
  const std::vector<std::string> encode = {"encode", "--model", kTiny, "--input", "-", "--jsonl"};
  CliRun run = ordo(encode, std::string("good\nbad\xff here\nthird\n"));
  expect_failure(run, 1, {"--input line 2", "not valid UTF-8", "0xff", "byte offset 3"});
  run = ordo(encode, std::string("a\0b\n", 4));
  expect_failure(run, 1, {"--input line 1", "NUL byte at byte offset 1"});
  run = ordo(encode, std::string("\xed\xa0\x80\n"));  // a UTF-16 surrogate in UTF-8 clothing
  expect_failure(run, 1, {"--input line 1", "not valid UTF-8", "0xed"});
  run = ordo(encode, "good\n");
  EXPECT_EQ(run.status, 0) << run.err;
}

TEST(BadInputs, EmptyTextIsTheTemplateAlone) {
  const CliRun run = ordo({"encode", "--model", kTiny, "--json", ""});
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(nlohmann::json::parse(run.out)["tokens"],
            nlohmann::json::parse(R"([["[CLS]", "[SEP]"]])"));
  const CliRun pair = ordo({"pair", "--model", kTiny, "--json", "", ""});
  ASSERT_EQ(pair.status, 0) << pair.err;
  EXPECT_TRUE(contains(nlohmann::json::parse(pair.out)["verdict"].get<std::string>(),
                       "the same token sequence"));
  expect_failure(ordo({"fill", "--model", kTiny, ""}), 2, {"no mask token"});
  const CliRun blank_line = ordo({"encode", "--model", kTiny, "--input", "-", "--jsonl"}, "\n");
  ASSERT_EQ(blank_line.status, 0) << blank_line.err;
  EXPECT_EQ(nlohmann::json::parse(blank_line.out)["tokens"].size(), 2u);
}

TEST(BadInputs, MegabyteOfTextIsTruncatedOrRefusedByName) {
  std::string megabyte;
  while (megabyte.size() < (1u << 20)) megabyte += "the cat chases the mouse 猫追老鼠 ";
  ScratchDir scratch;
  const auto file = scratch.write("megabyte.txt", megabyte + "\n");
  // A model with a limit (the bundled learned twin: a table of 128 positions) truncates, with a
  // warning.
  CliRun run = ordo({"encode", "--model", kBundledLearned, "--input", file.string(), "--jsonl"});
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_TRUE(contains(run.err,
                       "1 of 1 inputs were truncated to the 128 tokens the model accepts "
                       "(--input line 1)"))
      << run.err;
  EXPECT_EQ(nlohmann::json::parse(run.out)["ids"].size(), 128u);
  // Without one, the text would be ~400 000 tokens: refused by name, not std::bad_alloc.
  const auto start = std::chrono::steady_clock::now();
  run = ordo({"encode", "--model", kTiny, "--input", file.string(), "--jsonl"});
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  expect_failure(run, 1, {"--input line 1 has", "more than the 4096 per sequence"});
  EXPECT_LT(seconds, 120.0) << "a hang guard, not a benchmark";
  // The same limit for ids, and for the lengths other commands take.
  std::string ids = "5";
  for (int i = 1; i < 5000; ++i) ids += ",5";
  expect_failure(ordo({"encode", "--model", kTiny, "--ids", ids, "--json"}), 1,
                 {"--ids list 1 has 5000 tokens", "4096"});
  expect_failure(ordo({"bench", "--model", kTiny, "--seq", "5000"}), 2, {"--seq", "4096"});
  expect_failure(ordo({"compare-pe", "--lengths", "128,5000"}), 2, {"--lengths", "4096"});
}

// A line has at most 16 MiB: /dev/zero (or a binary file) is refused by name instead of
// growing one line until memory runs out.
TEST(BadInputs, EndlessInputLineIsRefusedByName) {
  expect_failure(ordo({"encode", "--model", kTiny, "--input", "/dev/zero", "--jsonl"}), 1,
                 {"--input /dev/zero: line 1 is longer than 16 MiB"});
  expect_failure(ordo({"compare-pe", kTiny, kTiny, "--text", "/dev/zero"}), 1,
                 {"/dev/zero: line 1 is longer than 16 MiB"});
}

// A file of long lines: one warning that counts them and names the first few, not one per line.
TEST(BadInputs, ManyTruncatedLinesGiveOneWarning) {
  std::string text;
  for (int line = 0; line < 30; ++line) {
    for (int i = 0; i < 200; ++i) text += "word" + std::to_string(i) + " ";
    text += line == 3 ? "\nshort\n" : "\n";
  }
  ScratchDir scratch;
  const auto file = scratch.write("long.txt", text);
  const CliRun run = ordo({"encode", "--model", kBundledLearned, "--input", file.string(),
                           "--jsonl", "--output", "pooled"});
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
  EXPECT_TRUE(contains(run.err, "30 of 31 inputs were truncated")) << run.err;
  EXPECT_TRUE(contains(run.err, "(--input lines 1, 2, 3, 4, 6, ...)")) << run.err;
}

TEST(BadInputs, TextLongerThanTheLearnedTableIsTruncatedWithAWarning) {
  std::string text;
  for (int i = 0; i < 300; ++i) text += "word" + std::to_string(i) + " ";
  const CliRun run = ordo({"encode", "--model", kBundledLearned, "--jsonl", text});
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_TRUE(contains(run.err,
                       "1 of 1 inputs were truncated to the 128 tokens the model accepts "
                       "(text 1)"))
      << run.err;
  EXPECT_EQ(nlohmann::json::parse(run.out)["ids"].size(), 128u);
}

// Pathological tokenizer inputs (long runs with no space, stacked combining marks, emoji
// sequences, nothing but mask tokens) finish in bounded time, linear in the input.
TEST(BadInputs, PathologicalTokenizerInputsFinishInBoundedTime) {
  const auto tokenizer = tokenizer::Tokenizer::from_directory(kBundled);
  std::mt19937 generator(7);
  std::string random_text;
  while (random_text.size() < (1u << 20)) {
    const uint32_t code = 0x20 + generator() % 0x2FF00;
    if (code >= 0xD800 && code < 0xE000) continue;
    if (code < 0x80) {
      random_text += static_cast<char>(code);
    } else if (code < 0x800) {
      random_text += static_cast<char>(0xC0 | code >> 6);
      random_text += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      random_text += static_cast<char>(0xE0 | code >> 12);
      random_text += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      random_text += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      random_text += static_cast<char>(0xF0 | code >> 18);
      random_text += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
      random_text += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      random_text += static_cast<char>(0x80 | (code & 0x3F));
    }
  }
  std::string combining = "e", emoji, masks;
  while (combining.size() < (1u << 20)) combining += "\xcc\x81";  // U+0301 on one base letter
  while (emoji.size() < (1u << 20)) emoji += "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9 ";
  while (masks.size() < (1u << 20)) masks += "[MASK]";
  const std::vector<std::pair<std::string, std::string>> inputs = {
      {"one 1 MB word", std::string(1u << 20, 'a')},
      {"combining marks", combining},
      {"ZWJ emoji", emoji},
      {"random code points", random_text},
      {"mask tokens", masks}};
  for (const auto& [name, text] : inputs) {
    const auto start = std::chrono::steady_clock::now();
    const auto encoding =
        name == "mask tokens" ? tokenizer.encode_masked(text, 128) : tokenizer.encode(text, 128);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(encoding.ids.size(), 128u) << name;
    EXPECT_GT(encoding.truncated, 0u) << name;
    EXPECT_LT(seconds, 60.0) << name << ": a hang guard, not a benchmark";
  }
}

// ---- Command line --------------------------------------------------------------------------

TEST(BadInputs, AbsurdThreadCounts) {
  // Cli.UsageErrorsExitTwo covers 0 and 99999999999.
  for (const std::string threads : {"-1", "1025", "two", "", "1.5", "0x4", "4 "}) {
    expect_failure(ordo({"encode", "--model", kTiny, "--threads", threads, "--json", "x"}), 2,
                   {"option '--threads'"});
  }
  // The largest accepted value works, and agrees with one thread to float rounding.
  const CliRun many = ordo({"encode", "--model", kTiny, "--threads", "1024", "--json", "x y z"});
  const CliRun one = ordo({"encode", "--model", kTiny, "--threads", "1", "--json", "x y z"});
  ASSERT_EQ(many.status, 0) << many.err;
  ASSERT_EQ(one.status, 0) << one.err;
  const auto a = nlohmann::json::parse(many.out)["pooled"][0];
  const auto b = nlohmann::json::parse(one.out)["pooled"][0];
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i].get<double>(), b[i].get<double>(), 1e-5);
}

TEST(BadInputs, DoubleDashEndsOptions) {
  const CliRun run = ordo({"encode", "--model", kTiny, "--json", "--", "--help", "-3 degrees"});
  ASSERT_EQ(run.status, 0) << run.err;
  const auto tokens = nlohmann::json::parse(run.out)["tokens"];
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[1][2], "-");
  expect_failure(ordo({"encode", "--model", kTiny, "--json", "-3 degrees"}), 2,
                 {"unknown option '-3 degrees'", "after '--'"});
}

// ---- Output --------------------------------------------------------------------------------

// Root ignores file permissions, so these use failures that hold for every user: a path under
// a regular file, a directory, an empty path, a device that is always full.
TEST(BadInputs, UnwritableOutputPaths) {
  ScratchDir scratch;
  const auto regular = scratch.write("regular", "x");
  struct Case {
    std::string path, words;
  };
  const std::vector<Case> cases = {{(regular / "out").string(), "Not a directory"},
                                   {scratch.path().string(), "Is a directory"},
                                   {"", "the path is empty"},
                                   {"/dev/full", "No space left on device"}};
  for (const Case& c : cases) {
    const std::vector<std::vector<std::string>> commands = {
        {"encode", "--model", kTiny, "--npy", c.path, "text"},
        {"attention", "--model", kTiny, "--npy", c.path, "text"},
        {"attention", "--model", kTiny, "--svg", c.path, "text"},
        {"pair", "--model", kTiny, "--svg", c.path, "a b", "b a"},
        {"pe", "--model", kTiny, "--npy", c.path}};
    for (const auto& arguments : commands) {
      expect_failure(ordo(arguments), 1, {c.words});
    }
  }
  // The device is still a device (no temporary file is renamed over it), and nothing was left
  // behind.
  struct stat status {};
  ASSERT_EQ(::stat("/dev/full", &status), 0);
  EXPECT_TRUE(S_ISCHR(status.st_mode));
  EXPECT_FALSE(std::filesystem::exists("/dev/full.partial"));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(scratch.path()),
                          std::filesystem::directory_iterator()),
            1);
  // A device that can be written is written in place: .npy to a pipe.
  const CliRun piped = shell("\"$ORDO\" encode --model '" + kTiny +
                             "' --npy /dev/stdout text | head -c 6 | od -An -c");
  EXPECT_EQ(piped.status, 0) << piped.err;
  EXPECT_TRUE(contains(piped.out, "N   U   M   P   Y")) << piped.out;
}

TEST(BadInputs, FailedWritesToStdoutAreErrors) {
  const std::vector<std::string> commands = {"encode --model '" + kTiny + "' --json text",
                                             "encode --model '" + kTiny + "' --jsonl text",
                                             "pair --model '" + kTiny + "' 'a b' 'b a'",
                                             "pair --model '" + kTiny + "' --json 'a b' 'b a'",
                                             "attention --model '" + kTiny + "' text",
                                             "pe --model '" + kTiny + "'",
                                             "fill --model '" + kTiny + "' 'a [MASK]'",
                                             "--help",
                                             "encode --help"};
  for (const std::string& command : commands) {
    const CliRun run = shell("\"$ORDO\" " + command + " >/dev/full");
    EXPECT_EQ(run.status, 1) << command << "\n" << run.err;
    EXPECT_TRUE(contains(run.err, "cannot write to standard output (No space left on device)"))
        << command << "\n"
        << run.err;
  }
}

// The disk fills up halfway through a streamed .npy: an error naming the file and the reason,
// and no truncated file under the final name. A 64 KiB tmpfs when this user may mount one
// (root in CI), else a file-size limit, which fails the same write() the same way.
TEST(BadInputs, FullDiskLeavesNoHalfWrittenNpy) {
  ScratchDir scratch;
  const auto disk = scratch.path() / "disk";
  std::filesystem::create_directory(disk);
  struct Mount {
    const std::filesystem::path& where;
    bool mounted = ::mount("tmpfs", where.c_str(), "tmpfs", 0, "size=64k") == 0;
    ~Mount() {
      if (mounted) ::umount(where.c_str());
    }
  } tmpfs{disk};
  const bool mounted = tmpfs.mounted;
  RecordProperty("medium", mounted ? "64 KiB tmpfs" : "ulimit -f 64");
  const auto input = scratch.write("lines.txt", lines(2000));  // 2000 x 32 floats: 256 KB
  const std::string out = (disk / "vectors.npy").string();
  const std::string limit = mounted ? "" : "ulimit -f 64; ";
  const CliRun run = shell(limit + "\"$ORDO\" encode --model '" + kTiny + "' --input '" +
                           input.string() + "' --output pooled --npy '" + out + "'");
  expect_failure(run, 1, {out, mounted ? "No space left on device" : "File too large"});
  EXPECT_TRUE(std::filesystem::is_empty(disk)) << "a partial file was left behind";
  // The disk still takes a file that fits.
  const CliRun small = shell(limit + "\"$ORDO\" encode --model '" + kTiny +
                             "' --output pooled --npy '" + out + "' 'one line'");
  EXPECT_EQ(small.status, 0) << small.err;
  EXPECT_EQ(read_npy(out).shape, "(1, 32)");
}

TEST(BadInputs, FileSizeLimitIsAnErrorNotAKill) {
  ScratchDir scratch;
  const auto input = scratch.write("lines.txt", lines(2000));
  const std::string out = (scratch.path() / "out.npy").string();
  const CliRun run = shell("ulimit -f 16; \"$ORDO\" encode --model '" + kTiny + "' --input '" +
                           input.string() + "' --npy '" + out + "'");
  expect_failure(run, 1, {out, "cannot write (File too large)"});  // not killed by SIGXFSZ
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_FALSE(std::filesystem::exists(out + ".partial"));
}

// `ordo encode ... | head -1`: when the reader leaves, ordo ends at its next write, quietly,
// killed by SIGPIPE like any Unix filter (status 141 in the shell). If SIGPIPE is ignored, the
// failed write is an error naming the reason, and ordo stops there rather than encode the rest.
TEST(BadInputs, ClosedStdoutEndsTheRunQuietly) {
  ScratchDir scratch;
  const auto input = scratch.write("lines.txt", lines(20000));
  const std::string encode = "\"$ORDO\" encode --model '" + kTiny + "' --input '" + input.string() +
                             "' --jsonl 2>'" + (scratch.path() / "err").string() + "'";
  const std::string report =
      "; echo \"status ${PIPESTATUS[0]}\"; cat '" + (scratch.path() / "err").string() + "' >&2";
  // env sets SIGPIPE's disposition for ordo whatever the test runner's was.
  CliRun run = shell("env --default-signal=PIPE " + encode + " | head -1" + report);
  ASSERT_EQ(run.status, 0);
  EXPECT_TRUE(contains(run.out, "\nstatus 141\n")) << run.out.substr(run.out.size() - 100);
  EXPECT_TRUE(run.err.empty()) << run.err;
  EXPECT_EQ(nlohmann::json::parse(run.out.substr(0, run.out.find('\n')))["index"], 0);

  run = shell("env --ignore-signal=PIPE " + encode + " | head -1 >/dev/null" + report);
  EXPECT_TRUE(contains(run.out, "status 1")) << run.out;
  EXPECT_EQ(run.err, "ordo encode: error: cannot write to standard output (Broken pipe)\n");
}

}  // namespace
}  // namespace ordo::test
