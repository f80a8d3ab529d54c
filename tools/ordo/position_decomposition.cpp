#include "position_decomposition.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "ordo/error.h"

namespace ordo::cli {
namespace {

constexpr double kEnergyShare = 0.9;

struct BucketRange {
  const char* name;
  int64_t low, high;
};
constexpr BucketRange kRanges[] = {{"0-31", 0, 31},
                                   {"32-63", 32, 63},
                                   {"64-127", 64, 127},
                                   {"128-255", 128, 255},
                                   {"256-511", 256, 511}};

// Rows of `table` [rows, n] -> the n x n Gram matrix table^T table.
std::vector<double> gram(const float* table, int64_t rows, int64_t n) {
  std::vector<double> g(static_cast<size_t>(n * n), 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = table + r * n;
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = i; j < n; ++j) g[i * n + j] += static_cast<double>(x[i]) * x[j];
    }
  }
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < i; ++j) g[i * n + j] = g[j * n + i];
  }
  return g;
}

// The top right singular vectors of a table holding kEnergyShare of its energy: columns of
// the returned n x k matrix (row-major), and k.
std::vector<double> principal_subspace(const float* table, int64_t rows, int64_t n, int64_t& k) {
  std::vector<double> values, vectors;
  symmetric_eigen(gram(table, rows, n), n, values, vectors);
  const double total = std::accumulate(values.begin(), values.end(), 0.0);
  double kept = 0;
  k = 0;
  while (k < n && kept < kEnergyShare * total) kept += std::max(values[k++], 0.0);
  std::vector<double> basis(static_cast<size_t>(n * k));
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t c = 0; c < k; ++c) basis[i * k + c] = vectors[i * n + c];
  }
  return basis;
}

// Share of the rows' energy (sum of squares) inside the span of `basis` (n x k, orthonormal).
double energy_inside(const float* table, int64_t rows, int64_t n, const std::vector<double>& basis,
                     int64_t k) {
  double inside = 0, total = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = table + r * n;
    for (int64_t i = 0; i < n; ++i) total += static_cast<double>(x[i]) * x[i];
    for (int64_t c = 0; c < k; ++c) {
      double projection = 0;
      for (int64_t i = 0; i < n; ++i) projection += x[i] * basis[i * k + c];
      inside += projection * projection;
    }
  }
  return total > 0 ? inside / total : 0.0;
}

double norm(const float* x, int64_t n) {
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i]) * x[i];
  return std::sqrt(sum);
}

// dot[r][c] = rows_a[r] . rows_b[c] for row-major [ra, n] and [rb, n] tables, in double.
std::vector<double> dots(const float* a, int64_t ra, const float* b, int64_t rb, int64_t n) {
  std::vector<double> out(static_cast<size_t>(ra * rb));
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < ra; ++r) {
    for (int64_t c = 0; c < rb; ++c) {
      double sum = 0;
      for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(a[r * n + i]) * b[c * n + i];
      out[static_cast<size_t>(r * rb + c)] = sum;
    }
  }
  return out;
}

}  // namespace

