// `ordo tokenize`: text -> token pieces, ids, token types and byte offsets with a model's
// tokenizer (or any tokenizer.json), and ids -> text. No weights are loaded.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "common.h"
#include "ordo/error.h"

namespace ordo::cli {

const char* const kTokenizeHelp = R"(usage: ordo tokenize [options] TEXT...
       ordo tokenize [options] --input FILE      (one text per line; '-' reads stdin)
       ordo tokenize [options] --decode IDS      (comma-separated ids -> text)

Shows how a tokenizer splits text: each token's piece, id and (with --pair) token type, or with
--json the ids, tokens, token types and byte offsets of every input as JSON Lines. Only the
tokenizer is read; texts are not truncated.

tokenizer (one of; default: the bundled sinusoidal model's):
  --model DIR         a model directory, its tokenizer found as every command finds it
                      (tokenizer.json first; see docs/models.md)
  --tokenizer PATH    a tokenizer.json file, or a directory holding tokenizer files

options:
  --input FILE        one text per line ('-': stdin); a trailing CR is dropped. No lines, no
                      output
  --pair              texts taken two by two as (first, second) pairs; with --input, each
                      line is split at its first tab
  --no-special        leave the template's special tokens out ([CLS], [SEP], <s>, ...), as
                      Hugging Face's add_special_tokens=False
  --json              JSON Lines, one object per input in input order: "index", "ids",
                      "tokens", "type_ids", "offsets" ([begin, end) bytes of its own text;
                      [0, 0] for special tokens)
  --decode IDS        ids -> text, special tokens skipped
  --stats             on stderr: inputs, bytes, tokens, and bytes/s and tokens/s of the
                      tokenization itself (load time, reading and printing excluded)
)";

namespace {

struct Input {
  std::string first;
  std::optional<std::string> second;
};

std::vector<std::string> read_texts(const std::string& source) {
  std::ifstream file;
  if (source != "-") {
    file.open(source, std::ios::binary);
    if (!file) throw Error("--input " + source + ": cannot open file");
  }
  std::vector<std::string> lines = read_lines(source == "-" ? std::cin : file, "--input " + source);
  for (std::string& line : lines)
    if (!line.empty() && line.back() == '\r') line.pop_back();
  return lines;
}

std::vector<Input> inputs_from(const Args& args) {
  const bool pair = args.flag("--pair");
  std::vector<Input> inputs;
  if (const auto source = args.value("--input")) {
    if (!args.positional().empty()) throw UsageError("give TEXT arguments or --input, not both");
    const std::vector<std::string> lines = read_texts(*source);
    for (size_t i = 0; i < lines.size(); ++i) {
      if (!pair) {
        inputs.push_back({lines[i], std::nullopt});
        continue;
      }
      const size_t tab = lines[i].find('\t');
      if (tab == std::string::npos)
        throw Error("--input " + *source + " line " + std::to_string(i + 1) +
                    ": --pair needs two texts separated by a tab");
      inputs.push_back({lines[i].substr(0, tab), lines[i].substr(tab + 1)});
    }
    return inputs;
  }
  const auto& texts = args.positional();
  if (texts.empty())
    throw UsageError("no input: give TEXT arguments, --input FILE or --decode IDS");
  if (pair && texts.size() % 2 != 0)
    throw UsageError("--pair takes texts two by two, got " + std::to_string(texts.size()));
  for (size_t i = 0; i < texts.size(); i += pair ? 2 : 1)
    inputs.push_back({texts[i], pair ? std::optional<std::string>(texts[i + 1]) : std::nullopt});
  return inputs;
}

tokenizer::Tokenizer load_tokenizer(const Args& args) {
  const auto model = args.value("--model");
  const auto path = args.value("--tokenizer");
  if (model && path) throw UsageError("give --model or --tokenizer, not both");
  if (path) return tokenizer::Tokenizer::from_path(*path);
  const std::filesystem::path directory =
      model ? std::filesystem::path(*model) : default_model_directory();
  if (!std::filesystem::is_directory(directory))
    throw Error(directory.string() + ": model directory not found");
  if (!tokenizer::has_tokenizer_file(directory)) {
    std::string names;
    for (const std::string& name : tokenizer::tokenizer_file_names())
      names += (names.empty() ? "" : ", ") + name;
    throw Error(directory.string() + ": no tokenizer in this model directory (looked for " + names +
                ")");
  }
  return tokenizer::Tokenizer::from_directory(directory);
}

void print_readable(const tokenizer::Encoding& encoding, bool show_types) {
  // Pieces over ids (over token types), in columns, wrapped at 100 columns.
  constexpr size_t kWidth = 100;
  for (size_t begin = 0; begin < encoding.ids.size();) {
    std::string pieces, ids, types;
    size_t end = begin, used = 0;
    for (; end < encoding.ids.size(); ++end) {
      std::string piece = encoding.tokens[end];
      for (char& c : piece)
        if (c == '\n' || c == '\t' || c == '\r') c = ' ';
      const std::string id = std::to_string(encoding.ids[end]);
      const size_t width = std::max(display_width(piece), id.size()) + 2;
      if (end > begin && used + width > kWidth) break;
      used += width;
      pieces += pad_to(piece, width);
      ids += pad_to(id, width);
      types += pad_to(std::to_string(encoding.token_types[end]), width);
    }
    const auto trimmed = [](std::string row) { return row.erase(row.find_last_not_of(' ') + 1); };
    std::cout << trimmed(pieces) << '\n' << trimmed(ids) << '\n';
    if (show_types) std::cout << trimmed(types) << '\n';
    begin = end;
  }
  std::cout << '\n';
}

}  // namespace

int run_tokenize(const std::vector<std::string>& arguments) {
  const Args args(arguments, {"--pair", "--no-special", "--json", "--stats"},
                  {"--model", "--tokenizer", "--input", "--decode"});
  const tokenizer::Tokenizer tokenizer = load_tokenizer(args);
  const bool json = args.flag("--json");
  if (const auto list = args.value("--decode")) {
    if (!args.positional().empty() || args.value("--input"))
      throw UsageError("--decode takes ids only, no TEXT or --input");
    const std::vector<int32_t> ids = parse_int_list(*list, "--decode");
    const std::string text = tokenizer.decode(ids);
    if (json)
      std::cout << nlohmann::json{{"ids", ids}, {"text", text}}.dump() << '\n';
    else
      std::cout << text << '\n';
    return 0;
  }
  const std::vector<Input> inputs = inputs_from(args);
  const bool special = !args.flag("--no-special");
  std::vector<tokenizer::Encoding> encodings;
  encodings.reserve(inputs.size());
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < inputs.size(); ++i) {
    try {
      const Input& input = inputs[i];
      encodings.push_back(
          input.second
              ? tokenizer.encode_pair(input.first, *input.second, 0,
                                      tokenizer::Truncation::longest_first, special)
              : tokenizer.encode(input.first, 0, tokenizer::Truncation::longest_first, special));
    } catch (const Error& e) {
      const std::string where = args.value("--input") ? "--input line " : "text ";
      throw Error(where + std::to_string(i + 1) + ": " + e.what());
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (size_t i = 0; i < encodings.size(); ++i) {
    const tokenizer::Encoding& encoding = encodings[i];
    if (!json) {
      print_readable(encoding, inputs[i].second.has_value());
      continue;
    }
    nlohmann::ordered_json offsets = nlohmann::ordered_json::array();
    for (size_t k = 0; k < encoding.ids.size(); ++k)
      offsets.push_back({encoding.begin[k], encoding.end[k]});
    const nlohmann::ordered_json line = {{"index", i},
                                         {"ids", encoding.ids},
                                         {"tokens", encoding.tokens},
                                         {"type_ids", encoding.token_types},
                                         {"offsets", offsets}};
    std::cout << line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace)
              << '\n';
  }
  if (args.flag("--stats")) {
    size_t bytes = 0, tokens = 0;
    for (const Input& input : inputs)
      bytes += input.first.size() + (input.second ? input.second->size() : 0);
    for (const auto& encoding : encodings) tokens += encoding.ids.size();
    char line[256];
    std::snprintf(line, sizeof line,
                  "%zu inputs, %zu bytes, %zu tokens in %.3f s: %.2f MB/s, %.0f tokens/s (one "
                  "thread)\n",
                  inputs.size(), bytes, tokens, seconds, seconds > 0 ? bytes / seconds / 1e6 : 0.0,
                  seconds > 0 ? tokens / seconds : 0.0);
    std::cerr << line;
  }
  return 0;
}

}  // namespace ordo::cli
