// `ordo bench`: steady-state latency and throughput of the forward pass on random ids (fixed
// seed), against the machine's measured FMA peak; one case, or the standard grid.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <optional>
#include <random>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "common.h"
#include "fma_peak.h"
#include "ops/attention.h"
#include "ops/cpu.h"
#include "ordo/error.h"
#include "synthetic_model.h"

namespace ordo::cli {

const char* const kBenchHelp =
    R"(usage: ordo bench [--model DIR | --shape NAME] [--batch B] [--seq T | --ragged MIN-MAX]
                  [--threads N] [--dtype f32|bf16|int8] [--seconds S] [--profile] [--json]

Times the forward pass on random ids (fixed seed) after a warm-up: median and 90th-percentile
latency, throughput in real tokens per second (padding is not counted), achieved GFLOP/s and
its fraction of the machine's f32 FMA peak (measured with the same threads at start-up and
again after every case, the best kept), peak resident memory and model load time. The header
and each JSON object name the instruction set in use ("isa", capped by ORDO_ISA; "onednn_isa";
"ordo_kernels": which of ordo's own kernels run, "avx512", "avx2" or "none"); the FMA peak
is that level's.

Without --batch, --seq or --ragged it runs the grid 1x16, 1x128, 8x128, 32x32 and a ragged
batch of 32 sequences with lengths uniform in 8-128; without --model or --shape it does so on
both synthetic shapes.

  --model DIR      a model directory
  --shape NAME     a random-weight model built in memory: minilm (6 x 384, 12 heads, FFN 1536)
                   or bert-base (12 x 768, 12 heads, FFN 3072), vocabulary 30522; or, each
                   12 x 768 with 12 heads, mpnet-base (relative bias), nomic-v1.5 (rotary
                   base 1000, SwiGLU 3072, no linear biases), gte-base (NTK rotary, GLU 3072);
                   or modernbert-base (ModernBERT's layout: 22 x 768, 12 heads, GeGLU 1152,
                   rotary, local attention of 128 tokens on all but every 3rd layer,
                   vocabulary 50368) and modernbert-base-global (the same weights, every
                   layer global)
  --batch B        sequences per call (default 1, or 32 with --ragged)
  --seq T          tokens per sequence (default 128)
  --ragged MIN-MAX sequence lengths drawn uniformly from MIN..MAX (fixed seed)
  --lengths L,L,.. exactly these sequence lengths, one sequence each (for a peer benchmark
                   that must see the same batch)
  --dtype TYPE     f32 (default), bf16 or int8: the four projections of every layer in bf16
                   (AVX512-BF16 or AMX CPUs only) or quantized to int8 (weights per channel,
                   activations per token); GFLOP/s then counts the same operations, so its
                   fraction of the f32 peak can pass 100%, and each case adds the smallest
                   cosine similarity of the sentence vectors (mean pooling) to the f32 ones
  --seconds S      how long to measure each case (default 3)
  --min-runs N     measure at least N calls per case (default 10)
  --profile        add the time per op (projections, attention, FFN, LayerNorm, ...), the
                   median over 5 more calls
  --pe KIND[,KIND]  run under other positional encodings, each timed on every case beside the
                   others: none | sinusoidal | sinusoidal-blocked | learned (on the input),
                   rotary | alibi | relative_key | relative_key_query | relative_bias (inside
                   attention); the synthetic shapes have the tables of every kind
  --threads N      OpenMP threads
  --check-weights  stop with an error if any weight is NaN or Inf (a load-time scan)
  --json           one JSON object per case (JSON Lines) instead of a table
  --serve          for a peer benchmark (tools/bench/compare_ort.py; one case, any --dtype):
                   warm up, print {"ready": true, "flops": F, ...} (F per forward pass), then time one
                   block (--seconds, --min-runs) for every line read from stdin and print its
                   JSON line; ends at end of input
)";

