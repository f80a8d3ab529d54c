// `ordo heads`: which attention heads look at tokens by position and which by content.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "common.h"
#include "head_analysis.h"
#include "ordo/error.h"
#include "pe_comparison.h"
#include "svg.h"

namespace ordo::cli {

const char* const kHeadsHelp = R"HELP(usage: ordo heads [options] [TEXT...]

Classifies every attention head (layer x head) as positional or content. Each text is run
as written and with its words shuffled. A head that attends by relative position puts its
weight at the same offsets after the shuffle; one that attends by content puts it on the
same tokens wherever they went. For each head:
  previous, self, next   mean attention a token gives the token before it, itself, the one
  first, last            after it, and the frame tokens [CLS] and [SEP]
  by position            overlap (0..1) of the shuffled text's attention with the original
                         moved to the same offsets
  by content             overlap with the original moved with the tokens
  score                  by position - by content: > 0.1 "positional (strongest offset)",
                         < -0.1 "content", else "mixed"; "[CLS]/[SEP]" when first + last
                         exceeds 0.5 (a head that mostly rests on the frame tokens)
Without any positional encoding (--pe none) every head follows content exactly (1.0).

  TEXT...         texts to analyse (default: lines of the bundled models/heldout.txt)
  --text FILE     text, one passage per line
  --sentences N   lines used, among those with three or more words (default 200)
  --seed N        seed of the shuffles (default 12345)
  --model DIR     model directory (default: the bundled sinusoidal model)
  --pe KIND       run the weights under another positional encoding (see ordo pe --help)
  --json          machine-readable report (blocks numbered 1 .. layers, heads 0 .. heads-1,
                  as --layer and --head count them in pair and attention)
  --svg FILE      the layers x heads grid, coloured by score, labelled
  --max-tokens N  tokens per sequence (default: what the model declares; up to its position
                  table, or 4096 for encodings without one)
  --threads N     OpenMP threads
  --check-weights stop with an error if any weight is NaN or Inf (a load-time scan)
)HELP";

namespace {

std::string short_label(const HeadScore& s) {
  std::string label = s.label();
  if (label == "[CLS]/[SEP]") return "frame";
  if (label.rfind("positional", 0) == 0) return "pos " + label.substr(12, label.size() - 13);
  return label;
}

nlohmann::json head_json(const HeadScore& s) {
  return {{"layer", s.layer + 1},
          {"head", s.head},
          {"previous", s.previous},
          {"self", s.self},
          {"next", s.next},
          {"first", s.first},
          {"last", s.last},
          {"follows_position", s.follows_position},
          {"follows_content", s.follows_content},
          {"score", s.score()},
          {"label", s.label()}};
}

}  // namespace

int run_heads(const std::vector<std::string>& arguments) {
  std::set<std::string> options = kModelOptions;
  options.insert({"--max-tokens", "--text", "--sentences", "--seed", "--svg"});
  const Args args(arguments, with_model_flags({"--json"}), options);
  if (args.value("--text") && !args.positional().empty()) {
    throw UsageError("give texts as arguments or --text FILE, not both");
  }
  const int sentences = args.integer("--sentences", 200, 1, 1000000);
  const int seed = args.integer("--seed", 12345, 0, 2147483647);
  std::vector<std::string> text = args.positional();
  std::string source = "the command line";
  if (text.empty()) {
    const std::filesystem::path path =
        args.value("--text").value_or((bundled_models_directory() / "heldout.txt").string());
    std::ifstream file(path, std::ios::binary);
    if (!file) throw Error(path.string() + ": cannot open the text file");
    text = read_lines(file, path.string());
    source = path.string();
  }
  const LoadedEncoder loaded = load_encoder(args);
  const HeadAnalysis analysis =
      analyse_heads(loaded, tokenize_lines(loaded, text), sentences, static_cast<uint64_t>(seed));
  const std::string kind = to_string(loaded.encoder.position_kind());
  const int64_t heads = loaded.encoder.num_heads();

  if (const auto svg = args.value("--svg")) {
    Figure figure{"Attention heads by position or content, " + kind + " (" +
                      loaded.model.directory.filename().string() + ")",
                  "score = overlap after shuffling words when moved by offset - when moved with "
                  "the tokens; blue: positional, red: content"};
    std::vector<std::string> rows, columns, words;
    std::vector<float> values;
    for (int64_t l = 0; l < loaded.encoder.num_layers(); ++l) {
      rows.push_back("block " + std::to_string(l + 1));
    }
    for (int64_t h = 0; h < heads; ++h) columns.push_back("head " + std::to_string(h));
    for (const HeadScore& s : analysis.heads) {
      values.push_back(static_cast<float>(s.score()));
      words.push_back(short_label(s));
    }
    Heatmap grid("layers x heads (" + std::to_string(analysis.sentences) + " texts)", rows, values,
                 true);
    grid.column_labels = columns;
    grid.cell_text = words;
    figure.maps.push_back(std::move(grid));
    write_text_file(*svg, render_svg(figure));
  }
  if (args.flag("--json")) {
    nlohmann::json list = nlohmann::json::array();
    for (const HeadScore& s : analysis.heads) list.push_back(head_json(s));
    std::cout << nlohmann::json{{"model", loaded.model.directory.string()},
                                {"pe", kind},
                                {"text", source},
                                {"sentences", analysis.sentences},
                                {"queries", analysis.queries},
                                {"heads", list}}
                     .dump(1)
              << '\n';
    return 0;
  }
  std::printf("model  %s\npe     %s\ntext   %s: %lld texts, %lld query tokens\n\n",
              loaded.model.directory.c_str(), kind.c_str(), source.c_str(),
              static_cast<long long>(analysis.sentences), static_cast<long long>(analysis.queries));
  std::printf(
      "layer head  previous   self   next  first   last  by position  by content   score"
      "  label\n");
  std::map<std::string, int> counts;
  for (const HeadScore& s : analysis.heads) {
    std::printf("%5lld %4lld  %8.3f %6.3f %6.3f %6.3f %6.3f  %11.3f %11.3f %+7.3f  %s\n",
                static_cast<long long>(s.layer) + 1, static_cast<long long>(s.head), s.previous,
                s.self, s.next, s.first, s.last, s.follows_position, s.follows_content, s.score(),
                s.label().c_str());
    ++counts[s.label().substr(0, s.label().find(' '))];
  }
  std::printf("\n");
  for (const auto& [label, n] : counts) std::printf("%s: %d  ", label.c_str(), n);
  std::printf("\n");
  return 0;
}

}  // namespace ordo::cli
