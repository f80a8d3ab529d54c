// `ordo compare-pe`: two models side by side on what their positional encodings do —
// masked-LM accuracy by position (also beyond the training length), how much word order
// moves the sentence vector, and how each encoding relates positions to each other.
#include <cstdio>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "common.h"
#include "ordo/error.h"
#include "pe_comparison.h"
#include "position_analysis.h"
#include "svg.h"

namespace ordo::cli {

const char* const kComparePeHelp = R"(usage: ordo compare-pe [MODEL_A MODEL_B] [options]

Compares two models' positional encodings, running both on the same text:
  1. masked-LM top-1 accuracy by position bucket (0-31, 32-63, 64-127 and, beyond a
     128-token training length, 128-255), against always predicting the text's most
     frequent piece; the protocol is tools/train/evaluate.py's, so with the two bundled
     models and no other argument it reproduces the model card (models/README.md);
  2. order sensitivity: how far the sentence vector (mean pooling) moves when the words of
     a line are shuffled, with each model's encoding and, as a control, the same weights
     under --pe none (where a shuffle cannot move it);
  3. position similarity: cosine between the encoding's vectors at two positions, by
     distance.

  MODEL_A MODEL_B   model directories with an MLM head
                    (default: the bundled ordo-sinusoidal and ordo-learned)
  --text FILE       text, one passage per line (default: the bundled models/heldout.txt)
  --lengths LIST    sequence lengths for (1) (default 128,256)
  --seed N          seed of the mask positions and the shuffles (default 12345)
  --sentences N     lines used for (2) (default 300)
  --positions N     positions for (3) (default 128, or fewer if a learned table is smaller)
  --json            machine-readable report
  --svg FILE        both similarity heatmaps, similarity against distance, and accuracy
  --threads N       OpenMP threads
  --check-weights   stop with an error if any weight is NaN or Inf (a load-time scan)
)";

namespace {

struct ModelReport {
  std::string name, pe;
  MlmEvaluation mlm;
  OrderSensitivity order, order_without_pe;
  PositionSimilarity positions;
};

std::vector<std::string> read_text(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw Error(path.string() + ": cannot open the text file");
  std::vector<std::string> lines = read_lines(file, path.string());
  if (lines.empty()) throw Error(path.string() + ": the text file is empty");
  return lines;
}

std::string percent(const std::optional<double>& value) {
  if (!value) return "—";
  char text[16];
  std::snprintf(text, sizeof text, "%.1f%%", 100 * *value);
  return text;
}

const char* const kColumns[] = {"overall", "0-31", "32-63", "64-127", "128-255"};

void print_accuracy_row(const std::string& label, int64_t length, int64_t sequences,
                        const std::map<std::string, Accuracy>& accuracy) {
  std::printf("  %s %4lld %5lld", pad_to(label, 22).c_str(), static_cast<long long>(length),
              static_cast<long long>(sequences));
  for (const char* column : kColumns) {
    const auto found = accuracy.find(column);
    std::printf(" %8s",
                percent(found == accuracy.end() ? std::nullopt : found->second.value()).c_str());
  }
  std::printf("\n");
}

nlohmann::json accuracy_json(const std::map<std::string, Accuracy>& accuracy) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [bucket, a] : accuracy) {
    out[bucket] = {{"accuracy", a.value() ? nlohmann::json(*a.value()) : nlohmann::json()},
                   {"scored", a.scored}};
  }
  return out;
}

