// `ordo compare-pe`: two models side by side on what their positional encodings do —
// masked-LM accuracy by position (also beyond the training length), how much word order
// moves the sentence vector, and how each encoding relates positions to each other.
#include <cstdio>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "common.h"
#include "html_report.h"
#include "ordo/error.h"
#include "pe_comparison.h"
#include "position_analysis.h"
#include "svg.h"

namespace ordo::cli {

const char* const kComparePeHelp = R"(usage: ordo compare-pe [MODEL...] [options]

Compares models' positional encodings, running each on the same text:
  1. masked-LM top-1 accuracy by position bucket (0-31, 32-63, 64-127, and past a 128-token
     training length 128-255, 256-511, 512-1023), against always predicting the text's most
     frequent piece; a learned table cannot run past its rows ("n/a"). The protocol is
     tools/train/evaluate.py's: with the bundled twins it reproduces the model card
     (models/README.md);
  2. order sensitivity: how far the sentence vector (mean pooling) moves when the words of
     a line are shuffled, with each model's encoding and, as a control, the same weights
     under --pe none (where a shuffle cannot move it, unless layers attend within a window,
     as ModernBERT's local layers do);
  3. position structure: for encodings added to the input, the cosine between the vectors at
     two positions, by distance; for those inside attention, what position alone adds to a
     score at distance j - i (mean over layers and heads; --json has each; see ordo pe).

  MODEL...          model directories with an MLM head (default: every bundled twin:
                    ordo-none, -sinusoidal, -learned, -rotary, -alibi, -relative-bias)
  --text FILE       text, one passage per line (default: the bundled models/heldout.txt)
  --lengths LIST    sequence lengths for (1) (default 128,256,512,1024)
  --seed N          seed of the mask positions and the shuffles (default 12345)
  --sentences N     lines used for (2) (default 300)
  --positions N     positions for (3) (default 128, or fewer if a learned table is smaller)
  --json            machine-readable report
  --svg FILE        similarity heatmaps, similarity against distance, accuracy by bucket and
                    order sensitivity
  --html FILE       one self-contained page: tables (1) and (2) (hover a row for its counts)
                    and the --svg picture inline (hover a bar for its value; maps of more
                    than 64 x 64 positions are one image, without per-cell values)
  --threads N       OpenMP threads
  --check-weights   stop with an error if any weight is NaN or Inf (a load-time scan)
)";

namespace {

// The bundled twins, in the order reports list them (the control first).
const char* const kTwins[] = {"ordo-none",   "ordo-sinusoidal", "ordo-learned",
                              "ordo-rotary", "ordo-alibi",      "ordo-relative-bias"};

struct ModelReport {
  std::string name, pe;
  bool inside_attention = false;
  MlmEvaluation mlm;
  OrderSensitivity order, order_without_pe;
  PositionSimilarity positions;           // added kinds
  std::vector<double> score_by_distance;  // inside attention: d = -(N-1) .. N-1, mean
  Tensor score_by_distance_full;          // [layers, heads, 2N - 1]
};

// Mean over layers and heads of a [layers, heads, distances] contribution.
std::vector<double> mean_over_heads(const Tensor& by_distance) {
  const int64_t rows = by_distance.dim(0) * by_distance.dim(1), n = by_distance.dim(2);
  std::vector<double> mean(static_cast<size_t>(n), 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t d = 0; d < n; ++d) mean[static_cast<size_t>(d)] += by_distance.data()[r * n + d];
  }
  for (double& value : mean) value /= static_cast<double>(rows);
  return mean;
}

std::vector<std::string> read_text(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw Error(path.string() + ": cannot open the text file");
  std::vector<std::string> lines = read_lines(file, path.string());
  if (lines.empty()) throw Error(path.string() + ": the text file is empty");
  return lines;
}

std::string percent(const std::optional<double>& value) {
  if (!value) return "-";  // ASCII: printf pads by bytes
  char text[16];
  std::snprintf(text, sizeof text, "%.1f%%", 100 * *value);
  return text;
}

const char* const kColumns[] = {"overall", "0-31",    "32-63",   "64-127",
                                "128-255", "256-511", "512-1023"};

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

// [layers][heads][distances], or null for a kind that adds to the input.
nlohmann::json by_head(const Tensor& contribution) {
  if (contribution.numel() == 0) return nullptr;
  nlohmann::json layers = nlohmann::json::array();
  const int64_t heads = contribution.dim(1), n = contribution.dim(2);
  for (int64_t l = 0; l < contribution.dim(0); ++l) {
    nlohmann::json layer = nlohmann::json::array();
    for (int64_t h = 0; h < heads; ++h) {
      const float* from = contribution.data() + (l * heads + h) * n;
      layer.push_back(std::vector<float>(from, from + n));
    }
    layers.push_back(std::move(layer));
  }
  return layers;
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
          {"place", r.inside_attention ? "attention" : "input"},
          {"position_similarity_by_distance",
           r.inside_attention ? nlohmann::json() : nlohmann::json(r.positions.by_distance)},
          {"score_by_distance",
           r.inside_attention ? nlohmann::json(r.score_by_distance) : nlohmann::json()},
          {"score_by_distance_by_head", by_head(r.score_by_distance_full)}};
}

}  // namespace