namespace {

struct Case {
  int batch = 1;
  int min_length = 128, max_length = 128;  // equal unless ragged
  std::vector<int32_t> lengths;            // --lengths: exactly these, batch = their count
  std::string label() const {
    return min_length == max_length ? std::to_string(batch) + "x" + std::to_string(min_length)
                                    : std::to_string(batch) + "x" + std::to_string(min_length) +
                                          "-" + std::to_string(max_length);
  }
};

const std::vector<Case> kGrid = {
    {1, 16, 16, {}}, {1, 128, 128, {}}, {8, 128, 128, {}}, {32, 32, 32, {}}, {32, 8, 128, {}}};

// "8-128" -> {8, 128}
std::pair<int, int> parse_range(const std::string& text) {
  const auto dash = text.find('-');
  try {
    if (dash == std::string::npos) throw std::invalid_argument("no dash");
    size_t used_min = 0, used_max = 0;
    const int min = std::stoi(text.substr(0, dash), &used_min);
    const int max = std::stoi(text.substr(dash + 1), &used_max);
    if (used_min != dash || used_max != text.size() - dash - 1) throw std::invalid_argument("");
    if (min < 1 || max < min || max > static_cast<int>(kMaxTokensPerSequence))
      throw std::out_of_range("");
    return {min, max};
  } catch (const std::logic_error&) {
    throw UsageError("--ragged: expected MIN-MAX with 1 <= MIN <= MAX <= " +
                     std::to_string(kMaxTokensPerSequence) + ", got '" + text + "'");
  }
}

EncoderInput random_input(const Case& c, int64_t vocab) {
  std::mt19937 random(1234);
  std::uniform_int_distribution<int32_t> token(5, static_cast<int32_t>(vocab - 1));
  std::uniform_int_distribution<int> length(c.min_length, c.max_length);
  EncoderInput input;
  for (int b = 0; b < c.batch; ++b) {
    const int n = c.lengths.empty() ? length(random) : c.lengths[static_cast<size_t>(b)];
    std::vector<int32_t> ids(static_cast<size_t>(n));
    for (auto& id : ids) id = token(random);
    input.ids.push_back(std::move(ids));
  }
  return input;
}

// Multiply-adds of the encoder stack on the real tokens, counted as 2 FLOPs each: projections
// and FFN per token (a gated FFN has three matrices), QK^T and PV per token pair of each
// sequence that attention computes (under local attention, the pairs within the window).
double forward_flops(const EncoderSpec& spec, const EncoderInput& input) {
  const double h = static_cast<double>(spec.hidden_size);
  const double f = static_cast<double>(spec.intermediate_size);
  double total = 0.0;
  for (const LayerWeights& layer : spec.layers) {
    const double ffn_matrices = layer.ffn_gate_weight.empty() ? 2.0 : 3.0;
    for (const auto& ids : input.ids) {
      const auto length = static_cast<int64_t>(ids.size());
      const auto pairs = static_cast<double>(ops::attended_pairs(length, layer.attention_window));
      total += 2.0 * static_cast<double>(length) * (4.0 * h * h + ffn_matrices * h * f) +
               4.0 * pairs * h;
    }
  }
  return total;
}

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

struct Settings {
  double seconds = 3.0;
  int min_runs = 10;
  bool profile = false;
  bool json = false;
  ComputeType compute = ComputeType::f32;
  bool serve = false;
};

// The smallest cosine similarity between the bf16 or int8 and the f32 sentence vectors (mean
// pooling) of the batch: what the number type costs in accuracy, beside what it gains in speed.
double min_cosine_vs_f32(const Encoder& quantized, const Encoder& reference,
                         const EncoderInput& input) {
  const Tensor a = quantized.forward(input).pooled, b = reference.forward(input).pooled;
  double worst = 1.0;
  for (int64_t row = 0; row < a.dim(0); ++row) {
    double dot = 0.0, norm_a = 0.0, norm_b = 0.0;
    for (int64_t i = 0; i < a.dim(1); ++i) {
      const double x = a.data()[row * a.dim(1) + i], y = b.data()[row * b.dim(1) + i];
      dot += x * y, norm_a += x * x, norm_b += y * y;
    }
    worst = std::min(worst, dot / std::sqrt(norm_a * norm_b));
  }
  return worst;
}

int64_t count_tokens(const EncoderInput& input) {
  int64_t tokens = 0;
  for (const auto& ids : input.ids) tokens += static_cast<int64_t>(ids.size());
  return tokens;
}

struct Timing {
  size_t runs = 0;
  double median_ms = 0.0, p90_ms = 0.0;
};

// Calls until both --seconds and --min-runs are reached.
Timing time_calls(const Encoder& encoder, const EncoderInput& input, const Settings& settings) {
  std::vector<double> times_ms;
  const auto start = std::chrono::steady_clock::now();
  while (true) {
    const auto before = std::chrono::steady_clock::now();
    encoder.forward(input);
    const auto after = std::chrono::steady_clock::now();
    times_ms.push_back(std::chrono::duration<double, std::milli>(after - before).count());
    const double elapsed = std::chrono::duration<double>(after - start).count();
    if (static_cast<int>(times_ms.size()) >= settings.min_runs && elapsed >= settings.seconds)
      break;
  }
  std::sort(times_ms.begin(), times_ms.end());
  return {times_ms.size(), times_ms[times_ms.size() / 2],
          times_ms[std::min(times_ms.size() - 1, times_ms.size() * 9 / 10)]};
}

// --serve: a peer benchmark alternates short blocks of this engine and another, both kept
// loaded, so that a slowdown of the host lasting seconds hits both sides of a pair. Prints
// {"ready": ...} after the warm-up, then times one block per line read from stdin and prints
// its JSON line; returns at end of input.
void serve_case(const LoadedEncoder& loaded, const Case& c, const Settings& settings) {
  const EncoderInput input = random_input(c, loaded.model.spec.vocab_size);
  const int64_t tokens = count_tokens(input);
  for (int i = 0; i < 3; ++i) loaded.encoder.forward(input);
  std::cout << nlohmann::json{{"ready", true},
                              {"case", c.label()},
                              {"tokens", tokens},
                              {"flops", forward_flops(loaded.model.spec, input)},
                              {"load_ms", loaded.load_ms}}
                   .dump()
            << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
    const Timing t = time_calls(loaded.encoder, input, settings);
    std::cout << nlohmann::json{{"runs", t.runs},
                                {"median_ms", t.median_ms},
                                {"p90_ms", t.p90_ms},
                                {"tokens_per_s", static_cast<double>(tokens) / (t.median_ms / 1e3)}}
                     .dump()
              << std::endl;
  }
}