nlohmann::json report_json(const ModelReport& r, const std::string& directory) {
  nlohmann::json lengths = nlohmann::json::array();
  for (const MlmResult& m : r.mlm.lengths) {
    if (m.skipped) {
      lengths.push_back({{"length", m.length}, {"skipped", *m.skipped}});
    } else {
      lengths.push_back({{"length", m.length},
                         {"sequences", m.sequences},
                         {"model", accuracy_json(m.model)},
                         {"baseline", accuracy_json(m.baseline)}});
    }
  }
  auto order = [](const OrderSensitivity& o) {
    return nlohmann::json{{"sentences", o.sentences},
                          {"mean_one_minus_cosine", o.mean_one_minus_cosine},
                          {"mean_l2", o.mean_l2}};
  };
  return {{"name", r.name},
          {"directory", directory},
          {"pe", r.pe},
          {"mlm",
           {{"pieces", r.mlm.pieces},
            {"baseline_piece", {{"id", r.mlm.baseline_id}, {"piece", r.mlm.baseline_piece}}},
            {"lengths", lengths}}},
          {"order_sensitivity", order(r.order)},
          {"order_sensitivity_without_pe", order(r.order_without_pe)},
          {"position_similarity_by_distance", r.positions.by_distance}};
}

}  // namespace