void symmetric_eigen(std::vector<double> a, int64_t n, std::vector<double>& values,
                     std::vector<double>& vectors) {
  std::vector<double> v(static_cast<size_t>(n * n), 0.0);
  for (int64_t i = 0; i < n; ++i) v[i * n + i] = 1.0;
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0, scale = 0;
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < n; ++j) (i == j ? scale : off) += a[i * n + j] * a[i * n + j];
    }
    if (off <= 1e-26 * std::max(scale, 1e-300)) break;
    for (int64_t p = 0; p < n; ++p) {
      for (int64_t q = p + 1; q < n; ++q) {
        const double apq = a[p * n + q];
        if (apq == 0.0) continue;
        // Rotation that zeroes a[p][q] (Golub & Van Loan, Algorithm 8.4.2).
        const double tau = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const double t = (tau >= 0 ? 1.0 : -1.0) / (std::fabs(tau) + std::sqrt(1 + tau * tau));
        const double c = 1 / std::sqrt(1 + t * t), s = t * c;
        for (int64_t k = 0; k < n; ++k) {  // A <- A J
          const double akp = a[k * n + p], akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (int64_t k = 0; k < n; ++k) {  // A <- J^T A
          const double apk = a[p * n + k], aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (int64_t k = 0; k < n; ++k) {  // V <- V J
          const double vkp = v[k * n + p], vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](int64_t x, int64_t y) { return a[x * n + x] > a[y * n + y]; });
  values.assign(static_cast<size_t>(n), 0.0);
  vectors.assign(static_cast<size_t>(n * n), 0.0);
  for (int64_t c = 0; c < n; ++c) {
    values[static_cast<size_t>(c)] = a[order[c] * n + order[c]];
    for (int64_t i = 0; i < n; ++i) vectors[i * n + c] = v[i * n + order[c]];
  }
}

PositionDecomposition decompose_positions(const LoadedEncoder& loaded, int64_t positions,
                                          const std::vector<int32_t>& token_ids) {
  const EncoderSpec& spec = loaded.model.spec;
  const Tensor table = loaded.encoder.position_encodings(positions);
  const int64_t n = table.dim(1);
  if (spec.word_embeddings.shape.at(1) != n) {
    throw Error("--decompose needs word vectors as wide as the position vectors (" +
                std::to_string(n) + "); this model's are " +
                std::to_string(spec.word_embeddings.shape.at(1)) + " wide");
  }
  if (token_ids.empty()) throw Error("--decompose: the text has no ordinary pieces to place");
  const int64_t vocab = spec.word_embeddings.shape.at(0);
  PositionDecomposition result;
  result.positions = positions;
  result.tokens = static_cast<int64_t>(token_ids.size());
  result.hidden = n;

  // Words as the model adds them: E[v] + T[0].
  std::vector<float> words(spec.word_embeddings.data, spec.word_embeddings.data + vocab * n);
  if (!spec.token_type_embeddings.empty()) {
    for (int64_t v = 0; v < vocab; ++v) {
      for (int64_t i = 0; i < n; ++i) words[v * n + i] += spec.token_type_embeddings.data[i];
    }
  }
  // x = w_t + P_p, so every cosine needed is a sum of precomputed dot products:
  // x . w_v = w_t . w_v + P_p . w_v and x . P_q = w_t . P_q + P_p . P_q.
  const auto tokens = static_cast<int64_t>(token_ids.size());
  std::vector<float> placed(static_cast<size_t>(tokens * n));
  for (int64_t t = 0; t < tokens; ++t) {
    std::copy_n(words.data() + static_cast<int64_t>(token_ids[t]) * n, n, placed.data() + t * n);
  }
  const float* p_rows = table.data();
  const std::vector<double> token_word = dots(placed.data(), tokens, words.data(), vocab, n);
  const std::vector<double> position_word = dots(p_rows, positions, words.data(), vocab, n);
  const std::vector<double> token_position = dots(placed.data(), tokens, p_rows, positions, n);
  const std::vector<double> position_position = dots(p_rows, positions, p_rows, positions, n);
  std::vector<double> word_norm(static_cast<size_t>(vocab)), position_norm(positions);
  for (int64_t v = 0; v < vocab; ++v) word_norm[v] = norm(words.data() + v * n, n);
  for (int64_t p = 0; p < positions; ++p) position_norm[p] = norm(p_rows + p * n, n);

  result.buckets.push_back({"all", 0, 0, 0});
  for (const BucketRange& range : kRanges) {
    if (range.low < positions) result.buckets.push_back({range.name, 0, 0, 0});
  }
  // Arg-max of cosine(x, row r) = dot_r / (|row r| |x|): |x| is common to all rows.
  const auto best = [](int64_t rows, const auto& dot, const std::vector<double>& row_norm) {
    int64_t found = -1;
    double best_value = -1e300;
    for (int64_t r = 0; r < rows; ++r) {
      if (row_norm[static_cast<size_t>(r)] == 0) continue;
      const double value = dot(r) / row_norm[static_cast<size_t>(r)];
      if (value > best_value) best_value = value, found = r;
    }
    return found;
  };
  for (int64_t p = 0; p < positions; ++p) {
    std::vector<RecoveryBucket*> in{&result.buckets.front()};
    for (size_t b = 1; b < result.buckets.size(); ++b) {
      const BucketRange& range = kRanges[b - 1];
      if (p >= range.low && p <= range.high) in.push_back(&result.buckets[b]);
    }
    for (int64_t t = 0; t < tokens; ++t) {
      const int64_t token = best(
          vocab,
          [&](int64_t v) { return token_word[t * vocab + v] + position_word[p * vocab + v]; },
          word_norm);
      const int64_t position = best(
          positions,
          [&](int64_t q) {
            return token_position[t * positions + q] + position_position[p * positions + q];
          },
          position_norm);
      for (RecoveryBucket* bucket : in) {
        ++bucket->trials;
        bucket->token_right += token == token_ids[static_cast<size_t>(t)];
        bucket->position_right += position == p;
      }
    }
  }

  int64_t k_position = 0, k_word = 0;
  const std::vector<double> position_basis =
      principal_subspace(table.data(), positions, n, k_position);
  const std::vector<double> word_basis =
      principal_subspace(spec.word_embeddings.data, vocab, n, k_word);
  result.rank = k_position;
  // Principal angles: singular values of Bp^T Bw, via the eigenvalues of M M^T (kp x kp).
  std::vector<double> m(static_cast<size_t>(k_position * k_word), 0.0);
  for (int64_t a = 0; a < k_position; ++a) {
    for (int64_t b = 0; b < k_word; ++b) {
      for (int64_t i = 0; i < n; ++i)
        m[a * k_word + b] += position_basis[i * k_position + a] * word_basis[i * k_word + b];
    }
  }
  std::vector<double> mmt(static_cast<size_t>(k_position * k_position), 0.0);
  for (int64_t a = 0; a < k_position; ++a) {
    for (int64_t c = 0; c < k_position; ++c) {
      for (int64_t b = 0; b < k_word; ++b)
        mmt[a * k_position + c] += m[a * k_word + b] * m[c * k_word + b];
    }
  }
  std::vector<double> values, vectors;
  symmetric_eigen(mmt, k_position, values, vectors);
  for (int64_t a = 0; a < std::min(k_position, k_word); ++a) {
    result.cosines.push_back(std::sqrt(std::clamp(values[static_cast<size_t>(a)], 0.0, 1.0)));
  }
  result.word_rank = k_word;
  result.position_energy_in_word_subspace =
      energy_inside(table.data(), positions, n, word_basis, k_word);
  result.word_energy_in_position_subspace =
      energy_inside(spec.word_embeddings.data, vocab, n, position_basis, k_position);
  double p2 = 0, w2 = 0;
  for (int64_t i = 0; i < positions * n; ++i)
    p2 += static_cast<double>(table.data()[i]) * table.data()[i];
  for (int64_t i = 0; i < vocab * n; ++i) {
    w2 += static_cast<double>(spec.word_embeddings.data[i]) * spec.word_embeddings.data[i];
  }
  result.position_rms = std::sqrt(p2 / static_cast<double>(positions * n));
  result.word_rms = std::sqrt(w2 / static_cast<double>(vocab * n));
  return result;
}

}  // namespace ordo::cli