LoadedEncoder synthetic_encoder(const std::string& name, ComputeType compute,
                                std::optional<PositionKind> pe) {
  const auto start = std::chrono::steady_clock::now();
  models::LoadedModel model;
  model.directory = "synthetic:" + name;
  model.model_type = "bert";
  model.spec = synthetic_spec(synthetic_shape(name));
  Encoder encoder(model.spec, EncoderOptions{pe, compute});
  const std::chrono::duration<double, std::milli> elapsed =
      std::chrono::steady_clock::now() - start;
  return LoadedEncoder{std::move(model), std::move(encoder), elapsed.count()};
}

nlohmann::json run_case(const LoadedEncoder& loaded, const std::string& model_name, const Case& c,
                        FmaPeak& peak, const Settings& settings, const Encoder* f32_reference) {
  const EncoderInput input = random_input(c, loaded.model.spec.vocab_size);
  const int64_t tokens = count_tokens(input);
  for (int i = 0; i < 3; ++i) loaded.encoder.forward(input);  // primitives for these shapes
  const Timing timing = time_calls(loaded.encoder, input, settings);
  // The host can slow one vCPU for a whole second, so one start-up measurement of the peak can
  // come out at half the hardware's (175 against 350 GFLOP/s on a 2-core AVX-512 Xeon): measure
  // again after every case and keep the best, so no case reports its fraction of a depressed peak.
  const FmaPeak again = measure_fma_peak();
  if (again.gflops > peak.gflops) peak = again;
  const double median = timing.median_ms;
  const double gflops = forward_flops(loaded.model.spec, input) / (median / 1000.0) / 1e9;

  nlohmann::json result = {
      {"model", model_name},
      {"pe", to_string(loaded.encoder.position_kind())},
      {"case", c.label()},
      {"batch", c.batch},
      {"seq", c.max_length},
      {"tokens", tokens},
      {"dtype", to_string(settings.compute)},
      {"threads", peak.threads},
      {"runs", timing.runs},
      {"median_ms", median},
      {"p90_ms", timing.p90_ms},
      {"tokens_per_s", static_cast<double>(tokens) / (median / 1000.0)},
      {"gflops", gflops},
      {"peak_gflops", peak.gflops},
      {"peak_isa", peak.isa},
      {"isa", ops::to_string(ops::cpu_dispatch().active)},
      {"onednn_isa", ops::cpu_dispatch().onednn_name},
      {"ordo_kernels", ops::cpu_dispatch().kernels()},
      {"peak_fraction", gflops / peak.gflops},
      {"peak_rss_mb", peak_rss_mb()},
      {"load_ms", loaded.load_ms},
  };
  if (c.min_length != c.max_length) result["ragged"] = {c.min_length, c.max_length};
  if (f32_reference != nullptr)
    result["min_cosine_vs_f32"] = min_cosine_vs_f32(loaded.encoder, *f32_reference, input);

  if (settings.profile) {
    // Separate calls, so that the clock reads do not touch the timed runs above. Each op's time
    // is its median over the calls, as the forward pass's is: a shared host's slow moments then
    // move it less than they would move a mean.
    constexpr int kProfiledCalls = 5;
    ForwardOptions options;
    options.profile = true;
    struct Samples {
      OpTime op;  // the first call's, for the name, calls and FLOPs (the same in every call)
      std::vector<double> ms;
    };
    std::vector<Samples> samples;
    for (int i = 0; i < kProfiledCalls; ++i) {
      for (const OpTime& op : loaded.encoder.forward(input, options).profile) {
        auto it = std::find_if(samples.begin(), samples.end(),
                               [&](const Samples& seen) { return seen.op.op == op.op; });
        if (it == samples.end()) it = samples.insert(samples.end(), Samples{op, {}});
        it->ms.push_back(op.ms);
      }
    }
    std::vector<double> median_ms;
    double all_ms = 0.0;
    for (Samples& op : samples) {
      std::sort(op.ms.begin(), op.ms.end());
      median_ms.push_back(op.ms[op.ms.size() / 2]);
      all_ms += median_ms.back();
    }
    nlohmann::json ops = nlohmann::json::array();
    for (size_t i = 0; i < samples.size(); ++i) {
      const OpTime& op = samples[i].op;
      const double ms = median_ms[i];
      nlohmann::json entry = {
          {"op", op.op}, {"calls", op.calls}, {"ms", ms}, {"share", ms / all_ms}};
      if (op.flops > 0) {
        const double op_gflops = op.flops / ms / 1e6;
        entry["gflops"] = op_gflops;
        entry["peak_fraction"] = op_gflops / peak.gflops;
      }
      ops.push_back(entry);
    }
    result["profile"] = ops;
  }
  return result;
}

