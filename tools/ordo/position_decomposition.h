#pragma once
// Why adding a position vector to a word vector does not destroy the word: `ordo pe
// --decompose`. For the encodings added to the input, x = E[token] + T[0] + P[p] (word,
// token type 0 and position, the sum before the embedding LayerNorm):
//  - recovery: the token decoded from x alone as the nearest word vector (cosine against
//    every E[v] + T[0]), and the position as the nearest position vector P[q]; accuracy by
//    position bucket over a sample of the text's pieces at every position;
//  - overlap: the principal angles between the position subspace (the top-k right singular
//    vectors of P, k capturing 90% of its energy) and the word subspace (the top-k of E):
//    their cosines, and the share of each table's energy inside the other's subspace.
#include <cstdint>
#include <string>
#include <vector>

#include "common.h"

namespace ordo::cli {

struct RecoveryBucket {
  std::string name;  // "0-31", ...
  int64_t trials = 0, token_right = 0, position_right = 0;
};

struct PositionDecomposition {
  int64_t positions = 0, tokens = 0, hidden = 0;
  std::vector<RecoveryBucket> buckets;  // "all" first
  int64_t rank = 0, word_rank = 0;      // k of the position and of the word subspace
  std::vector<double> cosines;          // cos of the k principal angles, largest first
  double position_energy_in_word_subspace = 0, word_energy_in_position_subspace = 0;
  double position_rms = 0, word_rms = 0;  // sqrt(mean square entry) of P and of E
};

// `token_ids`: the distinct pieces to place at every position 0 .. positions-1.
PositionDecomposition decompose_positions(const LoadedEncoder& loaded, int64_t positions,
                                          const std::vector<int32_t>& token_ids);

// Eigen-decomposition of a symmetric n x n matrix `a` (row-major) by cyclic Jacobi rotations:
// eigenvalues descending, eigenvectors as the columns of `vectors` (row-major n x n).
void symmetric_eigen(std::vector<double> a, int64_t n, std::vector<double>& values,
                     std::vector<double>& vectors);

}  // namespace ordo::cli
