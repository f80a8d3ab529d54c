#pragma once
// How a positional encoding relates positions to each other: the cosine similarity between
// the vectors of every pair of positions, and its mean at each distance. A sinusoidal table
// gives a smooth band that decays with distance; a learned table shows what training made
// of it.
#include <cstdint>
#include <vector>

#include "core/encoder.h"
#include "svg.h"

namespace ordo::cli {

struct PositionSimilarity {
  int64_t positions = 0;
  std::vector<float> cosine;        // [positions][positions]
  std::vector<double> by_distance;  // mean cosine over pairs |i - j| = d, d = 0 .. positions-1
  bool all_zero = false;            // `none`: every position adds nothing
};

// `table` is [positions, hidden], as Encoder::position_encodings returns it.
PositionSimilarity position_similarity(const Tensor& table);

// The distances a text table lists: 1, 2, 4, ... below `positions`.
std::vector<int64_t> report_distances(int64_t positions);

// The similarity matrix as a labelled heatmap (positions labelled sparsely past 40).
Heatmap similarity_heatmap(const std::string& title, const PositionSimilarity& similarity);

}  // namespace ordo::cli
