#pragma once
// One row-major float tensor type for results, and a non-owning view for weights. Part of the
// engine's interface to models/, tools/ and tests, not installed: applications get ordo::Array.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ordo {

// "[2, 3]": a shape as error messages print it.
std::string shape_string(const std::vector<int64_t>& shape);

// A read-only view of float data owned elsewhere (a memory-mapped checkpoint or a
// buffer the loader keeps alive). Matrices keep PyTorch's [out][in] order.
struct TensorView {
  const float* data = nullptr;
  std::vector<int64_t> shape;

  bool empty() const { return data == nullptr; }
  int64_t numel() const;
};

// An owning, zero-initialised, row-major float tensor.
class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::vector<int64_t> shape);

  const std::vector<int64_t>& shape() const { return shape_; }
  int64_t dim(size_t axis) const { return shape_.at(axis); }
  int64_t numel() const { return static_cast<int64_t>(values_.size()); }
  float* data() { return values_.data(); }
  const float* data() const { return values_.data(); }
  TensorView view() const { return TensorView{values_.data(), shape_}; }
  // Hands the values over without a copy, leaving an empty tensor of shape {0}.
  std::vector<float> take_values() {
    std::vector<float> values = std::move(values_);
    values_.clear();
    shape_ = {0};
    return values;
  }

 private:
  std::vector<int64_t> shape_;
  std::vector<float> values_;
};

}  // namespace ordo
