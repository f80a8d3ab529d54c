// `ordo bench`: steady-state latency of one forward pass on synthetic ids.
// A first version (engine-core issue): one case per run, for the ONNX Runtime comparison.
#include <algorithm>
#include <chrono>
#include <iostream>
#include <random>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "common.h"

namespace ordo::cli {

const char* const kBenchHelp =
    R"(usage: ordo bench [--model DIR] [--batch B] [--seq T] [--seconds S] [--json]

Times the forward pass on random ids (fixed seed) after a warm-up and reports the median and
90th-percentile latency and the throughput in real tokens per second.

  --model DIR    model directory (default: the bundled sinusoidal model)
  --batch B      sequences per call (default 1)
  --seq T        tokens per sequence (default 128)
  --seconds S    how long to measure (default 3)
  --min-runs N   measure at least N calls (default 10)
  --pe KIND      none | sinusoidal | sinusoidal-blocked | learned
  --threads N    OpenMP threads
  --check-weights
                 stop with an error if any weight is NaN or Inf (a load-time scan)
  --json         one JSON object instead of a table
)";

namespace {

// Multiply-adds of the encoder stack, counted as 2 FLOPs each: the projections and FFN per
// token, and QK^T plus PV per token pair and head.
double forward_flops(const models::LoadedModel& model, int64_t batch, int64_t length) {
  const EncoderSpec& spec = model.spec;
  const double h = static_cast<double>(spec.hidden_size);
  const double f = static_cast<double>(spec.intermediate_size);
  const double tokens = static_cast<double>(batch * length);
  const double per_layer = 2.0 * tokens * (4.0 * h * h + 2.0 * h * f) +
                           2.0 * 2.0 * static_cast<double>(batch) * length * length * h;
  return per_layer * static_cast<double>(spec.layers.size());
}

}  // namespace

int run_bench(const std::vector<std::string>& arguments) {
  std::set<std::string> options = kModelOptions;
  options.insert({"--batch", "--seq", "--seconds", "--min-runs"});
  const Args args(arguments, with_model_flags({"--json"}), options);
  if (!args.positional().empty())
    throw UsageError("unexpected argument '" + args.positional().front() + "'");
  const int batch = args.integer("--batch", 1, 1, 4096);
  const int length = args.integer("--seq", 128, 1, static_cast<int>(kMaxTokensPerSequence));
  const double seconds = args.real("--seconds", 3.0, 0.0, 3600.0);
  const int min_runs = args.integer("--min-runs", 10, 1, 1 << 20);

  const LoadedEncoder loaded = load_encoder(args);
  std::mt19937 random(1234);
  std::uniform_int_distribution<int32_t> token(
      5, static_cast<int32_t>(loaded.model.spec.vocab_size - 1));
  EncoderInput input;
  for (int b = 0; b < batch; ++b) {
    std::vector<int32_t> ids(static_cast<size_t>(length));
    for (auto& id : ids) id = token(random);
    input.ids.push_back(std::move(ids));
  }
  for (int i = 0; i < 3; ++i) loaded.encoder.forward(input);  // primitives for this shape

  std::vector<double> times_ms;
  const auto start = std::chrono::steady_clock::now();
  while (true) {
    const auto before = std::chrono::steady_clock::now();
    loaded.encoder.forward(input);
    const auto after = std::chrono::steady_clock::now();
    times_ms.push_back(std::chrono::duration<double, std::milli>(after - before).count());
    const double elapsed = std::chrono::duration<double>(after - start).count();
    if (static_cast<int>(times_ms.size()) >= min_runs && elapsed >= seconds) break;
  }
  std::sort(times_ms.begin(), times_ms.end());
  const double median = times_ms[times_ms.size() / 2];
  const double p90 = times_ms[std::min(times_ms.size() - 1, times_ms.size() * 9 / 10)];
  const double tokens_per_s = static_cast<double>(batch) * length / (median / 1000.0);
  const double gflops = forward_flops(loaded.model, batch, length) / (median / 1000.0) / 1e9;

  if (args.flag("--json")) {
    const nlohmann::json result = {
        {"model", loaded.model.directory.string()},
        {"batch", batch},
        {"seq", length},
        {"runs", times_ms.size()},
        {"median_ms", median},
        {"p90_ms", p90},
        {"tokens_per_s", tokens_per_s},
        {"gflops", gflops},
        {"load_ms", loaded.load_ms},
    };
    std::cout << result.dump() << '\n';
  } else {
    std::cout << "model " << loaded.model.directory.string() << ", batch " << batch << " x "
              << length << " tokens, " << times_ms.size() << " runs\n"
              << "median " << median << " ms, p90 " << p90 << " ms, " << tokens_per_s
              << " tokens/s, " << gflops << " GFLOP/s, load " << loaded.load_ms << " ms\n";
  }
  return 0;
}

}  // namespace ordo::cli
