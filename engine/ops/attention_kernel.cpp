#include "ops/attention_kernel.h"

#include <omp.h>

#include <algorithm>
#include <limits>

#include "ops/cpu.h"
#include "ops/panel_gemm.h"
#include "ordo/error.h"

namespace ordo::ops {

bool attention_kernel_supported(int64_t head_dim) {
  return panel_gemm_supported() && head_dim > 0 && head_dim % 16 == 0;
}

}  // namespace ordo::ops

// The kernel is AVX-512 code: only x86 builds compile it. Elsewhere attention_kernel_supported()
// is false, so the stub below is never called.
#if ORDO_X86
#include "ops/avx512.h"
#include "ops/work_shares.h"

namespace ordo::ops {
namespace {

using avx512::kCacheLine;
using avx512::tail_mask;

// As in panel_gemm.cpp: 6 rows x 4 vectors of sums in 24 registers.
constexpr int kTileRows = 6;
constexpr int64_t kKeyPanel = 64;  // keys per panel of K^T, 4 vectors
constexpr int kPanelVectors = kKeyPanel / 16;

// One head of one sequence. query, key and value point at token 0 of the head's columns in qkv.
struct Head {
  const float* query;
  const float* key;
  const float* value;
  int64_t qkv_stride;  // floats from one token's row of qkv to the next: 3 x hidden
  int64_t length;
  int64_t head_dim;
  float* probabilities;  // [length][length]
  float* context;        // token 0 of the head's columns in the [tokens, hidden] output
  int64_t context_stride;
  float* keys_transposed;  // scratch: per panel of 64 keys, [head_dim][64], zero past length
  float* values;           // scratch: V copied to [length][head_dim]
  const float* bias;       // added to the scores of query 0; null = no bias
  int64_t bias_query_stride;
  int64_t window;  // > 0: query i sees keys j with |i - j| <= window only; 0: every key
  // The caller keeps the probabilities: those outside a query tile's keys are written as 0.
  bool zero_outside_window;
};

// The keys a query tile [first, first + rows) sees under a window: [begin, end), begin rounded
// down to a whole vector so that loads from K^T's panels stay aligned. Keys outside are never
// scored, exponentiated or weighed: local attention costs O(length x window).
struct KeyRange {
  int64_t begin, end;
};

KeyRange key_range(const Head& head, int64_t first, int64_t rows) {
  if (head.window == 0) return {0, head.length};
  const int64_t begin = std::max<int64_t>(0, first - head.window) / 16 * 16;
  return {begin, std::min(head.length, first + rows + head.window)};
}

// The lanes of the vector of keys key0 .. key0 + 15 that query `query` sees (and that exist).
inline __mmask16 visible_keys(const Head& head, int64_t query, int64_t key0) {
  if (head.window == 0) return tail_mask(head.length - key0);
  const int64_t begin = std::max<int64_t>(0, query - head.window);
  const int64_t end = std::min(head.length, query + head.window + 1);
  return static_cast<__mmask16>(tail_mask(end - key0) & ~tail_mask(begin - key0));
}

// K^T in the panel layout multiply_step reads: one row of 64 keys per dimension, zero past the
// last key up to a multiple of 16 (the rest of a last, partial panel is never read). Gathers take
// one dimension of 16 keys at a time; the 16 cache lines they touch serve the next 15 dimensions
// from L1. (Scalar stores cost more than the scores themselves.)
ORDO_AVX512 void transpose_keys(const Head& head) {
  const __m512i rows =
      _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                         _mm512_set1_epi32(static_cast<int>(head.qkv_stride)));
  for (int64_t key0 = 0; key0 < head.length; key0 += 16) {
    const __mmask16 mask = tail_mask(head.length - key0);
    const float* from = head.key + key0 * head.qkv_stride;
    float* to =
        head.keys_transposed + key0 / kKeyPanel * head.head_dim * kKeyPanel + key0 % kKeyPanel;
    for (int64_t d = 0; d < head.head_dim; ++d) {
      _mm512_store_ps(to + d * kKeyPanel,
                      _mm512_mask_i32gather_ps(_mm512_setzero_ps(), mask, rows, from + d, 4));
    }
  }
}

// V's rows are 3 x hidden floats apart in qkv: 9 KiB for BERT-base, so the rows of one head
// fall in a quarter of L1's sets and evict one another. Copied together they stay in L1 while
// every query tile reads them.
void copy_values(const Head& head) {
  for (int64_t token = 0; token < head.length; ++token) {
    std::copy_n(head.value + token * head.qkv_stride, head.head_dim,
                head.values + token * head.head_dim);
  }
}

// rows[r][key0 .. key0 + 16 Vectors) = the queries' scores against (part of) one panel of K^T,
// key0 a multiple of 16; maxima[r] takes in those query first + r sees.
template <int Rows, int Vectors>
ORDO_AVX512 void score_panel(const Head& head, int64_t first, const float* const (&queries)[Rows],
                             int64_t key0, const float* const (&biases)[Rows],
                             float* const (&rows)[Rows], __m512 (&maxima)[Rows]) {
  __m512 sums[Rows][Vectors];
  for (auto& row : sums) {
    for (auto& sum : row) sum = _mm512_setzero_ps();
  }
  const float* panel =
      head.keys_transposed + key0 / kKeyPanel * kKeyPanel * head.head_dim + key0 % kKeyPanel;
  for (int64_t d = 0; d < head.head_dim; ++d) {
    avx512::multiply_step(sums, queries, d, panel + d * kKeyPanel);
  }
  for (int64_t v = 0; v < Vectors; ++v) {
    const __mmask16 mask = tail_mask(head.length - key0 - 16 * v);
    for (int64_t r = 0; r < Rows; ++r) {
      if (head.bias != nullptr) {
        sums[r][v] =
            _mm512_add_ps(sums[r][v], _mm512_maskz_loadu_ps(mask, biases[r] + key0 + 16 * v));
      }
      _mm512_mask_storeu_ps(rows[r] + key0 + 16 * v, mask, sums[r][v]);
      const __mmask16 seen = visible_keys(head, first + r, key0 + 16 * v);
      maxima[r] = _mm512_mask_max_ps(maxima[r], seen, maxima[r], sums[r][v]);
    }
  }
}

// probabilities[first .. first + Rows) = softmax(Q K^T + bias) for those queries: the scores, each
// row's maximum taken while the scores are still in registers, then e^(score - maximum) and its
// sum, then the division (the arithmetic of oneDNN's softmax_accurate). The rows of the tile go
// through each step together, so their reductions overlap instead of waiting on one another.
template <int Rows>
ORDO_AVX512 void probabilities_tile(const Head& head, int64_t first) {
  const float* queries[Rows] = {};
  const float* biases[Rows] = {};
  float* rows[Rows] = {};
  __m512 maxima[Rows];
  for (int64_t r = 0; r < Rows; ++r) {
    queries[r] = head.query + (first + r) * head.qkv_stride;
    if (head.bias != nullptr) biases[r] = head.bias + (first + r) * head.bias_query_stride;
    rows[r] = head.probabilities + (first + r) * head.length;
    maxima[r] = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  }
  const KeyRange keys = key_range(head, first, Rows);
  for (int64_t key0 = keys.begin; key0 < keys.end;) {
    // Up to the end of key0's panel; short sequences and windows fill only part of a panel,
    // whose other vectors are skipped.
    const int64_t vectors =
        std::min<int64_t>(kPanelVectors - key0 % kKeyPanel / 16, (keys.end - key0 + 15) / 16);
    switch (vectors) {
      case 1:
        score_panel<Rows, 1>(head, first, queries, key0, biases, rows, maxima);
        break;
      case 2:
        score_panel<Rows, 2>(head, first, queries, key0, biases, rows, maxima);
        break;
      case 3:
        score_panel<Rows, 3>(head, first, queries, key0, biases, rows, maxima);
        break;
      default:
        score_panel<Rows, kPanelVectors>(head, first, queries, key0, biases, rows, maxima);
    }
    key0 += 16 * vectors;
  }
  __m512 totals[Rows];
  for (int64_t r = 0; r < Rows; ++r) {
    maxima[r] = _mm512_set1_ps(_mm512_reduce_max_ps(maxima[r]));
    totals[r] = _mm512_setzero_ps();
  }
  // Keys in the tile's range that a query does not see get probability 0.
  for (int64_t j = keys.begin; j < keys.end; j += 16) {
    const __mmask16 mask = tail_mask(keys.end - j);
    for (int64_t r = 0; r < Rows; ++r) {
      const __mmask16 seen = visible_keys(head, first + r, j);
      const __m512 e = _mm512_maskz_mov_ps(
          seen, avx512::exp_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(seen, rows[r] + j), maxima[r])));
      _mm512_mask_storeu_ps(rows[r] + j, mask, e);
      totals[r] = _mm512_add_ps(totals[r], e);
    }
  }
  for (int64_t r = 0; r < Rows; ++r)
    totals[r] = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(totals[r]));
  for (int64_t j = keys.begin; j < keys.end; j += 16) {
    const __mmask16 mask = tail_mask(keys.end - j);
    for (int64_t r = 0; r < Rows; ++r) {
      const __m512 p = _mm512_mul_ps(_mm512_maskz_loadu_ps(mask, rows[r] + j), totals[r]);
      _mm512_mask_storeu_ps(rows[r] + j, mask, p);
    }
  }
  if (head.zero_outside_window) {
    for (int64_t r = 0; r < Rows; ++r) {
      std::fill(rows[r], rows[r] + keys.begin, 0.0f);
      std::fill(rows[r] + keys.end, rows[r] + head.length, 0.0f);
    }
  }
}

