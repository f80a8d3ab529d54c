#include "ordo/result.h"

#include <string>

#include "core/tensor.h"
#include "ordo/error.h"

namespace ordo {
Array::Array(std::vector<int64_t> shape, std::vector<float> values)
    : shape_(std::move(shape)), values_(std::move(values)) {
  int64_t count = 1;
  for (int64_t extent : shape_) {
    if (extent < 0) throw Error("Array: shape " + shape_string(shape_) + " has a negative extent");
    count *= extent;
  }
  if (static_cast<size_t>(count) != values_.size()) {
    throw Error("Array: shape " + shape_string(shape_) + " holds " + std::to_string(count) +
                " values, " + std::to_string(values_.size()) + " given");
  }
}

int64_t Array::dim(size_t axis) const {
  if (axis >= shape_.size()) {
    throw Error("Array::dim: axis " + std::to_string(axis) + " of an array of shape " +
                shape_string(shape_));
  }
  return shape_[axis];
}

FloatSpan Array::slice(size_t i) const {
  const size_t index[] = {i};
  return slice_at(index, 1);
}

FloatSpan Array::slice(size_t i, size_t j) const {
  const size_t index[] = {i, j};
  return slice_at(index, 2);
}

FloatSpan Array::slice(size_t i, size_t j, size_t k) const {
  const size_t index[] = {i, j, k};
  return slice_at(index, 3);
}

FloatSpan Array::slice_at(const size_t* index, size_t count) const {
  if (count > shape_.size()) {
    throw Error("Array::slice: " + std::to_string(count) + " indices into an array of shape " +
                shape_string(shape_));
  }
  size_t offset = 0;
  for (size_t axis = 0; axis < count; ++axis) {
    const auto extent = static_cast<size_t>(shape_[axis]);
    if (index[axis] >= extent) {
      throw Error("Array::slice: index " + std::to_string(index[axis]) + " on axis " +
                  std::to_string(axis) + " of an array of shape " + shape_string(shape_));
    }
    offset = offset * extent + index[axis];
  }
  size_t block = 1;
  for (size_t axis = count; axis < shape_.size(); ++axis)
    block *= static_cast<size_t>(shape_[axis]);
  return FloatSpan(values_.data() + offset * block, block);
}

FloatSpan Result::sentence_vector(size_t input) const {
  return pooled.slice(input);
}

FloatSpan Result::token_vector(size_t input, size_t token) const {
  if (input < tokens.size() && token >= tokens[input].size()) {
    throw Error("Result::token_vector: input " + std::to_string(input) + " has " +
                std::to_string(tokens[input].size()) + " tokens, token " + std::to_string(token) +
                " asked for");
  }
  return last_hidden_state.slice(input, token);
}

}  // namespace ordo
