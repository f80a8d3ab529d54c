// `ordo pe`: the positional-encoding matrix a model adds to its tokens, and how similar it
// makes positions to each other; for the kinds inside attention, what position alone does to
// an attention score as a function of the distance between query and key.
#include <cstdio>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "common.h"
#include "npy.h"
#include "ordo/error.h"
#include "pe_comparison.h"
#include "position_analysis.h"
#include "position_decomposition.h"
#include "svg.h"

namespace ordo::cli {

const char* const kPeHelp = R"(usage: ordo pe [options]

Shows the positional encoding of a model: the vectors it adds to tokens at positions
0 .. N-1 (computed for sinusoidal kinds, the trained table for learned ones), the cosine
similarity between every two positions, and its mean at each distance.

For the kinds inside attention, what position does to a score at each distance j - i between
query i and key j: ALiBi's bias -m_h |i - j| and the learned T5/MPNet bucket bias, per head;
rotary's q.k / head_dim for q = k = ones (its long-range decay, for the model's base and
fraction); for relative_key(_query), the norm of each layer's learned distance vector r(i - j).

  --positions N   how many positions (default: 128, or the learned table's size if smaller)
  --model DIR     model directory (default: the bundled sinusoidal model)
  --pe KIND       show another encoding: none | sinusoidal | sinusoidal-blocked | learned |
                  rotary | alibi | relative_key | relative_key_query | relative_bias
  --npy FILE      write the encoding matrix, float32 [N, hidden]; inside attention, the
                  score contribution, float32 [layers, heads, 2N - 1]
  --svg FILE      draw the position-similarity heatmap and similarity against distance;
                  inside attention, the score contribution against distance
  --decompose     for the kinds added to the input: why the word survives the addition.
                  For x = E[token] + T[0] + P[p] over the text's first --tokens distinct
                  pieces at every position: how often the nearest word vector (cosine) is
                  the token and the nearest position vector is p, by position bucket; and
                  the principal angles between the position subspace (90% of its energy)
                  and the word subspace, with the share of each table's energy in the other
  --text FILE     text for --decompose (default: the bundled models/heldout.txt)
  --tokens N      distinct pieces for --decompose (default 200)
  --json          print {"pe", "positions", "hidden", "encoding", "similarity",
                  "mean_similarity_by_distance"} (encoding [N][hidden], similarity [N][N]);
                  inside attention {"pe", "place": "attention", "positions", "distances",
                  "score_by_distance"} (distances j - i, score_by_distance [layers][heads][2N-1])
  --threads N     OpenMP threads
  --check-weights stop with an error if any weight is NaN or Inf (a load-time scan)
)";

