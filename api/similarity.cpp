// similarity and top_k: cosines between rows of two Arrays, what embedding users write next.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/tensor.h"
#include "ordo/error.h"
#include "ordo/result.h"

namespace ordo {
namespace {

void check_matrix(const char* call, const char* name, const Array& array) {
  if (array.rank() != 2) {
    throw Error(std::string(call) + ": " + name + " has shape " + shape_string(array.shape()) +
                " (expected [rows, dimensions])");
  }
}

// 1 / |row| for every row (0 for a zero row, so that its cosines are 0).
std::vector<double> inverse_norms(const Array& array) {
  const auto rows = static_cast<size_t>(array.dim(0)), width = static_cast<size_t>(array.dim(1));
  std::vector<double> result(rows);
  for (size_t r = 0; r < rows; ++r) {
    double squares = 0.0;
    for (size_t c = 0; c < width; ++c) {
      const double x = array.values()[r * width + c];
      squares += x * x;
    }
    result[r] = squares > 0.0 ? 1.0 / std::sqrt(squares) : 0.0;
  }
  return result;
}

Array cosines(const char* call, const char* first, const Array& a, const char* second,
              const Array& b) {
  check_matrix(call, first, a);
  check_matrix(call, second, b);
  if (a.dim(1) != b.dim(1)) {
    throw Error(std::string(call) + ": " + first + " has shape " + shape_string(a.shape()) +
                " and " + second + " " + shape_string(b.shape()) + " (the widths must agree)");
  }
  const auto n = static_cast<size_t>(a.dim(0)), m = static_cast<size_t>(b.dim(0)),
             width = static_cast<size_t>(a.dim(1));
  const std::vector<double> scale_a = inverse_norms(a), scale_b = inverse_norms(b);
  std::vector<float> values(n * m);
  const float* x = a.values().data();
  const float* y = b.values().data();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < static_cast<int64_t>(n); ++i) {
    for (size_t j = 0; j < m; ++j) {
      double dot = 0.0;
      for (size_t c = 0; c < width; ++c) dot += double{x[i * width + c]} * y[j * width + c];
      values[i * m + j] = static_cast<float>(dot * scale_a[i] * scale_b[j]);
    }
  }
  return Array({static_cast<int64_t>(n), static_cast<int64_t>(m)}, std::move(values));
}

}  // namespace

Array similarity(const Array& a, const Array& b) {
  return cosines("similarity", "a", a, "b", b);
}

std::vector<std::vector<Hit>> top_k(const Array& queries, const Array& corpus, size_t k) {
  constexpr const char* kCall = "top_k";
  const Array scores = cosines(kCall, "queries", queries, "corpus", corpus);
  const auto rows = static_cast<size_t>(corpus.dim(0));
  if (k == 0 || k > rows) {
    throw Error(std::string(kCall) + ": k is " + std::to_string(k) + " (expected 1 to the " +
                std::to_string(rows) + " rows of corpus)");
  }
  std::vector<std::vector<Hit>> hits(static_cast<size_t>(queries.dim(0)));
  std::vector<size_t> order(rows);
  for (size_t q = 0; q < hits.size(); ++q) {
    const float* row = scores.values().data() + q * rows;
    std::iota(order.begin(), order.end(), size_t{0});
    std::partial_sort(order.begin(), order.begin() + static_cast<long>(k), order.end(),
                      [&](size_t x, size_t y) {
                        if (row[x] != row[y]) return row[x] > row[y];
                        return x < y;  // ties: the lower index first, on every platform
                      });
    for (size_t i = 0; i < k; ++i) hits[q].push_back({order[i], row[order[i]]});
  }
  return hits;
}

}  // namespace ordo
