#include "layers/attention_position.h"

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

ops::ScoreBias distance_bias(const float* per_head, int64_t length) {
  // Row i begins at the value for j - i = -i (key 0), index length - 1 - i of the head's vector.
  ops::ScoreBias bias;
  bias.origin = per_head + (length - 1);
  bias.head_stride = 2 * length - 1;
  bias.query_stride = -1;
  bias.sequence_stride = 0;
  return bias;
}

}  // namespace ordo::layers