// `model_width`: the model column, as wide as the longest name (padded by display width).
void print_row(const nlohmann::json& r, size_t model_width) {
  char line[256];
  std::cout << pad_to(r["model"].get<std::string>(), model_width) << ' ';
  std::snprintf(line, sizeof line, "%-18s %-10s %6lld %9.2f %9.2f %11.0f %8.1f %5.0f%% %7.0f\n",
                r["pe"].get<std::string>().c_str(), r["case"].get<std::string>().c_str(),
                static_cast<long long>(r["tokens"].get<int64_t>()), r["median_ms"].get<double>(),
                r["p90_ms"].get<double>(), r["tokens_per_s"].get<double>(),
                r["gflops"].get<double>(), 100.0 * r["peak_fraction"].get<double>(),
                r["peak_rss_mb"].get<double>());
  std::cout << line;
  if (r.contains("min_cosine_vs_f32")) {
    std::snprintf(line, sizeof line, "    %s sentence vectors vs f32: min cosine %.6f\n",
                  r["dtype"].get<std::string>().c_str(), r["min_cosine_vs_f32"].get<double>());
    std::cout << line;
  }
  if (!r.contains("profile")) return;
  for (const auto& op : r["profile"]) {
    std::snprintf(line, sizeof line, "    %-24s %8.3f ms %5.1f%%",
                  op["op"].get<std::string>().c_str(), op["ms"].get<double>(),
                  100.0 * op["share"].get<double>());
    std::cout << line;
    if (op.contains("gflops")) {
      std::snprintf(line, sizeof line, " %8.1f GFLOP/s %5.0f%% of peak", op["gflops"].get<double>(),
                    100.0 * op["peak_fraction"].get<double>());
      std::cout << line;
    }
    std::cout << '\n';
  }
}

