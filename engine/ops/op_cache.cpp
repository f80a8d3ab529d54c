#include "ops/op_cache.h"

namespace ordo::ops {

template <class Op, class Key, class Make>
std::shared_ptr<const Op> OpCache::find_or_make(std::map<Key, std::shared_ptr<const Op>>& ops,
                                                const Key& key, Make make) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = ops.find(key);
  if (found != ops.end()) return found->second;
  if (ops.size() >= kMaxEntriesPerKind) ops.clear();
  auto op = make();
  ops.emplace(key, op);
  return op;
}

namespace {

// A given (in, out) always packs to the same layout, so the shape identifies the layout too.
LinearKey linear_key(int64_t in_features, int64_t out_features,
                     std::optional<Activation> activation, Linear::Output output, int64_t rows) {
  return {in_features, out_features, activation ? static_cast<int>(*activation) : -1,
          static_cast<int>(output), rows};
}

}  // namespace

std::shared_ptr<const Linear> OpCache::linear(int64_t in_features, int64_t out_features,
                                              std::optional<Activation> activation,
                                              Linear::Output output) {
  return find_or_make(linears_, linear_key(in_features, out_features, activation, output, 0), [&] {
    return std::make_shared<const Linear>(in_features, out_features, activation, output);
  });
}

std::shared_ptr<const Linear> OpCache::linear(const PackedWeights& weights,
                                              std::optional<Activation> activation,
                                              Linear::Output output, int64_t rows) {
  if (!weights.packed())
    return linear(weights.in_features(), weights.out_features(), activation, output);
  return find_or_make(
      linears_, linear_key(weights.in_features(), weights.out_features(), activation, output, rows),
      [&] {
        return std::make_shared<const Linear>(weights.in_features(), weights.out_features(),
                                              activation, output, weights.desc(), rows);
      });
}

std::shared_ptr<const QuantizedLinear> OpCache::quantized_linear(
    const QuantizedWeights& weights, std::optional<Activation> activation, Linear::Output output,
    int64_t rows) {
  return find_or_make(
      quantized_linears_,
      linear_key(weights.in_features(), weights.out_features(), activation, output, rows), [&] {
        return std::make_shared<const QuantizedLinear>(weights.in_features(),
                                                       weights.out_features(), activation, output,
                                                       weights.desc(), rows);
      });
}

std::shared_ptr<const Bf16Linear> OpCache::bf16_linear(const Bf16Weights& weights,
                                                       std::optional<Activation> activation,
                                                       Linear::Output output, int64_t rows) {
  return find_or_make(
      bf16_linears_,
      linear_key(weights.in_features(), weights.out_features(), activation, output, rows), [&] {
        return std::make_shared<const Bf16Linear>(weights.in_features(), weights.out_features(),
                                                  activation, output, weights.desc(), rows);
      });
}

std::shared_ptr<const LayerNorm> OpCache::layer_norm(int64_t rows, int64_t features,
                                                     float epsilon) {
  return find_or_make(layer_norms_, std::make_tuple(rows, features, epsilon),
                      [&] { return std::make_shared<const LayerNorm>(rows, features, epsilon); });
}

std::shared_ptr<const Attention> OpCache::attention(int64_t batch, int64_t length, int64_t heads,
                                                    int64_t head_dim, Attention::Kernel kernel,
                                                    bool score_bias, int64_t window) {
  const auto key =
      std::make_tuple(batch, length, heads, head_dim, static_cast<int>(kernel), score_bias, window);
  return find_or_make(attentions_, key, [&] {
    return std::make_shared<const Attention>(batch, length, heads, head_dim, kernel, score_bias,
                                             window);
  });
}

std::shared_ptr<const DistanceScores> OpCache::distance_scores(int64_t batch, int64_t length,
                                                               int64_t heads, int64_t head_dim) {
  return find_or_make(distance_scores_, std::make_tuple(batch, length, heads, head_dim), [&] {
    return std::make_shared<const DistanceScores>(batch, length, heads, head_dim);
  });
}

}  // namespace ordo::ops