// context[first .. first + Rows) columns [column, column + 16 Vectors) = P V.
template <int Rows, int Vectors>
ORDO_AVX512 void weigh_values(const Head& head, int64_t first, int64_t column) {
  const float* weights[Rows] = {};
  for (int64_t r = 0; r < Rows; ++r) weights[r] = head.probabilities + (first + r) * head.length;
  __m512 sums[Rows][Vectors];
  for (auto& row : sums) {
    for (auto& sum : row) sum = _mm512_setzero_ps();
  }
  const float* values = head.values + column;
  const KeyRange keys = key_range(head, first, Rows);
  for (int64_t k = keys.begin; k < keys.end; ++k) {
    avx512::multiply_step(sums, weights, k, values + k * head.head_dim);
  }
  for (int64_t r = 0; r < Rows; ++r) {
    float* out = head.context + (first + r) * head.context_stride + column;
    for (int64_t v = 0; v < Vectors; ++v) _mm512_storeu_ps(out + 16 * v, sums[r][v]);
  }
}

template <int Rows>
ORDO_AVX512 void context_tile(const Head& head, int64_t first) {
  for (int64_t column = 0; column < head.head_dim; column += kKeyPanel) {
    switch ((head.head_dim - column) / 16) {
      case 1:
        weigh_values<Rows, 1>(head, first, column);
        break;
      case 2:
        weigh_values<Rows, 2>(head, first, column);
        break;
      case 3:
        weigh_values<Rows, 3>(head, first, column);
        break;
      default:
        weigh_values<Rows, 4>(head, first, column);
    }
  }
}

