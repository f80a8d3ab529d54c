// `ordo pair "A" "B"`: the signature command. Encodes two sentences and shows how far each
// token they share moved between them — in its vector and in its attention row. Without a
// positional encoding and with B a permutation of A nothing moves (self-attention is
// permutation-equivariant); with one, word order shows.
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "common.h"
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
  --pe KIND       none | sinusoidal | sinusoidal-blocked | learned
  --layer N       hidden states after block N (0 = embeddings; default: the last block)
  --head H        attention head for the attention drift (default: mean over heads)
  --pooling KIND  cls | mean | max for the sentence vectors (default mean)
  --threads N     OpenMP threads
  --svg FILE      draw A's and B's attention maps (layer --layer, head --head or the mean)
                  side by side, labelled with the tokens, and each shared token's drift
  --json          machine-readable output
)";

namespace {

// Terminal columns of a UTF-8 string: CJK, full-width forms and emoji take two.
size_t display_width(const std::string& text) {
  size_t width = 0;
  for (size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    uint32_t code = length == 1 ? lead : lead & (0x7F >> length);
    for (size_t k = 1; k < length && i + k < text.size(); ++k)
      code = (code << 6) | (text[i + k] & 0x3F);
    const bool wide = (code >= 0x1100 && code <= 0x115F) || (code >= 0x2E80 && code <= 0xA4CF) ||
                      (code >= 0xAC00 && code <= 0xD7A3) || (code >= 0xF900 && code <= 0xFAFF) ||
                      (code >= 0xFE30 && code <= 0xFE4F) || (code >= 0xFF00 && code <= 0xFF60) ||
                      (code >= 0xFFE0 && code <= 0xFFE6) || (code >= 0x1F300 && code <= 0x1FAFF) ||
                      (code >= 0x20000 && code <= 0x3FFFD);
    width += wide ? 2 : 1;
    i += length;
  }
  return width;
}

std::string pad_to(const std::string& text, size_t width) {
  const size_t used = display_width(text);
  return used >= width ? text : text + std::string(width - used, ' ');
}

constexpr double kZeroDrift = 1e-4;  // float rounding is ~1e-6; real drift is far larger

std::string verdict(bool permutation, bool identical, double max_drift, PositionKind kind) {
  if (identical) return "A and B are the same token sequence: nothing can move.";
  if (permutation && max_drift <= kZeroDrift) {
    return std::string("B is a permutation of A and no shared token moved: ") +
           (kind == PositionKind::none
                ? "without a positional encoding, self-attention is permutation-equivariant."
                : "this encoding did not distinguish the orders.");
  }
  if (permutation) {
    return "B is a permutation of A, yet shared tokens moved (max L2 " + std::to_string(max_drift) +
           "): the " + to_string(kind) + " positional encoding makes word order matter.";
  }
  return "A and B differ in their tokens, so the drift mixes content and order; compare a "
         "reordering to isolate order.";
}

// Attention of sequence `index` at block max(layer, 1), head `head` or the mean over heads.
AttentionMap attention_map(const EncoderOutput& output, int64_t index,
                           const tokenizer::Encoding& encoding, int64_t layer, int64_t head,
                           const std::string& title) {
  const Tensor& attentions =
      output.attentions.at(static_cast<size_t>(std::max<int64_t>(layer, 1) - 1));
  const int64_t heads = attentions.dim(1), longest = attentions.dim(2);
  const auto n = static_cast<int64_t>(encoding.ids.size());
  AttentionMap map{title, encoding.tokens, std::vector<float>(static_cast<size_t>(n * n), 0.0f)};
  const int64_t first = head < 0 ? 0 : head, last = head < 0 ? heads : head + 1;
  for (int64_t h = first; h < last; ++h) {
    for (int64_t q = 0; q < n; ++q) {
      const float* row = attentions.data() + ((index * heads + h) * longest + q) * longest;
      for (int64_t k = 0; k < n; ++k)
        map.weights[q * n + k] += row[k] / static_cast<float>(last - first);
    }
  }
  return map;
}

std::string pair_svg(const EncoderOutput& output, const tokenizer::Encoding& a,
                     const tokenizer::Encoding& b, const std::vector<TokenDrift>& drift,
                     int64_t layer, int64_t head, const std::string& verdict) {
  const std::string which =
      "block " + std::to_string(std::max<int64_t>(layer, 1)) + ", " +
      (head < 0 ? std::string("mean over heads") : "head " + std::to_string(head));
  std::vector<DriftBar> bars;
  for (const auto& d : drift) bars.push_back({a.tokens[d.match.a], d.l2});
  return attention_pair_svg("Attention, " + which, verdict,
                            {attention_map(output, 0, a, layer, head, "A"),
                             attention_map(output, 1, b, layer, head, "B")},
                            bars,
                            "Drift of each shared token's vector between A and B at layer " +
                                std::to_string(layer) + " (L2)");
}

}  // namespace

