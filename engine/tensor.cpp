#include "core/tensor.h"

#include "ordo/error.h"

namespace ordo {

static int64_t count_elements(const std::vector<int64_t>& shape) {
  int64_t count = 1;
  for (int64_t extent : shape) {
    if (extent < 0) throw Error("tensor shape has a negative dimension");
    count *= extent;
  }
  return count;
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

int64_t TensorView::numel() const {
  return count_elements(shape);
}

Tensor::Tensor(std::vector<int64_t> shape)
    : shape_(std::move(shape)), values_(static_cast<size_t>(count_elements(shape_)), 0.0f) {}

}  // namespace ordo