template <template <int> class Tile>
ORDO_AVX512 void for_each_query_tile(const Head& head) {
  for (int64_t first = 0; first < head.length; first += kTileRows) {
    switch (std::min<int64_t>(kTileRows, head.length - first)) {
      case 1:
        Tile<1>::run(head, first);
        break;
      case 2:
        Tile<2>::run(head, first);
        break;
      case 3:
        Tile<3>::run(head, first);
        break;
      case 4:
        Tile<4>::run(head, first);
        break;
      case 5:
        Tile<5>::run(head, first);
        break;
      default:
        Tile<kTileRows>::run(head, first);
    }
  }
}

template <int Rows>
struct ProbabilitiesTile {
  ORDO_AVX512 static void run(const Head& head, int64_t first) {
    probabilities_tile<Rows>(head, first);
  }
};
template <int Rows>
struct ContextTile {
  ORDO_AVX512 static void run(const Head& head, int64_t first) { context_tile<Rows>(head, first); }
};

// Two sweeps over the queries, so that each keeps its right-hand matrix in L1: all scores and
// softmaxes against K^T (32 KiB at 128 tokens of 64 dimensions), then all of P V against V.
ORDO_AVX512 void attend(const Head& head) {
  transpose_keys(head);
  copy_values(head);
  for_each_query_tile<ProbabilitiesTile>(head);
  for_each_query_tile<ContextTile>(head);
}

