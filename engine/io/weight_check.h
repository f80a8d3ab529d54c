#pragma once
// Finding NaN and Inf in weights. A checkpoint is mapped, not read, when it loads, so a NaN in
// it would only surface later as NaN outputs; models::LoadOptions::check_weights scans each
// tensor once, at load, and names the first bad element.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace ordo::io {

struct NonFiniteElement {
  int64_t index = 0;  // flat, row-major
  float value = 0.0f;
};

// The first element of `view` that is NaN or +-Inf, if there is one.
std::optional<NonFiniteElement> find_non_finite(const TensorView& view);

// "element [2, 17]" for flat index 81 of shape [4, 32]: where to look in the tensor.
std::string element_position(const std::vector<int64_t>& shape, int64_t index);

}  // namespace ordo::io
