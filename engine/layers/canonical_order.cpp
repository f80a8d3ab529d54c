#include "layers/canonical_order.h"

#include <algorithm>
#include <numeric>

namespace ordo::layers {
namespace {

// Rows of one sequence in a [batch, longest, width] tensor back to the input's order.
void restore_rows(float* rows, const std::vector<size_t>& order, int64_t width,
                  std::vector<float>& scratch) {
  scratch.assign(rows, rows + static_cast<int64_t>(order.size()) * width);
  for (size_t k = 0; k < order.size(); ++k) {
    std::copy_n(scratch.data() + static_cast<int64_t>(k) * width, width,
                rows + static_cast<int64_t>(order[k]) * width);
  }
}

}  // namespace

CanonicalOrder::CanonicalOrder(const EncoderInput& input) : sorted_(input) {
  order_.resize(input.ids.size());
  for (size_t s = 0; s < input.ids.size(); ++s) {
    const auto& ids = input.ids[s];
    const auto* types = input.token_types.empty() ? nullptr : &input.token_types[s];
    std::vector<size_t>& order = order_[s];
    order.resize(ids.size());
    std::iota(order.begin(), order.end(), size_t{0});
    if (order.size() > 2) {
      std::stable_sort(order.begin() + 1, order.end(), [&](size_t a, size_t b) {
        if (ids[a] != ids[b]) return ids[a] < ids[b];
        return types != nullptr && (*types)[a] < (*types)[b];
      });
    }
    for (size_t k = 0; k < order.size(); ++k) {
      identity_ = identity_ && order[k] == k;
      sorted_.ids[s][k] = ids[order[k]];
      if (types != nullptr) sorted_.token_types[s][k] = (*types)[order[k]];
    }
  }
}

void CanonicalOrder::restore(EncoderOutput& output) const {
  if (identity_) return;
  std::vector<float> scratch;
  const auto restore_hidden = [&](Tensor& tensor) {
    const int64_t longest = tensor.dim(1), width = tensor.dim(2);
    for (size_t s = 0; s < order_.size(); ++s) {
      restore_rows(tensor.data() + static_cast<int64_t>(s) * longest * width, order_[s], width,
                   scratch);
    }
  };
  restore_hidden(output.last_hidden_state);
  for (Tensor& hidden : output.hidden_states) restore_hidden(hidden);
  for (Tensor& attention : output.attentions) {  // [batch, heads, longest, longest]
    const int64_t heads = attention.dim(1), longest = attention.dim(2);
    for (size_t s = 0; s < order_.size(); ++s) {
      const std::vector<size_t>& order = order_[s];
      const auto n = static_cast<int64_t>(order.size());
      for (int64_t h = 0; h < heads; ++h) {
        float* map = attention.data() + (static_cast<int64_t>(s) * heads + h) * longest * longest;
        // Rows first (queries), then within each row the columns (keys).
        restore_rows(map, order, longest, scratch);
        for (int64_t i = 0; i < n; ++i) {
          float* row = map + i * longest;
          scratch.assign(row, row + n);
          for (int64_t k = 0; k < n; ++k) row[order[static_cast<size_t>(k)]] = scratch[k];
        }
      }
    }
  }
}

}  // namespace ordo::layers