namespace {

// The columns worth showing of a [layers, heads, distances] contribution: one when every layer
// and head agree, one per head when the layers agree, one per layer when the heads agree, else
// the first layer's heads.
struct Column {
  std::string name;
  std::vector<double> values;
};

std::vector<Column> contribution_columns(const Tensor& by_distance) {
  const int64_t layers = by_distance.dim(0), heads = by_distance.dim(1), n = by_distance.dim(2);
  const auto series = [&](int64_t layer, int64_t head) {
    const float* from = by_distance.data() + (layer * heads + head) * n;
    return std::vector<double>(from, from + n);
  };
  bool same_layers = true, same_heads = true;
  for (int64_t l = 0; l < layers; ++l) {
    for (int64_t h = 0; h < heads; ++h) {
      same_layers = same_layers && series(l, h) == series(0, h);
      same_heads = same_heads && series(l, h) == series(l, 0);
    }
  }
  std::vector<Column> columns;
  if (same_layers && same_heads) return {{"every head", series(0, 0)}};
  if (!same_layers && same_heads) {
    for (int64_t l = 0; l < layers; ++l)
      columns.push_back({"layer " + std::to_string(l + 1), series(l, 0)});
    return columns;
  }
  for (int64_t h = 0; h < heads; ++h) {
    columns.push_back(
        {(same_layers ? "head " : "layer 1 head ") + std::to_string(h + 1), series(0, h)});
  }
  return columns;
}

int run_pe_inside_attention(const Args& args, const LoadedEncoder& loaded, int positions) {
  const Tensor by_distance = loaded.encoder.score_contribution_by_distance(positions);
  require_finite(by_distance.data(), by_distance.numel(), "the score contribution");
  const std::string kind = to_string(loaded.encoder.position_kind());
  const std::vector<Column> columns = contribution_columns(by_distance);
  const int64_t first = -(positions - 1);
  const char* meaning =
      loaded.encoder.position_kind() == PositionKind::rotary
          ? "q.k / head_dim for q = k = ones, rotated at positions i and j"
      : loaded.encoder.position_kind() == PositionKind::alibi ||
              loaded.encoder.position_kind() == PositionKind::relative_bias
          ? "the bias added to the score of query i against key j"
          : "the norm |r(i - j)| of the learned distance vector (its product with q depends on the "
            "text)";

  if (const auto npy = args.value("--npy")) write_npy(*npy, by_distance);
  if (const auto svg = args.value("--svg")) {
    Figure figure{"Position inside attention, " + kind + " (" +
                      loaded.model.directory.filename().string() + ")",
                  meaning};
    figure.curve_label = "Score contribution against distance";
    figure.x_label = "distance j - i (key minus query)";
    figure.x_first = first;
    for (const Column& column : columns) figure.curves.push_back({column.name, column.values});
    write_text_file(*svg, render_svg(figure));
  }
  if (args.flag("--json")) {
    std::vector<int64_t> distances;
    for (int64_t d = first; d < positions; ++d) distances.push_back(d);
    nlohmann::json values = nlohmann::json::array();
    for (int64_t l = 0; l < by_distance.dim(0); ++l) {
      nlohmann::json layer = nlohmann::json::array();
      for (int64_t h = 0; h < by_distance.dim(1); ++h) {
        const float* from = by_distance.data() + (l * by_distance.dim(1) + h) * by_distance.dim(2);
        layer.push_back(std::vector<float>(from, from + by_distance.dim(2)));
      }
      values.push_back(std::move(layer));
    }
    const nlohmann::json document = {{"model", loaded.model.directory.string()},
                                     {"pe", kind},
                                     {"place", "attention"},
                                     {"meaning", meaning},
                                     {"positions", positions},
                                     {"distances", std::move(distances)},
                                     {"score_by_distance", std::move(values)}};
    std::cout << document.dump() << '\n';
    return 0;
  }
  std::printf("model  %s\npe     %s, inside attention, %d positions\n       %s\n\n",
              loaded.model.directory.c_str(), kind.c_str(), positions, meaning);
  constexpr size_t kMaxColumns = 8;
  std::printf("   j - i");
  for (size_t c = 0; c < std::min(columns.size(), kMaxColumns); ++c) {
    std::printf("  %12s", columns[c].name.c_str());
  }
  std::printf("%s\n", columns.size() > kMaxColumns ? "  ... (--json has all)" : "");
  std::vector<int64_t> distances = {0};
  for (int64_t d : report_distances(positions)) {
    distances.insert(distances.begin(), -d);
    distances.push_back(d);
  }
  for (int64_t d : distances) {
    std::printf("%8lld", static_cast<long long>(d));
    for (size_t c = 0; c < std::min(columns.size(), kMaxColumns); ++c) {
      std::printf("  %+12.4f", columns[c].values[static_cast<size_t>(d - first)]);
    }
    std::printf("\n");
  }
  return 0;
}

std::string percent_of(int64_t part, int64_t whole) {
  char text[16];
  std::snprintf(text, sizeof text, "%.1f%%", whole ? 100.0 * part / whole : 0.0);
  return text;
}

int run_decompose(const Args& args, const LoadedEncoder& loaded, int positions) {
  const std::string kind = to_string(loaded.encoder.position_kind());
  if (place_of(loaded.encoder.position_kind()) != PositionPlace::input) {
    throw Error("--decompose: " + kind +
                " adds nothing to the input, so there is no sum to take apart (it is for "
                "sinusoidal and learned encodings)");
  }
  const std::filesystem::path path =
      args.value("--text").value_or((bundled_models_directory() / "heldout.txt").string());
  std::ifstream file(path, std::ios::binary);
  if (!file) throw Error(path.string() + ": cannot open the text file");
  const auto lines = tokenize_lines(loaded, read_lines(file, path.string()));
  const int count = args.integer("--tokens", 200, 1, 100000);
  const PositionDecomposition d = decompose_positions(
      loaded, positions, distinct_ordinary_pieces(loaded, lines, static_cast<size_t>(count)));

  if (const auto svg = args.value("--svg")) {
    Figure figure{"Word + position = both recoverable? " + kind + " (" +
                      loaded.model.directory.filename().string() + ")",
                  "x = E[token] + T[0] + P[p]: nearest word vector and nearest position vector"};
    BarChart recovered{"Recovered from x alone, by position bucket (fraction)", {}};
    for (const RecoveryBucket& b : d.buckets) {
      recovered.bars.push_back(
          {"token " + b.name, static_cast<double>(b.token_right) / b.trials, 0});
      recovered.bars.push_back(
          {"position " + b.name, static_cast<double>(b.position_right) / b.trials, 1});
    }
    figure.bar_charts.push_back(std::move(recovered));
    figure.curve_label = "Cosines of the principal angles, position vs word subspace";
    figure.x_label = "principal angle (largest cosine first)";
    figure.curves = {{"cos", d.cosines}};
    write_text_file(*svg, render_svg(figure));
  }
  if (args.flag("--json")) {
    nlohmann::json buckets = nlohmann::json::array();
    for (const RecoveryBucket& b : d.buckets) {
      buckets.push_back({{"bucket", b.name},
                         {"trials", b.trials},
                         {"token_recovered", static_cast<double>(b.token_right) / b.trials},
                         {"position_recovered", static_cast<double>(b.position_right) / b.trials}});
    }
    std::cout
        << nlohmann::json{{"model", loaded.model.directory.string()},
                          {"pe", kind},
                          {"positions", d.positions},
                          {"tokens", d.tokens},
                          {"hidden", d.hidden},
                          {"recovery", buckets},
                          {"position_rank_90", d.rank},
                          {"word_rank_90", d.word_rank},
                          {"principal_angle_cosines", d.cosines},
                          {"position_energy_in_word_subspace", d.position_energy_in_word_subspace},
                          {"word_energy_in_position_subspace", d.word_energy_in_position_subspace},
                          {"position_rms", d.position_rms},
                          {"word_rms", d.word_rms}}
               .dump()
        << '\n';
    return 0;
  }
  std::printf("model  %s\npe     %s, %lld positions, hidden %lld; %lld distinct pieces of %s\n\n",
              loaded.model.directory.c_str(), kind.c_str(), static_cast<long long>(d.positions),
              static_cast<long long>(d.hidden), static_cast<long long>(d.tokens), path.c_str());
  std::printf("x = E[token] + T[0] + P[p]; recovered as the nearest vector (cosine)\n");
  std::printf("%10s %8s %8s %10s\n", "positions", "trials", "token", "position");
  for (const RecoveryBucket& b : d.buckets) {
    std::printf("%10s %8lld %8s %10s\n", b.name.c_str(), static_cast<long long>(b.trials),
                percent_of(b.token_right, b.trials).c_str(),
                percent_of(b.position_right, b.trials).c_str());
  }
  std::printf("\nscale: position vectors RMS %.4f, word vectors RMS %.4f\n", d.position_rms,
              d.word_rms);
  std::printf(
      "90%% of the energy: position vectors in %lld of %lld dimensions, word vectors in "
      "%lld\n",
      static_cast<long long>(d.rank), static_cast<long long>(d.hidden),
      static_cast<long long>(d.word_rank));
  std::printf("principal angles to the word subspace (cosines, largest first):");
  for (size_t i = 0; i < std::min<size_t>(d.cosines.size(), 8); ++i) {
    std::printf(" %.3f", d.cosines[i]);
  }
  std::printf("%s\n", d.cosines.size() > 8 ? " ... (--json has all)" : "");
  std::printf("share of the position vectors' energy in the word subspace: %.1f%%\n",
              100 * d.position_energy_in_word_subspace);
  std::printf(
      "share of the word vectors' energy in the position subspace: %.1f%% (%.1f%% if "
      "they spread evenly over all directions)\n",
      100 * d.word_energy_in_position_subspace,
      100.0 * static_cast<double>(d.rank) / static_cast<double>(d.hidden));
  return 0;
}

}  // namespace

