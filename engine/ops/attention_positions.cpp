#include "ops/attention_positions.h"

namespace ordo::ops {

void rotate_rows(float* x, int64_t stride, int64_t length, const Rotation& rotation) {
  const int64_t pairs = rotation.pairs;
  for (int64_t t = 0; t < length; ++t) {
    float* row = x + t * stride;
    const float* cos = rotation.cos + t * pairs;
    const float* sin = rotation.sin + t * pairs;
    // (a, b) -> (a cos - b sin, b cos + a sin): the pair as a complex number times e^(i angle).
    if (rotation.interleaved) {
      for (int64_t p = 0; p < pairs; ++p) {
        const float a = row[2 * p], b = row[2 * p + 1];
        row[2 * p] = a * cos[p] - b * sin[p];
        row[2 * p + 1] = b * cos[p] + a * sin[p];
      }
    } else {
      float* second = row + pairs;
      for (int64_t p = 0; p < pairs; ++p) {
        const float a = row[p], b = second[p];
        row[p] = a * cos[p] - b * sin[p];
        second[p] = b * cos[p] + a * sin[p];
      }
    }
  }
}

}  // namespace ordo::ops
