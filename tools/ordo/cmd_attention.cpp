// `ordo attention "TEXT"`: every layer's and head's attention probabilities for one text.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <numeric>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "common.h"
#include "npy.h"
#include "pair_analysis.h"
#include "svg.h"

namespace ordo::cli {

const char* const kAttentionHelp = R"(usage: ordo attention [options] "TEXT"

The attention probabilities of every layer and head for TEXT: row q of a matrix is how
query token q spreads its attention over the keys (each row sums to 1).

  --json          print {"tokens", "shape": [layers, heads, T, T], "attentions"}
  --npy FILE      write the attentions, float32 [layers, heads, T, T]
  --svg FILE      draw one map, labelled with the tokens: block --layer, head --head
  --layer N       block for --svg and the text summary, 1 .. layers (default: the last)
  --head H        head for --svg and the text summary (default: mean over heads)
  --top K         keys listed per token in the text summary (default 3)
  --scale HOW     colours of the maps: shared (default: the darkest is the largest value in
                  any map drawn), own (each map its own largest: most contrast) or fixed
                  (the darkest is probability 1)
  --model DIR     model directory (default: the bundled sinusoidal model)
  --pe KIND       run under another positional encoding: none | sinusoidal |
                  sinusoidal-blocked | learned (on the input), rotary | alibi | relative_key |
                  relative_key_query | relative_bias (inside attention)
  --dtype TYPE    f32 (default), bf16 (AVX512-BF16/AMX CPUs) or int8: the projections in a
                  faster, approximate number type
  --max-tokens N  tokens per sequence (default: what the model declares; up to its position
                  table, or 4096 for encodings without one)
  --threads N     OpenMP threads
  --check-weights stop with an error if any weight is NaN or Inf (a load-time scan)
Without --json the text summary lists, for each token, the keys it attends to most.
)";

int run_attention(const std::vector<std::string>& arguments) {
  std::set<std::string> options = kModelOptions;
  options.insert(
      {"--max-tokens", "--npy", "--svg", "--layer", "--head", "--top", "--dtype", "--scale"});
  const Args args(arguments, with_model_flags({"--json"}), options);
  if (args.positional().size() != 1) {
    throw UsageError("expected one text, got " + std::to_string(args.positional().size()));
  }
  const LoadedEncoder loaded = load_encoder(args);
  const int layers = static_cast<int>(loaded.encoder.num_layers());
  const int heads = static_cast<int>(loaded.encoder.num_heads());
  const int layer = args.integer("--layer", layers, 1, layers);
  const int head = args.integer("--head", -1, 0, heads - 1);
  const int top = args.integer("--top", 3, 1, 1000);
  const auto text = tokenize(loaded, args.positional()[0], "text");
  ForwardOptions forward;
  forward.output_attentions = true;
  const EncoderOutput output = loaded.encoder.forward({{text.ids}, {text.token_types}}, forward);
  require_finite(output);
  const auto n = static_cast<int64_t>(text.ids.size());

  // One sequence: each layer's [1, heads, n, n] is already [heads, n, n] in memory.
  Tensor all({layers, heads, n, n});
  for (int l = 0; l < layers; ++l) {
    const Tensor& a = output.attentions[static_cast<size_t>(l)];
    std::copy(a.data(), a.data() + a.numel(), all.data() + l * a.numel());
  }
  if (const auto npy = args.value("--npy")) write_npy(*npy, all);
  const std::vector<float> chosen = attention_matrix(output, 0, layer, head);
  const std::string which =
      "block " + std::to_string(layer) + ", " +
      (head < 0 ? std::string("mean over heads") : "head " + std::to_string(head));
  if (const auto svg = args.value("--svg")) {
    Figure figure{"Attention, " + which, "row = query token, column = key token; " +
                                             loaded.model.directory.filename().string() + ", pe " +
                                             to_string(loaded.encoder.position_kind())};
    figure.maps = {{args.positional()[0], text.tokens, chosen}};
    figure.colour_scale = colour_scale_option(args);
    write_text_file(*svg, render_svg(figure));
  }
  if (args.flag("--json")) {
    nlohmann::json layers_json = nlohmann::json::array();
    for (int l = 0; l < layers; ++l) {
      nlohmann::json heads_json = nlohmann::json::array();
      for (int h = 0; h < heads; ++h) {
        nlohmann::json rows = nlohmann::json::array();
        for (int64_t q = 0; q < n; ++q) {
          const float* row = all.data() + ((static_cast<int64_t>(l) * heads + h) * n + q) * n;
          rows.push_back(std::vector<float>(row, row + n));
        }
        heads_json.push_back(std::move(rows));
      }
      layers_json.push_back(std::move(heads_json));
    }
    const nlohmann::json document = {{"model", loaded.model.directory.string()},
                                     {"pe", to_string(loaded.encoder.position_kind())},
                                     {"tokens", text.tokens},
                                     {"ids", text.ids},
                                     {"shape", all.shape()},
                                     {"attentions", std::move(layers_json)}};
    std::cout << document.dump() << '\n';
    return 0;
  }
  std::printf("model  %s  (pe %s, %d layers x %d heads)\n", loaded.model.directory.c_str(),
              to_string(loaded.encoder.position_kind()), layers, heads);
  std::printf("%s: the keys each token attends to most\n", which.c_str());
  for (int64_t q = 0; q < n; ++q) {
    std::vector<int64_t> keys(static_cast<size_t>(n));
    std::iota(keys.begin(), keys.end(), 0);
    const int64_t shown = std::min<int64_t>(top, n);
    std::partial_sort(keys.begin(), keys.begin() + shown, keys.end(),
                      [&](int64_t x, int64_t y) { return chosen[q * n + x] > chosen[q * n + y]; });
    std::printf("  %3lld %s ", static_cast<long long>(q), pad_to(text.tokens[q], 12).c_str());
    for (int64_t k = 0; k < shown; ++k) {
      std::printf("  %s %.3f", text.tokens[keys[k]].c_str(), chosen[q * n + keys[k]]);
    }
    std::printf("\n");
  }
  return 0;
}

}  // namespace ordo::cli