int run_pair(const std::vector<std::string>& arguments) {
  std::set<std::string> options = kModelOptions;
  options.insert({"--layer", "--head", "--pooling", "--svg"});
  const Args args(arguments, {"--json"}, options);
  if (args.positional().size() != 2) {
    throw UsageError("expected two sentences, got " + std::to_string(args.positional().size()));
  }
  ForwardOptions forward;
  forward.output_hidden_states = true;
  forward.output_attentions = true;
  if (const auto pooling = args.value("--pooling")) {
    try {
      forward.pooling = parse_pooling(*pooling);
    } catch (const Error& e) {
      throw UsageError(std::string("--pooling: ") + e.what());
    }
  }
  const LoadedEncoder loaded = load_encoder(args);
  const int layers = static_cast<int>(loaded.encoder.num_layers());
  const int layer = args.integer("--layer", layers, 0, layers);
  const int head = args.integer("--head", -1, 0, static_cast<int>(loaded.encoder.num_heads()) - 1);

  const auto a = tokenize(loaded, args.positional()[0], "sentence A");
  const auto b = tokenize(loaded, args.positional()[1], "sentence B");
  const EncoderOutput output =
      loaded.encoder.forward({{a.ids, b.ids}, {a.token_types, b.token_types}}, forward);
  const int64_t hidden = loaded.encoder.hidden_size();
  const double sentence_cosine =
      cosine_similarity(output.pooled.data(), output.pooled.data() + hidden, hidden);
  const auto matches = match_shared_tokens(a.ids, b.ids);
  const auto drift = token_drift(output, matches, layer, head);
  double max_drift = 0;
  for (const auto& d : drift) max_drift = std::max(max_drift, d.l2);
  const bool permutation = is_permutation_of(a.ids, b.ids);
  const std::string conclusion =
      verdict(permutation, a.ids == b.ids, max_drift, loaded.encoder.position_kind());

  if (const auto svg = args.value("--svg")) {
    write_text_file(*svg, pair_svg(output, a, b, drift, layer, head, conclusion));
  }
  if (args.flag("--json")) {
    nlohmann::json shared = nlohmann::json::array();
    for (const auto& d : drift) {
      shared.push_back({{"token", a.tokens[d.match.a]},
                        {"index_a", d.match.a},
                        {"index_b", d.match.b},
                        {"cosine", d.cosine},
                        {"l2", d.l2},
                        {"attention_cosine", d.attention_cosine},
                        {"attention_l2", d.attention_l2}});
    }
    const nlohmann::json document = {
        {"model", loaded.model.directory.string()},
        {"pe", to_string(loaded.encoder.position_kind())},
        {"layer", layer},
        {"head", head < 0 ? nlohmann::json("mean") : nlohmann::json(head)},
        {"pooling", to_string(forward.pooling)},
        {"a", {{"text", args.positional()[0]}, {"tokens", a.tokens}, {"ids", a.ids}}},
        {"b", {{"text", args.positional()[1]}, {"tokens", b.tokens}, {"ids", b.ids}}},
        {"cosine", sentence_cosine},
        {"shared_tokens", shared},
        {"permutation", permutation},
        {"max_drift_l2", max_drift},
        {"verdict", conclusion}};
    std::cout << document.dump(2) << '\n';
    return 0;
  }
  auto join = [](const std::vector<std::string>& tokens) {
    std::string line;
    for (const auto& token : tokens) line += (line.empty() ? "" : " ") + token;
    return line;
  };
  std::printf("model  %s  (pe %s, %d layers, hidden %lld)\n", loaded.model.directory.c_str(),
              to_string(loaded.encoder.position_kind()), layers, static_cast<long long>(hidden));
  std::printf("A      %s\nB      %s\n", join(a.tokens).c_str(), join(b.tokens).c_str());
  std::printf("sentence cosine (%s pooling, last layer): %.4f\n\n", to_string(forward.pooling),
              sentence_cosine);
  std::printf(
      "shared tokens at layer %d: drift of the token's vector and of its attention row (%s)\n",
      layer, head < 0 ? "mean over heads" : ("head " + std::to_string(head)).c_str());
  std::printf("  %-12s %4s %4s  %9s %9s  %9s %9s\n", "token", "in A", "in B", "cosine", "L2",
              "att.cos", "att.L2");
  for (const auto& d : drift) {
    std::printf("  %s %4zu %4zu  %9.4f %9.4f  %9.4f %9.4f\n",
                pad_to(a.tokens[d.match.a], 12).c_str(), d.match.a, d.match.b, d.cosine, d.l2,
                d.attention_cosine, d.attention_l2);
  }
  std::printf("\nverdict: %s\n", conclusion.c_str());
  return 0;
}

}  // namespace ordo::cli
