#include "position_analysis.h"

#include "pair_analysis.h"

namespace ordo::cli {

PositionSimilarity position_similarity(const Tensor& table) {
  PositionSimilarity result;
  const int64_t n = table.dim(0), size = table.dim(1);
  result.positions = n;
  result.cosine.assign(static_cast<size_t>(n * n), 0.0f);
  result.by_distance.assign(static_cast<size_t>(n), 0.0);
  result.all_zero = true;
  for (int64_t i = 0; i < table.numel(); ++i) result.all_zero &= table.data()[i] == 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = i; j < n; ++j) {
      const double c = cosine_similarity(table.data() + i * size, table.data() + j * size, size);
      result.cosine[i * n + j] = result.cosine[j * n + i] = static_cast<float>(c);
      result.by_distance[j - i] += c / static_cast<double>(n - (j - i));
    }
  }
  return result;
}

std::vector<int64_t> report_distances(int64_t positions) {
  std::vector<int64_t> distances;
  for (int64_t d = 1; d < positions; d *= 2) distances.push_back(d);
  return distances;
}

Heatmap similarity_heatmap(const std::string& title, const PositionSimilarity& similarity) {
  std::vector<std::string> labels;
  for (int64_t p = 0; p < similarity.positions; ++p) labels.push_back(std::to_string(p));
  Heatmap map{title, std::move(labels), similarity.cosine, true};
  map.label_every = similarity.positions <= 40 ? 1 : static_cast<size_t>(similarity.positions / 16);
  return map;
}

}  // namespace ordo::cli
