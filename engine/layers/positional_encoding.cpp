#include "layers/positional_encoding.h"

#include <cmath>
#include <string>

#include "ordo/error.h"

namespace ordo::layers {
namespace {

double angle(int64_t position, int64_t frequency, int64_t dimension) {
  return static_cast<double>(position) /
         std::pow(10000.0, 2.0 * static_cast<double>(frequency) / static_cast<double>(dimension));
}

class NoPositionalEncoding final : public PositionalEncoding {
 public:
  PositionKind kind() const override { return PositionKind::none; }
  void add_to(int64_t, float*) const override {}
};

// Computed for any position: the first rows are tabulated once (the common case), rows past
// the table are computed on the fly, so there is no maximum length.
class SinusoidalEncoding final : public PositionalEncoding {
 public:
  static constexpr int64_t kTabulatedPositions = 1024;

  SinusoidalEncoding(PositionKind kind, int64_t hidden_size)
      : kind_(kind), hidden_size_(hidden_size) {
    table_.resize(static_cast<size_t>(kTabulatedPositions * hidden_size));
    for (int64_t p = 0; p < kTabulatedPositions; ++p) {
      for (int64_t c = 0; c < hidden_size; ++c) {
        table_[p * hidden_size + c] = sinusoidal_value(kind, p, c, hidden_size);
      }
    }
  }
  PositionKind kind() const override { return kind_; }
  void add_to(int64_t position, float* row) const override {
    if (position < kTabulatedPositions) {
      const float* values = table_.data() + position * hidden_size_;
      for (int64_t c = 0; c < hidden_size_; ++c) row[c] += values[c];
      return;
    }
    for (int64_t c = 0; c < hidden_size_; ++c) {
      row[c] += sinusoidal_value(kind_, position, c, hidden_size_);
    }
  }

 private:
  PositionKind kind_;
  int64_t hidden_size_;
  std::vector<float> table_;
};

class LearnedEncoding final : public PositionalEncoding {
 public:
  LearnedEncoding(const TensorView& table, int64_t offset) : table_(table), offset_(offset) {}
  PositionKind kind() const override { return PositionKind::learned; }
  int64_t max_positions() const override { return table_.shape[0] - offset_; }
  void add_to(int64_t position, float* row) const override {
    const int64_t index = position + offset_;
    if (index < 0 || index >= table_.shape[0]) {
      throw Error("position " + std::to_string(position) + " is past the learned position table (" +
                  std::to_string(max_positions()) + " positions)");
    }
    const int64_t hidden = table_.shape[1];
    const float* values = table_.data + index * hidden;
    for (int64_t c = 0; c < hidden; ++c) row[c] += values[c];
  }

 private:
  TensorView table_;
  int64_t offset_;
};

}  // namespace

float sinusoidal_value(PositionKind kind, int64_t position, int64_t column, int64_t dimension) {
  if (kind == PositionKind::sinusoidal) {
    const double a = angle(position, column / 2, dimension);
    return static_cast<float>(column % 2 == 0 ? std::sin(a) : std::cos(a));
  }
  if (kind == PositionKind::sinusoidal_blocked) {
    const int64_t sin_columns = (dimension + 1) / 2;  // HF Marian's "sentinel"
    if (column < sin_columns)
      return static_cast<float>(std::sin(angle(position, column, dimension)));
    return static_cast<float>(std::cos(angle(position, column - sin_columns, dimension)));
  }
  throw Error(std::string("sinusoidal_value: '") + to_string(kind) + "' is not a sinusoidal kind");
}

std::unique_ptr<PositionalEncoding> PositionalEncoding::create(PositionKind kind,
                                                               int64_t hidden_size,
                                                               const TensorView& table,
                                                               int64_t offset) {
  switch (kind) {
    case PositionKind::none:
      return std::make_unique<NoPositionalEncoding>();
    case PositionKind::sinusoidal:
    case PositionKind::sinusoidal_blocked:
      return std::make_unique<SinusoidalEncoding>(kind, hidden_size);
    case PositionKind::learned:
      if (table.empty()) {
        throw Error(
            "positional encoding 'learned' needs a position table, and this checkpoint has none");
      }
      if (table.shape.size() != 2 || table.shape[1] != hidden_size || table.shape[0] <= offset) {
        throw Error("learned position table has the wrong shape for hidden size " +
                    std::to_string(hidden_size));
      }
      return std::make_unique<LearnedEncoding>(table, offset);
    case PositionKind::rotary:
    case PositionKind::alibi:
    case PositionKind::relative_key:
    case PositionKind::relative_key_query:
    case PositionKind::relative_bias:
      break;
  }
  throw Error(std::string("positional encoding '") + to_string(kind) +
              "' acts inside attention, not on the input");
}

}  // namespace ordo::layers