int run_pe(const std::vector<std::string>& arguments) {
  std::set<std::string> options = kModelOptions;
  options.insert({"--positions", "--npy", "--svg", "--text", "--tokens"});
  const Args args(arguments, with_model_flags({"--json", "--decompose"}), options);
  if (!args.flag("--decompose") && (args.value("--text") || args.value("--tokens"))) {
    throw UsageError("--text and --tokens go with --decompose");
  }
  if (!args.positional().empty()) {
    throw UsageError("unexpected argument '" + args.positional()[0] + "'");
  }
  const LoadedEncoder loaded = load_encoder(args);
  const int64_t limit = loaded.encoder.max_positions();
  const int fallback = static_cast<int>(limit > 0 && limit < 128 ? limit : 128);
  const int positions =
      args.integer("--positions", fallback, 1, limit > 0 ? static_cast<int>(limit) : 8192);
  if (args.flag("--decompose")) return run_decompose(args, loaded, positions);
  if (place_of(loaded.encoder.position_kind()) == PositionPlace::attention) {
    return run_pe_inside_attention(args, loaded, positions);
  }
  const Tensor table = loaded.encoder.position_encodings(positions);
  require_finite(table.data(), table.numel(), "the position table");
  const PositionSimilarity similarity = position_similarity(table);
  const std::string kind = to_string(loaded.encoder.position_kind());

  if (const auto npy = args.value("--npy")) write_npy(*npy, table);
  if (const auto svg = args.value("--svg")) {
    Figure figure{
        "Position similarity, " + kind + " (" + loaded.model.directory.filename().string() + ")",
        "cosine between the vectors the encoding adds at two positions"};
    figure.maps = {similarity_heatmap(kind, similarity)};
    figure.curve_label = "Mean cosine similarity against distance";
    figure.x_label = "distance |i - j| (positions)";
    figure.curves = {{kind, similarity.by_distance}};
    write_text_file(*svg, render_svg(figure));
  }
  if (args.flag("--json")) {
    nlohmann::json encoding = nlohmann::json::array(), cosine = nlohmann::json::array();
    for (int64_t p = 0; p < positions; ++p) {
      encoding.push_back(std::vector<float>(table.data() + p * table.dim(1),
                                            table.data() + (p + 1) * table.dim(1)));
      cosine.push_back(std::vector<float>(similarity.cosine.begin() + p * positions,
                                          similarity.cosine.begin() + (p + 1) * positions));
    }
    const nlohmann::json document = {{"model", loaded.model.directory.string()},
                                     {"pe", kind},
                                     {"positions", positions},
                                     {"hidden", table.dim(1)},
                                     {"encoding", std::move(encoding)},
                                     {"similarity", std::move(cosine)},
                                     {"mean_similarity_by_distance", similarity.by_distance}};
    std::cout << document.dump() << '\n';
    return 0;
  }
  std::printf("model  %s\npe     %s, %d positions, hidden %lld%s\n\n",
              loaded.model.directory.c_str(), kind.c_str(), positions,
              static_cast<long long>(table.dim(1)),
              limit > 0 ? (" (table holds " + std::to_string(limit) + ")").c_str() : "");
  if (similarity.all_zero) {
    std::printf("This encoding adds nothing: every position looks the same to the model.\n");
    return 0;
  }
  std::printf("distance  mean cosine between positions\n");
  for (int64_t d : report_distances(positions)) {
    std::printf("%8lld  %+.4f\n", static_cast<long long>(d), similarity.by_distance[d]);
  }
  return 0;
}

}  // namespace ordo::cli