int run_compare_pe(const std::vector<std::string>& arguments) {
  const Args args(
      arguments, with_model_flags({"--json"}),
      {"--text", "--lengths", "--seed", "--sentences", "--positions", "--svg", "--threads"});
  std::vector<std::filesystem::path> directories;
  if (args.positional().empty()) {
    directories = {bundled_models_directory() / "ordo-sinusoidal",
                   bundled_models_directory() / "ordo-learned"};
  } else if (args.positional().size() == 2) {
    directories = {args.positional()[0], args.positional()[1]};
  } else {
    throw UsageError("expected two model directories (or none for the bundled pair), got " +
                     std::to_string(args.positional().size()));
  }
  const std::filesystem::path text_path =
      args.value("--text").value_or((bundled_models_directory() / "heldout.txt").string());
  std::vector<int64_t> lengths;
  for (int32_t length : parse_int_list(args.value("--lengths").value_or("128,256"), "--lengths")) {
    if (length < 3 || length > static_cast<int32_t>(kMaxTokensPerSequence)) {
      throw UsageError("--lengths: each length must be in 3 .. " +
                       std::to_string(kMaxTokensPerSequence) + ", got " + std::to_string(length));
    }
    lengths.push_back(length);
  }
  const int seed = args.integer("--seed", 12345, 0, 2147483647);
  const int sentences = args.integer("--sentences", 300, 1, 1000000);
  apply_threads(args);
  const std::vector<std::string> text = read_text(text_path);

  std::vector<ModelReport> reports;
  int positions = args.integer("--positions", 128, 2, 8192);
  std::vector<LoadedEncoder> models;
  for (const auto& directory : directories) {
    models::LoadOptions load_options;
    load_options.check_weights = args.flag("--check-weights");
    models.push_back(load_encoder(directory, std::nullopt, load_options));
    const int64_t limit = models.back().encoder.max_positions();
    if (limit > 0 && positions > limit) {
      if (args.value("--positions")) {
        throw UsageError("--positions " + std::to_string(positions) + ": " + directory.string() +
                         " has a learned table of " + std::to_string(limit) + " positions");
      }
      positions = static_cast<int>(limit);
    }
  }
  for (const LoadedEncoder& loaded : models) {
    ModelReport report;
    report.name = loaded.model.directory.filename().string();
    if (report.name.empty()) report.name = loaded.model.directory.parent_path().filename().string();
    report.pe = to_string(loaded.encoder.position_kind());
    const auto lines = tokenize_lines(loaded, text);
    report.mlm = evaluate_mlm(loaded, lines, lengths, static_cast<uint64_t>(seed));
    report.order = order_sensitivity(loaded, lines, sentences, static_cast<uint64_t>(seed));
    const LoadedEncoder without{loaded.model, Encoder(loaded.model.spec, {PositionKind::none})};
    report.order_without_pe =
        order_sensitivity(without, lines, sentences, static_cast<uint64_t>(seed));
    report.positions = position_similarity(loaded.encoder.position_encodings(positions));
    reports.push_back(std::move(report));
  }

  if (const auto svg = args.value("--svg")) {
    Figure figure{"Positional encodings compared: " + reports[0].name + " vs " + reports[1].name,
                  "position similarity (cosine between the vectors added at two positions)"};
    for (const ModelReport& r : reports) {
      figure.maps.push_back(similarity_heatmap(r.name + " (" + r.pe + ")", r.positions));
      figure.curves.push_back({r.name + " (" + r.pe + ")", r.positions.by_distance});
    }
    figure.curve_label = "Mean cosine similarity against distance";
    figure.x_label = "distance |i - j| (positions)";
    figure.bar_label =
        "Masked-LM top-1 accuracy by position bucket, L = " + std::to_string(lengths.front()) +
        " (fraction)";
    for (const char* bucket : kColumns) {
      for (const ModelReport& r : reports) {
        const MlmResult& m = r.mlm.lengths.front();
        const auto found = m.model.find(bucket);
        if (m.skipped || found == m.model.end() || !found->second.value()) continue;
        figure.bars.push_back({r.name + " " + bucket, *found->second.value()});
      }
    }
    write_text_file(*svg, render_svg(figure));
  }
  if (args.flag("--json")) {
    nlohmann::json models_json = nlohmann::json::array();
    for (size_t i = 0; i < reports.size(); ++i) {
      models_json.push_back(report_json(reports[i], models[i].model.directory.string()));
    }
    std::cout << nlohmann::json{{"text", text_path.string()},
                                {"seed", seed},
                                {"positions", positions},
                                {"models", models_json}}
                     .dump(1)
              << '\n';
    return 0;
  }

  std::printf("compare-pe  %s (%s)  vs  %s (%s)\n", reports[0].name.c_str(), reports[0].pe.c_str(),
              reports[1].name.c_str(), reports[1].pe.c_str());
  std::printf("text        %s, %zu lines\n\n", text_path.c_str(), text.size());
  std::printf("1. masked-LM top-1 accuracy (15%% of ordinary pieces masked, seed %d)\n", seed);
  std::printf("  %s %4s %5s", pad_to("model", 22).c_str(), "L", "seqs");
  for (const char* column : kColumns) std::printf(" %8s", column);
  std::printf("\n");
  for (int64_t length : lengths) {
    for (const ModelReport& r : reports) {
      for (const MlmResult& m : r.mlm.lengths) {
        if (m.length != length) continue;
        if (m.skipped) {
          std::printf("  %s %4lld   n/a: %s\n", pad_to(r.name, 22).c_str(),
                      static_cast<long long>(length), m.skipped->c_str());
          continue;
        }
        print_accuracy_row(r.name, length, m.sequences, m.model);
        print_accuracy_row("  baseline '" + r.mlm.baseline_piece + "'", length, m.sequences,
                           m.baseline);
      }
    }
  }
  std::printf("\n2. order sensitivity: sentence vector moved by shuffling a line's words\n");
  std::printf("  %s %6s %12s %10s   %s\n", pad_to("model", 22).c_str(), "lines", "1 - cosine", "L2",
              "same weights, --pe none: 1 - cosine, L2");
  for (const ModelReport& r : reports) {
    std::printf("  %s %6lld %12.5f %10.4f   %.2e, %.2e\n", pad_to(r.name, 22).c_str(),
                static_cast<long long>(r.order.sentences), r.order.mean_one_minus_cosine,
                r.order.mean_l2, r.order_without_pe.mean_one_minus_cosine,
                r.order_without_pe.mean_l2);
  }
  std::printf(
      "\n3. position similarity: mean cosine between positions at distance d (%d positions)\n",
      positions);
  std::printf("  %8s", "d");
  for (const ModelReport& r : reports) std::printf(" %18s", r.name.c_str());
  std::printf("\n");
  for (int64_t d : report_distances(positions)) {
    std::printf("  %8lld", static_cast<long long>(d));
    for (const ModelReport& r : reports) std::printf(" %+18.4f", r.positions.by_distance[d]);
    std::printf("\n");
  }
  return 0;
}

}  // namespace ordo::cli
