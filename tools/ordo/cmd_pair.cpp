// `ordo pair "A" "B"`: the signature command. Encodes two sentences and shows how far each
// token they share moved between them — in its vector and in its attention row. Without a
// positional encoding and with B a permutation of A nothing moves (self-attention is
// permutation-equivariant); with one, word order shows.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "common.h"
#include "html_report.h"
#include "ordo/error.h"
#include "pair_analysis.h"
#include "svg.h"

namespace ordo::cli {

const char* const kPairHelp = R"(usage: ordo pair [options] "SENTENCE A" "SENTENCE B"

Encodes A and B and reports the cosine similarity of their sentence vectors and, for every
token they share (same piece, matched in order of occurrence), how far its vector and its
attention row moved between A and B. Try a sentence and a reordering of it, with and without
--pe none.

  --model DIR     model directory (default: the bundled sinusoidal model)
  --pe KIND       run under another positional encoding: none | sinusoidal |
                  sinusoidal-blocked | learned (on the input), rotary | alibi | relative_key |
                  relative_key_query | relative_bias (inside attention)
  --dtype TYPE    f32 (default), bf16 (AVX512-BF16/AMX CPUs) or int8: the projections in a
                  faster, approximate number type
  --layer N       hidden states after block N (0 = embeddings; default: the last block);
                  attention from block N (block 1 when N is 0)
  --head H        attention head 0 .. heads-1 for the attention drift (default: the mean)
  --pooling KIND  cls | mean | max | mean_sqrt_len | pooler for the sentence vectors (default: the
                  model's declared pooling, else mean)
  --max-tokens N  tokens per sequence (default: what the model declares; up to its position
                  table, or 4096 for encodings without one)
  --threads N     OpenMP threads
  --check-weights stop with an error if any weight is NaN or Inf (a load-time scan)
  --svg FILE      draw A's and B's attention maps (layer --layer, head --head or the mean)
                  side by side, labelled with the tokens, and each shared token's drift
  --scale HOW     colours of the maps: shared (default: the darkest is the largest value in
                  any map drawn), own (each map its own largest: most contrast) or fixed
                  (the darkest is probability 1)
  --html FILE     one self-contained page to open and share: the model, both token lists,
                  the drift table (hover a row for its details), the verdict and the picture
                  of --svg (hover a cell for its value, in maps of up to 64 x 64 tokens);
                  not with --joint
  --align HOW     id (default): shared tokens are the same piece; surface: the same text
                  without the word-boundary marker (so ▁我 and 我 match)
  --joint         encode A and B as one pair input ([CLS] A [SEP] B [SEP] with token types,
                  as a cross-encoder reads them) and compare each shared token's occurrence
                  in A with its occurrence in B; reports the cross-attention between them
  --prompt NAME   prepend the prompt NAME of config_sentence_transformers.json to A and B
                  (default: its default_prompt_name); not with --joint
  --no-prompt     no prompt, even where the model declares a default
  --json          machine-readable output: "cosine" (the two sentence vectors),
                  "shared_tokens" ([{"token", "cosine", "l2", "attention_cosine",
                  "attention_l2", "index_a", "index_b"}]), "verdict", ...
)";

namespace {

std::string which_attention(int64_t layer, int64_t head) {
  return "block " + std::to_string(std::max<int64_t>(layer, 1)) + ", " +
         (head < 0 ? std::string("mean over heads") : "head " + std::to_string(head));
}

std::vector<Bar> drift_bars(const std::vector<TokenDrift>& drift,
                            const std::vector<std::string>& tokens) {
  std::vector<Bar> bars;
  bars.reserve(drift.size());
  for (const auto& d : drift) bars.push_back({tokens[d.match.a], d.l2});
  return bars;
}

nlohmann::json shared_tokens_json(const std::vector<TokenDrift>& drift,
                                  const std::vector<std::string>& tokens) {
  nlohmann::json shared = nlohmann::json::array();
  for (const auto& d : drift) {
    shared.push_back({{"token", tokens[d.match.a]},
                      {"index_a", d.match.a},
                      {"index_b", d.match.b},
                      {"cosine", d.cosine},
                      {"l2", d.l2},
                      {"attention_cosine", d.attention_cosine},
                      {"attention_l2", d.attention_l2}});
  }
  return shared;
}

std::string format_number(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

std::string join(const std::vector<std::string>& tokens) {
  std::string line;
  for (const auto& token : tokens) line += (line.empty() ? "" : " ") + token;
  return line;
}

void print_drift_table(const std::vector<TokenDrift>& drift,
                       const std::vector<std::string>& tokens) {
  std::printf("  %-12s %4s %4s  %9s %9s  %9s %9s\n", "token", "in A", "in B", "cosine", "L2",
              "att.cos", "att.L2");
  for (const auto& d : drift) {
    std::printf("  %s %4zu %4zu  %9.4f %9.4f  %9.4f %9.4f\n", pad_to(tokens[d.match.a], 12).c_str(),
                d.match.a, d.match.b, d.cosine, d.l2, d.attention_cosine, d.attention_l2);
  }
}

struct PairSettings {
  int layer = 0, head = -1;
  ForwardOptions forward;
  bool align_surface = false;  // --align surface
};

int run_separate(const Args& args, const LoadedEncoder& loaded, const PairSettings& settings) {
  const int layer = settings.layer, head = settings.head;
  const models::Prompt prompt = chosen_prompt(args, loaded.model, false);
  const auto a = tokenize(loaded, prompt.text + args.positional()[0], "sentence A");
  const auto b = tokenize(loaded, prompt.text + args.positional()[1], "sentence B");
  const EncoderOutput output =
      loaded.encoder.forward({{a.ids, b.ids}, {a.token_types, b.token_types}}, settings.forward);
  require_finite(output);
  const PairAnalysis analysis =
      analyse_pair(loaded.encoder, a, b, output, layer, head, settings.align_surface);
  const int64_t hidden = loaded.encoder.hidden_size();
  const double sentence_cosine = analysis.sentence_cosine;
  const auto& drift = analysis.drift;
  const double max_drift = analysis.max_drift;
  const bool permutation = analysis.permutation, marker_only = analysis.marker_only;
  const std::string& marker_note = analysis.marker_note;
  const std::string& conclusion = analysis.verdict;

  const auto picture = [&] {
    Figure figure{"Attention, " + which_attention(layer, head), conclusion};
    figure.maps = {{"A", a.tokens, attention_matrix(output, 0, layer, head)},
                   {"B", b.tokens, attention_matrix(output, 1, layer, head)}};
    figure.colour_scale = colour_scale_option(args);
    figure.bar_charts.push_back({"Drift of each shared token's vector between A and B at layer " +
                                     std::to_string(layer) + " (L2)",
                                 drift_bars(drift, a.tokens)});
    return render_svg(figure);
  };
  if (const auto svg = args.value("--svg")) write_text_file(*svg, picture());
  if (const auto html = args.value("--html")) {
    HtmlReport report;
    report.title = "ordo pair: " + args.positional()[0] + " / " + args.positional()[1];
    report.facts = {
        {"model", loaded.model.directory.string()},
        {"positional encoding", to_string(loaded.encoder.position_kind())},
        {"A", join(a.tokens)},
        {"B", join(b.tokens)},
        {"sentence cosine", format_number(sentence_cosine, 4) + " (" +
                                to_string(settings.forward.pooling) + " pooling, last layer)"},
        {"B a permutation of A", permutation ? "yes" : "no"}};
    HtmlTable table{"Shared tokens at layer " + std::to_string(layer) +
                        ": drift of the token's vector and of its attention row (" +
                        which_attention(layer, head) + ")",
                    {"token", "in A", "in B", "cosine", "L2", "attention cosine", "attention L2"},
                    {},
                    {}};
    for (const auto& d : drift) {
      const std::string& token = a.tokens[d.match.a];
      table.rows.push_back({token, std::to_string(d.match.a), std::to_string(d.match.b),
                            format_number(d.cosine, 4), format_number(d.l2, 4),
                            format_number(d.attention_cosine, 4),
                            format_number(d.attention_l2, 4)});
      table.row_titles.push_back(token + ": position " + std::to_string(d.match.a) + " in A, " +
                                 std::to_string(d.match.b) + " in B; L2 drift " +
                                 format_number(d.l2, 6));
    }
    report.tables.push_back(std::move(table));
    report.conclusion = conclusion + (marker_only ? " " + marker_note : std::string());
    report.svg = picture();
    report.figure_caption =
        "Attention maps of A and B (rows are queries) and each shared token's drift. Without a "
        "positional encoding, a reordering gives the same rows in another order and zero drift.";
    write_text_file(*html, render_html(report));
  }
  if (args.flag("--json")) {
    const nlohmann::json document = {
        {"model", loaded.model.directory.string()},
        {"pe", to_string(loaded.encoder.position_kind())},
        {"mode", "separate"},
        {"layer", layer},
        {"attention_block", std::max(layer, 1)},
        {"head", head < 0 ? nlohmann::json("mean") : nlohmann::json(head)},
        {"pooling", to_string(settings.forward.pooling)},
        {"prompt", prompt.name.empty() ? nlohmann::json() : nlohmann::json(prompt.name)},
        {"a", {{"text", args.positional()[0]}, {"tokens", a.tokens}, {"ids", a.ids}}},
        {"b", {{"text", args.positional()[1]}, {"tokens", b.tokens}, {"ids", b.ids}}},
        {"cosine", sentence_cosine},
        {"shared_tokens", shared_tokens_json(drift, a.tokens)},
        {"permutation", permutation},
        {"permutation_up_to_word_marker", permutation || marker_only},
        {"align", settings.align_surface ? "surface" : "id"},
        {"max_drift_l2", max_drift},
        {"verdict", conclusion}};
    std::cout << document.dump(2) << '\n';
    return 0;
  }
  std::printf("model  %s  (pe %s, %lld layers, hidden %lld)\n", loaded.model.directory.c_str(),
              to_string(loaded.encoder.position_kind()),
              static_cast<long long>(loaded.encoder.num_layers()), static_cast<long long>(hidden));
  std::printf("A      %s\nB      %s\n", join(a.tokens).c_str(), join(b.tokens).c_str());
  std::printf("sentence cosine (%s pooling, last layer): %.4f\n\n",
              to_string(settings.forward.pooling), sentence_cosine);
  std::printf(
      "shared tokens at layer %d: drift of the token's vector and of its attention row (%s)\n",
      layer, head < 0 ? "mean over heads" : ("head " + std::to_string(head)).c_str());
  print_drift_table(drift, a.tokens);
  std::printf("\nverdict: %s\n", conclusion.c_str());
  if (marker_only) std::printf("note: %s\n", marker_note.c_str());
  return 0;
}

// Mean over the queries of segment `from` of the attention mass they put on segment `to`.
double cross_attention(const std::vector<float>& matrix, const std::vector<int>& segment, int from,
                       int to) {
  const size_t n = segment.size();
  double total = 0;
  size_t queries = 0;
  for (size_t q = 0; q < n; ++q) {
    if (segment[q] != from) continue;
    ++queries;
    for (size_t k = 0; k < n; ++k)
      if (segment[k] == to) total += matrix[q * n + k];
  }
  return queries == 0 ? 0.0 : total / static_cast<double>(queries);
}

// Mean (or max) of the last-layer vectors of one segment.
std::vector<float> segment_vector(const EncoderOutput& output, const std::vector<int>& segment,
                                  int which, Pooling pooling) {
  const Tensor& hidden = output.last_hidden_state;
  const int64_t size = hidden.dim(2);
  std::vector<float> vector(static_cast<size_t>(size), pooling == Pooling::max ? -INFINITY : 0.0f);
  size_t count = 0;
  for (size_t t = 0; t < segment.size(); ++t) {
    if (segment[t] != which) continue;
    ++count;
    const float* row = hidden.data() + static_cast<int64_t>(t) * size;
    for (int64_t i = 0; i < size; ++i) {
      vector[i] = pooling == Pooling::max ? std::max(vector[i], row[i]) : vector[i] + row[i];
    }
  }
  if (count == 0) return std::vector<float>(static_cast<size_t>(size), 0.0f);
  if (pooling != Pooling::max) {
    for (float& v : vector) v /= static_cast<float>(count);
  }
  return vector;
}

int run_joint(const Args& args, const LoadedEncoder& loaded, const PairSettings& settings) {
  if (settings.forward.pooling == Pooling::cls) {
    throw UsageError("--joint compares the two sentences' own tokens: use --pooling mean or max");
  }
  const int layer = settings.layer, head = settings.head;
  const auto pair = tokenize_pair(loaded, args.positional()[0], args.positional()[1]);
  const EncoderOutput output =
      loaded.encoder.forward({{pair.ids}, {pair.token_types}}, settings.forward);
  require_finite(output);
  std::vector<int32_t> ids_a, ids_b;
  std::vector<size_t> where_a, where_b;
  for (size_t t = 0; t < pair.ids.size(); ++t) {
    if (pair.sequence[t] == 0) {
      ids_a.push_back(pair.ids[t]);
      where_a.push_back(t);
    } else if (pair.sequence[t] == 1) {
      ids_b.push_back(pair.ids[t]);
      where_b.push_back(t);
    }
  }
  std::vector<TokenMatch> matches;
  for (const TokenMatch& m : match_shared_tokens(ids_a, ids_b)) {
    matches.push_back({where_a[m.a], where_b[m.b]});
  }
  const auto drift = token_drift_within(output, matches, layer, head);
  const int64_t hidden = loaded.encoder.hidden_size();
  const auto vector_a = segment_vector(output, pair.sequence, 0, settings.forward.pooling);
  const auto vector_b = segment_vector(output, pair.sequence, 1, settings.forward.pooling);
  const double segment_cosine = cosine_similarity(vector_a.data(), vector_b.data(), hidden);
  const auto matrix = attention_matrix(output, 0, layer, head);
  const double a_to_b = cross_attention(matrix, pair.sequence, 0, 1);
  const double b_to_a = cross_attention(matrix, pair.sequence, 1, 0);
  double max_drift = 0;
  for (const auto& d : drift) max_drift = std::max(max_drift, d.l2);
  const bool has_pe = loaded.encoder.position_kind() != PositionKind::none;
  const std::string conclusion =
      std::string(
          "In one pair input every token attends to both sentences, so a shared token's "
          "two occurrences differ only by ") +
      (has_pe ? "position and token type" : "token type (no positional encoding)") +
      ": their drift is what that changes (max L2 " + std::to_string(max_drift) + ").";

  if (const auto svg = args.value("--svg")) {
    Figure figure{"Joint pair input, attention, " + which_attention(layer, head), conclusion};
    figure.maps = {{"[A ; B]", pair.tokens, matrix}};
    figure.colour_scale = colour_scale_option(args);
    figure.bar_charts.push_back(
        {"Drift of each shared token between its occurrence in A and in B at layer " +
             std::to_string(layer) + " (L2)",
         drift_bars(drift, pair.tokens)});
    write_text_file(*svg, render_svg(figure));
  }
  if (args.flag("--json")) {
    const nlohmann::json document = {
        {"model", loaded.model.directory.string()},
        {"pe", to_string(loaded.encoder.position_kind())},
        {"mode", "joint"},
        {"layer", layer},
        {"attention_block", std::max(layer, 1)},
        {"head", head < 0 ? nlohmann::json("mean") : nlohmann::json(head)},
        {"pooling", to_string(settings.forward.pooling)},
        {"tokens", pair.tokens},
        {"ids", pair.ids},
        {"token_types", pair.token_types},
        {"segments", pair.sequence},
        {"cosine", segment_cosine},
        {"pair_vector", std::vector<float>(output.pooled.data(), output.pooled.data() + hidden)},
        {"cross_attention", {{"a_to_b", a_to_b}, {"b_to_a", b_to_a}}},
        {"shared_tokens", shared_tokens_json(drift, pair.tokens)},
        {"max_drift_l2", max_drift},
        {"verdict", conclusion}};
    std::cout << document.dump(2) << '\n';
    return 0;
  }
  std::printf("model  %s  (pe %s, joint pair input)\n", loaded.model.directory.c_str(),
              to_string(loaded.encoder.position_kind()));
  std::printf("pair   %s\n", join(pair.tokens).c_str());
  std::printf("cosine of A's and B's tokens (%s pooling, last layer): %.4f\n",
              to_string(settings.forward.pooling), segment_cosine);
  std::printf("cross-attention at %s: A->B %.3f, B->A %.3f of each query's weight\n\n",
              which_attention(layer, head).c_str(), a_to_b, b_to_a);
  std::printf("shared tokens at layer %d: occurrence in A vs in B (positions in the pair input)\n",
              layer);
  print_drift_table(drift, pair.tokens);
  std::printf("\nverdict: %s\n", conclusion.c_str());
  return 0;
}

}  // namespace

int run_pair(const std::vector<std::string>& arguments) {
  std::set<std::string> options = kModelOptions;
  options.insert({"--max-tokens", "--layer", "--head", "--pooling", "--svg", "--html", "--dtype",
                  "--align", "--prompt", "--scale"});
  const Args args(arguments, with_model_flags({"--json", "--joint", "--no-prompt"}), options);
  if (args.positional().size() != 2) {
    throw UsageError("expected two sentences, got " + std::to_string(args.positional().size()));
  }
  PairSettings settings;
  settings.forward = pooling_options(args, false);
  settings.forward.output_hidden_states = true;
  settings.forward.output_attentions = true;
  const LoadedEncoder loaded = load_encoder(args);
  apply_declared_pooling(settings.forward, args, loaded.model, false);
  const int layers = static_cast<int>(loaded.encoder.num_layers());
  settings.layer = args.integer("--layer", layers, 0, layers);
  settings.head = args.integer("--head", -1, 0, static_cast<int>(loaded.encoder.num_heads()) - 1);
  const std::string align = args.value("--align").value_or("id");
  if (align != "id" && align != "surface") {
    throw UsageError("--align: expected id or surface, got '" + align + "'");
  }
  settings.align_surface = align == "surface";
  if (args.value("--html") && args.flag("--joint"))
    throw UsageError("--html reports separate sentences, not --joint (use --svg with --joint)");
  if (settings.align_surface && args.flag("--joint")) {
    throw UsageError("--align surface goes with separate sentences, not --joint");
  }
  // A cross-encoder's pair input has no prompt in sentence-transformers.
  if (args.value("--prompt") && args.flag("--joint")) {
    throw UsageError("--prompt prefixes separate sentences, not --joint");
  }
  return args.flag("--joint") ? run_joint(args, loaded, settings)
                              : run_separate(args, loaded, settings);
}

}  // namespace ordo::cli