// --pe KIND[,KIND...]: each kind is timed on every case, next to the others, so that their
// costs compare within one run. No --pe: the model's own kind.
std::vector<std::optional<PositionKind>> parse_pe_list(const Args& args) {
  const auto list = args.value("--pe");
  if (!list) return {std::nullopt};
  std::vector<std::optional<PositionKind>> kinds;
  size_t begin = 0;
  while (true) {
    const size_t comma = list->find(',', begin);
    const std::string name = list->substr(begin, comma - begin);
    try {
      kinds.emplace_back(parse_position_kind(name));
    } catch (const Error& e) {
      throw UsageError(std::string("--pe: ") + e.what());
    }
    if (comma == std::string::npos) break;
    begin = comma + 1;
  }
  return kinds;
}

}  // namespace

int run_bench(const std::vector<std::string>& arguments) {
  std::set<std::string> options = kModelOptions;
  options.insert({"--shape", "--batch", "--seq", "--ragged", "--lengths", "--dtype", "--seconds",
                  "--min-runs"});
  const Args args(arguments, with_model_flags({"--json", "--profile", "--serve"}), options);
  if (!args.positional().empty())
    throw UsageError("unexpected argument '" + args.positional().front() + "'");
  if (args.value("--model") && args.value("--shape"))
    throw UsageError("--model and --shape are alternatives: give one");
  if ((args.value("--seq") ? 1 : 0) + (args.value("--ragged") ? 1 : 0) +
          (args.value("--lengths") ? 1 : 0) >
      1)
    throw UsageError("--seq, --ragged and --lengths are alternatives: give one");
  if (args.value("--lengths") && args.value("--batch"))
    throw UsageError("--lengths sets the batch (one sequence per length): drop --batch");
  const ComputeType compute = parse_dtype(args);
  Settings settings;
  settings.seconds = args.real("--seconds", 3.0, 0.0, 3600.0);
  settings.min_runs = args.integer("--min-runs", 10, 1, 1 << 20);
  settings.profile = args.flag("--profile");
  settings.json = args.flag("--json");
  settings.compute = compute;
  settings.serve = args.flag("--serve");

  std::vector<Case> cases = kGrid;
  if (args.value("--batch") || args.value("--seq") || args.value("--ragged") ||
      args.value("--lengths")) {
    Case c;
    if (const auto lengths = args.value("--lengths")) {
      c.lengths = parse_int_list(*lengths, "--lengths");
      for (int32_t n : c.lengths)
        if (n < 1 || n > static_cast<int32_t>(kMaxTokensPerSequence))
          throw UsageError("--lengths: " + std::to_string(n) + " is not in 1.." +
                           std::to_string(kMaxTokensPerSequence));
      c.batch = static_cast<int>(c.lengths.size());
      c.min_length = *std::min_element(c.lengths.begin(), c.lengths.end());
      c.max_length = *std::max_element(c.lengths.begin(), c.lengths.end());
    } else if (const auto ragged = args.value("--ragged")) {
      std::tie(c.min_length, c.max_length) = parse_range(*ragged);
      c.batch = 32;
    } else {
      c.min_length = c.max_length =
          args.integer("--seq", 128, 1, static_cast<int>(kMaxTokensPerSequence));
    }
    if (c.lengths.empty()) c.batch = args.integer("--batch", c.batch, 1, 4096);
    cases = {c};
  }

  if (settings.serve && cases.size() != 1)
    throw UsageError("--serve times one case: give --batch/--seq, --ragged or --lengths");
  if (settings.serve && (settings.profile || (!args.value("--model") && !args.value("--shape"))))
    throw UsageError("--serve takes one model (--model or --shape), and no --profile");

  const std::vector<std::optional<PositionKind>> kinds = parse_pe_list(args);
  if (settings.serve && kinds.size() != 1) throw UsageError("--serve times one --pe kind");
  // Everything that can fail on the user's input fails before anything is printed.
  std::vector<std::string> shapes;
  if (const auto shape = args.value("--shape")) {
    shapes = {synthetic_shape(*shape).name};
  } else if (!args.value("--model")) {
    for (const SyntheticShape& shape : synthetic_shapes())
      if (shape.in_default_run) shapes.push_back(shape.name);
  }
  apply_threads(args);
  models::LoadOptions load_options;
  load_options.check_weights = args.flag("--check-weights");
  // One encoder per kind, of the checkpoint or of a synthetic shape.
  const auto load_kinds = [&](const std::string& shape) {
    std::vector<LoadedEncoder> encoders;
    for (const auto& kind : kinds) {
      if (shape.empty()) {
        encoders.push_back(load_encoder(
            args.value("--model") ? *args.value("--model") : default_model_directory().string(),
            kind, load_options, compute));
      } else {
        encoders.push_back(synthetic_encoder(shape, compute, kind));
      }
    }
    return encoders;
  };
  std::vector<LoadedEncoder> checkpoint;
  if (shapes.empty()) checkpoint = load_kinds("");

  if (settings.serve) {
    serve_case(checkpoint.empty() ? load_kinds(shapes.front()).front() : checkpoint.front(),
               cases.front(), settings);
    return 0;
  }
  FmaPeak peak = measure_fma_peak();
  size_t model_width = 12;
  if (!checkpoint.empty()) {
    model_width =
        std::max(model_width, checkpoint.front().model.directory.filename().string().size());
  }
  for (const std::string& name : shapes) model_width = std::max(model_width, name.size());
  if (!settings.json) {
    const ops::CpuDispatch& cpu = ops::cpu_dispatch();
    std::cout << "ISA " << cpu.summary() << "; oneDNN " << cpu.onednn_name << "; ordo's kernels "
              << cpu.kernels_summary() << '\n'
              << "f32 FMA peak " << static_cast<int>(peak.gflops) << " GFLOP/s (" << peak.isa
              << ", " << peak.threads
              << " threads, measured; again after each case, the best kept)\n"
              << pad_to("model", model_width)
              << " pe                 case       tokens    median       p90    "
                 "tokens/s  GFLOP/s  peak  RSS MB\n";
  }
  const auto report = [&](const std::vector<LoadedEncoder>& encoders, const std::string& name) {
    std::vector<std::optional<Encoder>> f32_references(encoders.size());
    for (size_t k = 0; k < encoders.size() && compute != ComputeType::f32; ++k) {
      f32_references[k].emplace(encoders[k].model.spec, EncoderOptions{kinds[k]});
    }
    for (const Case& c : cases) {
      for (size_t k = 0; k < encoders.size(); ++k) {
        const nlohmann::json result = run_case(encoders[k], name, c, peak, settings,
                                               f32_references[k] ? &*f32_references[k] : nullptr);
        if (settings.json) {
          std::cout << result.dump() << std::endl;
        } else {
          print_row(result, model_width);
          std::cout.flush();
        }
      }
    }
  };
  if (!checkpoint.empty()) {
    report(checkpoint, checkpoint.front().model.directory.filename().string());
  }
  for (const std::string& name : shapes) report(load_kinds(name), name);
  return 0;
}

}  // namespace ordo::cli