int run_compare_pe(const std::vector<std::string>& arguments) {
  const Args args(arguments, with_model_flags({"--json"}),
                  {"--text", "--lengths", "--seed", "--sentences", "--positions", "--svg", "--html",
                   "--threads"});
  std::vector<std::filesystem::path> directories;
  for (const std::string& directory : args.positional()) directories.emplace_back(directory);
  if (directories.empty()) {
    for (const char* twin : kTwins) {
      const auto directory = bundled_models_directory() / twin;
      if (std::filesystem::exists(directory / "config.json")) directories.push_back(directory);
    }
    if (directories.empty()) {
      throw Error("no bundled twin found in " + bundled_models_directory().string() +
                  "; name the model directories to compare");
    }
  }
  const std::filesystem::path text_path =
      args.value("--text").value_or((bundled_models_directory() / "heldout.txt").string());
  std::vector<int64_t> lengths;
  for (int32_t length :
       parse_int_list(args.value("--lengths").value_or("128,256,512,1024"), "--lengths")) {
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
    report.inside_attention = place_of(loaded.encoder.position_kind()) == PositionPlace::attention;
    if (report.inside_attention) {
      report.score_by_distance_full = loaded.encoder.score_contribution_by_distance(positions);
      report.score_by_distance = mean_over_heads(report.score_by_distance_full);
    } else {
      report.positions = position_similarity(loaded.encoder.position_encodings(positions));
    }
    reports.push_back(std::move(report));
  }

  const auto picture = [&] {
    std::string names;
    for (const ModelReport& r : reports) names += (names.empty() ? "" : ", ") + r.name;
    Figure figure{
        "Positional encodings compared: " + names,
        "Maps: the cosine between the vectors added at two positions, for the encodings added "
        "to the input (a band along the diagonal: neighbours look alike; speckle: no notion of "
        "distance). Accuracy: the buckets past the training length show which encodings "
        "extrapolate (a learned table has no bars there). Order sensitivity: each model beside "
        "its --pe none control; a bar above the control is word order the model sees."};
    for (const ModelReport& r : reports) {
      if (r.inside_attention || r.positions.all_zero) continue;
      figure.maps.push_back(similarity_heatmap(r.name + " (" + r.pe + ")", r.positions));
      figure.curves.push_back({r.name + " (" + r.pe + ")", r.positions.by_distance});
    }
    figure.curve_label = "Mean cosine similarity against distance";
    figure.x_label = "distance |i - j| (positions)";
    BarChart accuracy{"Masked-LM top-1 accuracy by position bucket, every length (fraction)", {}};
    for (size_t m = 0; m < reports.size(); ++m) {
      for (const char* bucket : kColumns) {
        // A bucket's best-informed length: the shortest that reaches it.
        for (const MlmResult& result : reports[m].mlm.lengths) {
          const auto found = result.model.find(bucket);
          if (result.skipped || found == result.model.end() || !found->second.value()) continue;
          if (std::string(bucket) == "overall" && result.length != lengths.front()) continue;
          accuracy.bars.push_back(
              {reports[m].name + " " + bucket + " L" + std::to_string(result.length),
               *found->second.value(), m});
          break;
        }
      }
    }
    for (const ModelReport& r : reports) accuracy.series.push_back(r.name + " (" + r.pe + ")");
    const std::vector<std::string> series = accuracy.series;
    figure.bar_charts.push_back(std::move(accuracy));
    // Order sensitivity beside its control: the same weights with no positional encoding,
    // which cannot move (0) unless layers attend within a window (ModernBERT's local layers
    // keep position in play), so any bar above it is word order seen by the model.
    BarChart order{
        "Order sensitivity: 1 - cosine of the sentence vector when a line's words "
        "are shuffled (mean over lines)",
        {}};
    for (size_t m = 0; m < reports.size(); ++m) {
      order.bars.push_back({reports[m].name, reports[m].order.mean_one_minus_cosine, m});
      order.bars.push_back(
          {reports[m].name + " --pe none", reports[m].order_without_pe.mean_one_minus_cosine, m});
    }
    order.series = series;
    figure.bar_charts.push_back(std::move(order));
    return render_svg(figure);
  };
  if (const auto svg = args.value("--svg")) write_text_file(*svg, picture());
  if (const auto html = args.value("--html")) {
    HtmlReport report;
    report.title = "ordo compare-pe";
    for (size_t i = 0; i < reports.size(); ++i) {
      report.facts.push_back(
          {reports[i].name, reports[i].pe + ": " + models[i].model.directory.string()});
    }
    report.facts.push_back({"text", text_path.string() + ", " + std::to_string(text.size()) +
                                        " lines; seed " + std::to_string(seed)});
    HtmlTable accuracy{"Masked-LM top-1 accuracy by position (15% of ordinary pieces masked)",
                       {"model", "L", "sequences"},
                       {},
                       {}};
    for (const char* column : kColumns) accuracy.header.push_back(column);
    for (int64_t length : lengths) {
      for (const ModelReport& r : reports) {
        for (const MlmResult& m : r.mlm.lengths) {
          if (m.length != length) continue;
          std::vector<std::string> row = {r.name, std::to_string(length),
                                          m.skipped ? "n/a" : std::to_string(m.sequences)};
          std::string details = r.name + " at L " + std::to_string(length);
          for (const char* column : kColumns) {
            const auto found = m.model.find(column);
            row.push_back(m.skipped || found == m.model.end() ? ""
                                                              : percent(found->second.value()));
            if (!m.skipped && found != m.model.end()) {
              details += "; " + std::string(column) + ": " + std::to_string(found->second.correct) +
                         " of " + std::to_string(found->second.scored);
            }
          }
          accuracy.rows.push_back(std::move(row));
          accuracy.row_titles.push_back(m.skipped ? *m.skipped : details);
        }
      }
    }
    report.tables.push_back(std::move(accuracy));
    HtmlTable order{
        "Order sensitivity: how far the sentence vector moves when a line's words are "
        "shuffled (mean over lines)",
        {"model", "lines", "1 - cosine", "L2", "--pe none: 1 - cosine", "--pe none: L2"},
        {},
        {}};
    for (const ModelReport& r : reports) {
      char cells[4][32];
      std::snprintf(cells[0], sizeof cells[0], "%.5f", r.order.mean_one_minus_cosine);
      std::snprintf(cells[1], sizeof cells[1], "%.4f", r.order.mean_l2);
      std::snprintf(cells[2], sizeof cells[2], "%.2e", r.order_without_pe.mean_one_minus_cosine);
      std::snprintf(cells[3], sizeof cells[3], "%.2e", r.order_without_pe.mean_l2);
      order.rows.push_back(
          {r.name, std::to_string(r.order.sentences), cells[0], cells[1], cells[2], cells[3]});
      order.row_titles.push_back(r.name + ": the same weights under --pe none are the control");
    }
    report.tables.push_back(std::move(order));
    report.svg = picture();
    report.figure_caption =
        "Position similarity of the encodings added to the input, accuracy by bucket (beyond the "
        "training length too) and order sensitivity beside its --pe none control (0).";
    write_text_file(*html, render_html(report));
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

  std::printf("compare-pe ");
  for (const ModelReport& r : reports) std::printf(" %s (%s)", r.name.c_str(), r.pe.c_str());
  std::printf("\n");
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
  std::vector<const ModelReport*> added, inside;
  for (const ModelReport& r : reports) (r.inside_attention ? inside : added).push_back(&r);
  std::printf("\n3. position structure (%d positions)\n", positions);
  if (!added.empty()) {
    std::printf("  added to the input: mean cosine between positions at distance d\n  %8s", "d");
    for (const ModelReport* r : added) std::printf(" %18s", r->name.c_str());
    std::printf("\n");
    for (int64_t d : report_distances(positions)) {
      std::printf("  %8lld", static_cast<long long>(d));
      for (const ModelReport* r : added) {
        if (r->positions.all_zero) {
          std::printf(" %18s", "(adds nothing)");
        } else {
          std::printf(" %+18.4f", r->positions.by_distance[static_cast<size_t>(d)]);
        }
      }
      std::printf("\n");
    }
  }
  if (!inside.empty()) {
    std::printf(
        "  inside attention: mean over layers and heads of what position adds to the "
        "score of key j for query i\n  %8s",
        "j - i");
    for (const ModelReport* r : inside) std::printf(" %18s", r->name.c_str());
    std::printf("\n");
    std::vector<int64_t> distances = {0};
    for (int64_t d : report_distances(positions)) {
      distances.insert(distances.begin(), -d);
      distances.push_back(d);
    }
    for (int64_t d : distances) {
      std::printf("  %8lld", static_cast<long long>(d));
      for (const ModelReport* r : inside) {
        std::printf(" %+18.4f", r->score_by_distance[static_cast<size_t>(d + positions - 1)]);
      }
      std::printf("\n");
    }
  }
  return 0;
}

}  // namespace ordo::cli
