#pragma once
// Positional schemes that act inside attention (the other place a scheme can act is the input:
// layers/positional_encoding.h). Each kind is one class in its own file: rotary.cpp, alibi.cpp,
// relative_key.cpp, relative_buckets.cpp. Per layer and per run of equal-length sequences, a
// scheme hands the attention op what it applies (ops/attention_positions.h): a rotation of q
// and k, a bias on the scores, or both; the op applies it on every attention path.
#include <memory>
#include <vector>

#include "layers/batch.h"
#include "ops/attention_positions.h"

namespace ordo::layers {

class AttentionPosition {
 public:
  virtual ~AttentionPosition() = default;
  virtual PositionKind kind() const = 0;
  // Highest supported number of tokens per sequence, or 0 when unbounded.
  virtual int64_t max_positions() const { return 0; }
  // True when prepare() gives a score bias (the attention op is made for one).
  virtual bool biases_scores() const = 0;
  // What the attention op applies to `run`, whose rows of the fused projection start at `qkv`
  // (the rotation is applied by the op itself). Buffers it fills live in context.workspace
  // and stay valid until the next call.
  virtual ops::AttentionPositions prepare(ForwardContext& context, const LayerWeights& layer,
                                          const BatchLayout::Run& run, const float* qkv) const = 0;
  // What position alone does to a score at distances j - i = -(count - 1) .. count - 1, per
  // head: [heads][2 count - 1] (Encoder::score_contribution_by_distance).
  virtual std::vector<float> by_distance(const LayerWeights& layer, int64_t count) const = 0;

  // The scheme for `kind` on the weights of `spec`, or null when `kind` does not act inside
  // attention. Throws ordo::Error naming the tensor or setting when the checkpoint cannot run it.
  static std::unique_ptr<AttentionPosition> create(PositionKind kind, const EncoderSpec& spec);
};

// The four kinds' constructors, for create().
std::unique_ptr<AttentionPosition> make_rotary(const EncoderSpec& spec);
std::unique_ptr<AttentionPosition> make_alibi(const EncoderSpec& spec);
std::unique_ptr<AttentionPosition> make_relative_key(const EncoderSpec& spec, bool with_keys);
std::unique_ptr<AttentionPosition> make_relative_buckets(const EncoderSpec& spec);

// A scheme whose bias depends only on j - i (ALiBi, T5 buckets): what it adds at each distance
// is by_distance(), and the op reads it, per head, as 2 length - 1 values for j - i =
// -(length - 1) .. length - 1, query i from index length - 1 - i on.
class DistanceBias : public AttentionPosition {
 public:
  bool biases_scores() const final { return true; }
  ops::AttentionPositions prepare(ForwardContext& context, const LayerWeights& layer,
                                  const BatchLayout::Run& run, const float* qkv) const final;
};

}  // namespace ordo::layers
