#pragma once
#include <cstdint>

#include "core/encoder.h"

namespace ordo::layers {

// The bucket of relative position j - i (key minus query), exactly as Hugging Face's
// MPNet/T5 relative_position_bucket (bidirectional): half of the buckets for each direction,
// distances below a quarter of num_buckets exact, longer ones log-spaced up to max_distance,
// and everything beyond in the last bucket. The log is taken in float, as PyTorch does, so
// that the bucket boundaries fall where they fall there.
int64_t relative_position_bucket(int64_t relative_position, const RelativeBucketSettings& settings);

}  // namespace ordo::layers
