#pragma once
// Primitives are created once per shape and reused (creating one costs ~0.3-0.6 ms, running it
// costs microseconds). Linear ops on plain weights take a runtime row count, so a handful serve
// a whole model; linear ops on packed weights (brgemm), layer norm and attention need fixed
// dimensions and are keyed by shape.
// Thread-safe; entries are shared_ptrs so that eviction never pulls an op from under a caller.
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <tuple>

#include "ops/attention.h"
#include "ops/bf16_linear.h"
#include "ops/distance_scores.h"
#include "ops/layer_norm.h"
#include "ops/linear.h"
#include "ops/quantized_linear.h"

namespace ordo::ops {

// (in, out, activation, output, rows) of a linear op; rows 0 = a runtime row count.
using LinearKey = std::tuple<int64_t, int64_t, int, int, int64_t>;

class OpCache {
 public:
  std::shared_ptr<const Linear> linear(int64_t in_features, int64_t out_features,
                                       std::optional<Activation> activation, Linear::Output output);
  // For `weights` as packed at load; made for `rows` rows when the weights are packed.
  std::shared_ptr<const Linear> linear(const PackedWeights& weights,
                                       std::optional<Activation> activation, Linear::Output output,
                                       int64_t rows);
  std::shared_ptr<const QuantizedLinear> quantized_linear(const QuantizedWeights& weights,
                                                          std::optional<Activation> activation,
                                                          Linear::Output output, int64_t rows);
  std::shared_ptr<const Bf16Linear> bf16_linear(const Bf16Weights& weights,
                                                std::optional<Activation> activation,
                                                Linear::Output output, int64_t rows);
  std::shared_ptr<const LayerNorm> layer_norm(int64_t rows, int64_t features, float epsilon);
  std::shared_ptr<const Attention> attention(int64_t batch, int64_t length, int64_t heads,
                                             int64_t head_dim, Attention::Kernel kernel,
                                             bool score_bias, int64_t window = 0);
  std::shared_ptr<const DistanceScores> distance_scores(int64_t batch, int64_t length,
                                                        int64_t heads, int64_t head_dim);

 private:
  // Bounds memory when an application feeds endlessly varied shapes.
  static constexpr size_t kMaxEntriesPerKind = 512;

  template <class Op, class Key, class Make>
  std::shared_ptr<const Op> find_or_make(std::map<Key, std::shared_ptr<const Op>>& ops,
                                         const Key& key, Make make);

  std::mutex mutex_;
  std::map<LinearKey, std::shared_ptr<const Linear>> linears_;
  std::map<LinearKey, std::shared_ptr<const QuantizedLinear>> quantized_linears_;
  std::map<LinearKey, std::shared_ptr<const Bf16Linear>> bf16_linears_;
  std::map<std::tuple<int64_t, int64_t, float>, std::shared_ptr<const LayerNorm>> layer_norms_;
  std::map<std::tuple<int64_t, int64_t, int64_t, int64_t, int, bool, int64_t>,
           std::shared_ptr<const Attention>>
      attentions_;
  std::map<std::tuple<int64_t, int64_t, int64_t, int64_t>, std::shared_ptr<const DistanceScores>>
      distance_scores_;
};

}  // namespace ordo::ops