// While a thread works through one sequence's heads, each head prefetches 1/heads of the next
// sequence's Q, K and V rows into L2, so that the next sequence's heads do not wait on their
// rows one cache line at a time: a head's rows lie 3 x hidden floats apart, a stride the
// hardware prefetchers do not follow. Attention alone, Q/K/V just written (as after the QKV
// projection), 12 heads of 64, against no prefetch: 32x32 1.17-1.20x, 32x16 1.03x, 8x128
// 1.00x, 4x256 1.035x; 12 heads of 32 at 32x32 1.08x. Prefetching the next head instead does not
// help (attention alone at 8x128).
ORDO_AVX512 void prefetch_next_sequence_share(const float* next_sequence, int64_t sequence_floats,
                                              int64_t head, int64_t heads) {
  const int64_t bytes = sequence_floats * static_cast<int64_t>(sizeof(float));
  const int64_t share = (bytes + heads - 1) / heads;
  const char* begin = reinterpret_cast<const char*>(next_sequence);
  const char* end = begin + std::min(bytes, (head + 1) * share);
  for (const char* line = begin + head * share; line < end; line += kCacheLine)
    _mm_prefetch(line, _MM_HINT_T1);
}

}  // namespace

void attention_kernel(float* qkv, int64_t batch, int64_t length, int64_t heads, int64_t head_dim,
                      const AttentionPositions& positions, int64_t window, AlignedBuffer& scratch,
                      float* probabilities, float* context) {
  // A window as wide as the sequence is global attention.
  if (window >= length - 1) window = 0;
  const int64_t hidden = heads * head_dim;
  const int64_t sequence_floats = length * 3 * hidden;  // one sequence's rows of qkv
  const int64_t keys_floats = (length + kKeyPanel - 1) / kKeyPanel * kKeyPanel * head_dim;
  const int64_t own_probabilities = probabilities == nullptr ? length * length : 0;
  // Rounded to whole cache lines: each thread's K^T must start 64-byte aligned, like the buffer.
  const int64_t thread_floats =
      (keys_floats + length * head_dim + own_probabilities + 15) / 16 * 16;
  float* buffers = scratch.reserve(static_cast<size_t>(thread_floats * omp_get_max_threads()));
  // schedule(static)'s contiguous shares of the (sequence, head) pairs, so that the heads of a
  // sequence run on the thread that prefetched them, with the leftovers balanced.
  const int64_t pairs = batch * heads;
  run_shares(
      [&](int owner, int team) {
        return share_begin(pairs, owner + 1, team) - share_begin(pairs, owner, team);
      },
      [&](int owner, int team, int64_t item) {
        const int64_t pair = share_begin(pairs, owner, team) + item;
        float* keys_transposed = buffers + omp_get_thread_num() * thread_floats;
        float* values = keys_transposed + keys_floats;
        const int64_t sequence = pair / heads, head = pair % heads;
        if (sequence + 1 < batch) {
          prefetch_next_sequence_share(qkv + (sequence + 1) * sequence_floats, sequence_floats,
                                       head, heads);
        }
        float* query = qkv + sequence * sequence_floats + head * head_dim;
        if (!positions.rotation.empty()) {
          // This head's rows of Q and K belong to this item alone, and are read next.
          rotate_rows(query, 3 * hidden, length, positions.rotation);
          rotate_rows(query + hidden, 3 * hidden, length, positions.rotation);
        }
        float* head_probabilities = probabilities != nullptr
                                        ? probabilities + pair * length * length
                                        : values + length * head_dim;
        const bool biased = !positions.bias.empty();
        attend(Head{query, query + hidden, query + 2 * hidden, 3 * hidden, length, head_dim,
                    head_probabilities, context + sequence * length * hidden + head * head_dim,
                    hidden, keys_transposed, values,
                    biased ? positions.bias.row(sequence, head, 0) : nullptr,
                    positions.bias.query_stride, window, probabilities != nullptr});
      });
}

}  // namespace ordo::ops

#else  // !ORDO_X86

namespace ordo::ops {

void attention_kernel(float*, int64_t, int64_t, int64_t, int64_t, const AttentionPositions&,
                      int64_t, AlignedBuffer&, float*, float*) {
  throw Error("internal error: ordo's AVX-512 attention kernel called on a build without it");
}

}  // namespace ordo::ops

#endif  // ORDO_X86
