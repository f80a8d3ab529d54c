// `ordo pe`: the positional-encoding matrix a model adds to its tokens, and how similar it
// makes positions to each other.
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "common.h"
#include "io/npy.h"
#include "position_analysis.h"
#include "svg.h"

namespace ordo::cli {

const char* const kPeHelp = R"(usage: ordo pe [options]

Shows the positional encoding of a model: the vectors it adds to tokens at positions
0 .. N-1 (computed for sinusoidal kinds, the trained table for learned ones), the cosine
similarity between every two positions, and its mean at each distance.

  --positions N   how many positions (default: 128, or the learned table's size if smaller)
  --model DIR     model directory (default: the bundled sinusoidal model)
  --pe KIND       show another encoding: none | sinusoidal | sinusoidal-blocked | learned
  --npy FILE      write the encoding matrix, float32 [N, hidden]
  --svg FILE      draw the position-similarity heatmap and similarity against distance
  --json          print {"pe", "positions", "hidden", "encoding", "similarity",
                  "mean_similarity_by_distance"} (encoding [N][hidden], similarity [N][N])
  --threads N     OpenMP threads
  --check-weights stop with an error if any weight is NaN or Inf (a load-time scan)
)";

int run_pe(const std::vector<std::string>& arguments) {
  std::set<std::string> options = kModelOptions;
  options.insert({"--positions", "--npy", "--svg"});
  const Args args(arguments, with_model_flags({"--json"}), options);
  if (!args.positional().empty()) {
    throw UsageError("unexpected argument '" + args.positional()[0] + "'");
  }
  const LoadedEncoder loaded = load_encoder(args);
  const int64_t limit = loaded.encoder.max_positions();
  const int fallback = static_cast<int>(limit > 0 && limit < 128 ? limit : 128);
  const int positions =
      args.integer("--positions", fallback, 1, limit > 0 ? static_cast<int>(limit) : 8192);
  const Tensor table = loaded.encoder.position_encodings(positions);
  require_finite(table.data(), table.numel(), "the position table");
  const PositionSimilarity similarity = position_similarity(table);
  const std::string kind = to_string(loaded.encoder.position_kind());

  if (const auto npy = args.value("--npy")) io::write_npy(*npy, table);
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
