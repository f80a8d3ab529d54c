#include "layers/attention_position.h"

#include <algorithm>

namespace ordo::layers {

std::unique_ptr<AttentionPosition> AttentionPosition::create(PositionKind kind,
                                                             const EncoderSpec& spec) {
  switch (kind) {
    case PositionKind::rotary:
      return make_rotary(spec);
    case PositionKind::alibi:
      return make_alibi(spec);
    case PositionKind::relative_key:
      return make_relative_key(spec, false);
    case PositionKind::relative_key_query:
      return make_relative_key(spec, true);
    case PositionKind::relative_bias:
      return make_relative_buckets(spec);
    case PositionKind::none:
    case PositionKind::sinusoidal:
    case PositionKind::sinusoidal_blocked:
    case PositionKind::learned:
      break;
  }
  return nullptr;
}

ops::AttentionPositions DistanceBias::prepare(ForwardContext& context, const LayerWeights& layer,
                                              const BatchLayout::Run& run, const float*) const {
  const std::vector<float> values = by_distance(layer, run.length);
  float* per_head = context.workspace.position_bias.reserve(values.size());
  std::copy(values.begin(), values.end(), per_head);
  // Row i begins at the value for j - i = -i (key 0), index length - 1 - i of the head's vector;
  // every sequence of the run reads the same.
  ops::AttentionPositions positions;
  positions.bias = {per_head + (run.length - 1), 0, 2 * run.length - 1, -1};
  return positions;
}

}  // namespace ordo::layers
