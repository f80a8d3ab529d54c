#include "layers/pooling.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "ordo/error.h"

namespace ordo::layers {

void pool(const float* x, const BatchLayout& layout, int64_t hidden, Pooling pooling,
          bool normalize, float* pooled) {
  const auto sequences = static_cast<int64_t>(layout.lengths.size());
  for (int64_t s = 0; s < sequences; ++s) {
    const float* first = x + layout.first_row[s] * hidden;
    const int64_t length = layout.lengths[s];
    float* out = pooled + s * hidden;
    switch (pooling) {
      case Pooling::cls:
        std::copy(first, first + hidden, out);
        break;
      case Pooling::mean:
      case Pooling::mean_sqrt_len: {
        // Accumulate in double: a long sequence's sum must not lose the small components.
        const double count = static_cast<double>(length);
        const double divisor = pooling == Pooling::mean ? count : std::sqrt(count);
        for (int64_t c = 0; c < hidden; ++c) {
          double sum = 0.0;
          for (int64_t t = 0; t < length; ++t) sum += first[t * hidden + c];
          out[c] = static_cast<float>(sum / divisor);
        }
        break;
      }
      case Pooling::pooler:  // needs the pooler's weights: the encoder pools it, not here
        throw Error("internal error: layers::pool called for pooler pooling");
      case Pooling::max:
        std::copy(first, first + hidden, out);
        for (int64_t t = 1; t < length; ++t) {
          for (int64_t c = 0; c < hidden; ++c) out[c] = std::max(out[c], first[t * hidden + c]);
        }
        break;
    }
  }
  if (normalize) normalize_rows(pooled, sequences, hidden);
}

void normalize_rows(float* vectors, int64_t rows, int64_t hidden) {
  for (int64_t r = 0; r < rows; ++r) {
    float* out = vectors + r * hidden;
    double squares = 0.0;
    for (int64_t c = 0; c < hidden; ++c) squares += double{out[c]} * out[c];
    const double norm = std::sqrt(squares);
    // A zero vector stays zero rather than becoming NaN (as torch's F.normalize with eps).
    const double inverse = 1.0 / std::max(norm, 1e-12);
    for (int64_t c = 0; c < hidden; ++c) out[c] = static_cast<float>(out[c] * inverse);
  }
}

void unpack(const float* x, const BatchLayout& layout, int64_t hidden, float* padded) {
  for (size_t s = 0; s < layout.lengths.size(); ++s) {
    std::memcpy(padded + static_cast<int64_t>(s) * layout.longest * hidden,
                x + layout.first_row[s] * hidden,
                static_cast<size_t>(layout.lengths[s] * hidden) * sizeof(float));
  }
}

}  // namespace ordo::layers
