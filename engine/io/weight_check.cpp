#include "io/weight_check.h"

#include <cmath>

namespace ordo::io {

std::optional<NonFiniteElement> find_non_finite(const TensorView& view) {
  if (view.empty()) return std::nullopt;
  const int64_t count = view.numel();
  for (int64_t i = 0; i < count; ++i) {
    if (!std::isfinite(view.data[i])) return NonFiniteElement{i, view.data[i]};
  }
  return std::nullopt;
}

std::string element_position(const std::vector<int64_t>& shape, int64_t index) {
  std::vector<int64_t> coordinates(shape.size());
  for (size_t axis = shape.size(); axis-- > 0;) {
    if (shape[axis] <= 0) return "element " + std::to_string(index);
    coordinates[axis] = index % shape[axis];
    index /= shape[axis];
  }
  std::string text = "element [";
  for (size_t axis = 0; axis < coordinates.size(); ++axis) {
    text += (axis != 0 ? ", " : "") + std::to_string(coordinates[axis]);
  }
  return text + "]";
}

}  // namespace ordo::io
