// `ordo fill "text with [MASK]"`: the model's masked-language-model head, top-k per mask.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <numeric>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "common.h"
#include "ordo/error.h"

namespace ordo::cli {

const char* const kFillHelp = R"(usage: ordo fill [options] "text with [MASK] in it"

Predicts each masked token with the model's masked-language-model head (BERT's dense +
activation + LayerNorm + decoder tied to the word embeddings + bias) and prints the top k
pieces with their probabilities. The mask token is the tokenizer's ([MASK] for ordo's models).

  --model DIR    model directory (default: the bundled sinusoidal model)
  --top-k K      predictions per mask (default 5)
  --pe KIND      run under another positional encoding: none | sinusoidal |
                 sinusoidal-blocked | learned (on the input), rotary | alibi | relative_key |
                 relative_key_query | relative_bias (inside attention)
  --dtype TYPE   f32 (default), bf16 (AVX512-BF16/AMX CPUs) or int8: the projections in a
                 faster, approximate number type
  --max-tokens N tokens per sequence (default: what the model declares; up to its position
                 table, or 4096 for encodings without one)
  --threads N    OpenMP threads
  --check-weights
                 stop with an error if any weight is NaN or Inf (a load-time scan)
  --json         machine-readable output
)";

int run_fill(const std::vector<std::string>& arguments) {
  std::set<std::string> options = kModelOptions;
  options.insert({"--max-tokens", "--top-k", "--dtype"});
  const Args args(arguments, with_model_flags({"--json"}), options);
  if (args.positional().size() != 1) {
    throw UsageError("expected one text with a mask token, got " +
                     std::to_string(args.positional().size()) + " arguments");
  }
  const int top_k = args.integer("--top-k", 5, 1, 1000);
  const LoadedEncoder loaded = load_encoder(args);
  if (!loaded.encoder.has_masked_lm_head()) {
    throw Error(loaded.model.directory.string() +
                ": this checkpoint has no masked-language-model head (cls.predictions.*)");
  }
  const tokenizer::Tokenizer& tokenizer = loaded.model.require_tokenizer();
  const auto encoding = tokenizer.encode_masked(args.positional()[0], max_tokens(loaded));
  check_sequence_length(encoding.ids.size(), "the text");
  const int32_t mask = *tokenizer.mask_id();
  std::vector<std::pair<int64_t, int64_t>> rows;
  for (size_t i = 0; i < encoding.ids.size(); ++i) {
    if (encoding.ids[i] == mask) rows.emplace_back(0, static_cast<int64_t>(i));
  }
  if (rows.empty())
    throw UsageError("the text has no mask token (write it as " + tokenizer.token(mask) + ")");

  const EncoderOutput output = loaded.encoder.forward({{encoding.ids}, {encoding.token_types}});
  const Tensor logits = loaded.encoder.masked_lm_logits(output, rows);
  require_finite(output);
  require_finite(logits.data(), logits.numel(), "the MLM logits");
  const int64_t vocab = logits.dim(1);
  nlohmann::json masks = nlohmann::json::array();
  for (size_t r = 0; r < rows.size(); ++r) {
    const float* row = logits.data() + static_cast<int64_t>(r) * vocab;
    const float largest = *std::max_element(row, row + vocab);
    double total = 0;
    for (int64_t v = 0; v < vocab; ++v) total += std::exp(double{row[v]} - largest);
    std::vector<int32_t> order(static_cast<size_t>(vocab));
    std::iota(order.begin(), order.end(), 0);
    const auto k = std::min<size_t>(static_cast<size_t>(top_k), order.size());
    std::partial_sort(order.begin(), order.begin() + static_cast<long>(k), order.end(),
                      [&](int32_t x, int32_t y) { return row[x] > row[y]; });
    nlohmann::json predictions = nlohmann::json::array();
    for (size_t i = 0; i < k; ++i) {
      const int32_t id = order[i];
      predictions.push_back({{"token", tokenizer.token(id)},
                             {"id", id},
                             {"probability", std::exp(double{row[id]} - largest) / total}});
    }
    masks.push_back({{"position", rows[r].second}, {"predictions", predictions}});
  }
  if (args.flag("--json")) {
    std::cout << nlohmann::json{{"model", loaded.model.directory.string()},
                                {"tokens", encoding.tokens},
                                {"masks", masks}}
                     .dump(2)
              << '\n';
    return 0;
  }
  for (const auto& entry : masks) {
    std::printf("mask at token %lld:\n", static_cast<long long>(entry["position"].get<int64_t>()));
    for (const auto& prediction : entry["predictions"]) {
      // Padded by display width: a CJK piece takes two columns, so printf's byte count would
      // push its row out of line.
      std::printf("  %s %6.2f%%\n", pad_to(prediction["token"].get<std::string>(), 16).c_str(),
                  100.0 * prediction["probability"].get<double>());
    }
  }
  return 0;
}

}  // namespace ordo::cli
