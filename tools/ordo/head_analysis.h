#pragma once
// The measurements behind `ordo heads`: does an attention head look at tokens by where they
// are or by what they are?
//
// Each line is run as written and with its words shuffled (pe_comparison's shuffle_words).
// For a query token at position i that moved to i' = pi(i), a head that attends by content
// puts the same weight on the same tokens after the shuffle, A'[i', pi(j)] = A[i, j]; a head
// that attends by relative position puts it at the same offsets, A'[i', i' + (j - i)] =
// A[i, j]. `follows_content` and `follows_position` are the overlaps sum_j min(A, A') of the
// two predictions with what the head did, averaged over the queries (the text's pieces, not
// [CLS] or [SEP]): 1 when the prediction is exact, 0 when disjoint. Without any positional
// information a head is permutation-equivariant and follows_content is exactly 1.
#include <cstdint>
#include <string>
#include <vector>

#include "common.h"

namespace ordo::cli {

struct HeadScore {
  int64_t layer = 0, head = 0;  // 0-based
  // Mean attention mass of a query on the token before it, itself, the one after it, and the
  // frame tokens ([CLS] first, [SEP] last).
  double previous = 0, self = 0, next = 0, first = 0, last = 0;
  double follows_position = 0, follows_content = 0;
  double score() const { return follows_position - follows_content; }  // > 0: positional
  // "positional (previous|self|next)", "content", "mixed", or "[CLS]/[SEP]" for a head whose
  // queries put most of their weight on the frame tokens (an attention sink).
  std::string label() const;
};

struct HeadAnalysis {
  int64_t sentences = 0, queries = 0;
  std::vector<HeadScore> heads;  // layer-major: heads[layer * num_heads + head]
};

// `lines`: pieces without special tokens (pe_comparison's tokenize_lines); at most
// `max_sentences` lines with three or more words are used.
HeadAnalysis analyse_heads(const LoadedEncoder& loaded,
                           const std::vector<std::vector<int32_t>>& lines, int64_t max_sentences,
                           uint64_t seed);

}  // namespace ordo::cli
