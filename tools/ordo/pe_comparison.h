#pragma once
// The measurements behind `ordo compare-pe`, run by the engine itself.
//
// Masked-LM accuracy follows tools/train/evaluate.py exactly, so that the bundled models'
// card figures are reproduced: the text's lines are tokenized without special tokens and
// concatenated into one stream, cut into consecutive chunks of L-2 pieces framed
// [CLS] chunk [SEP]; a SplitMix64 generator (seed 12345 per length) picks each position
// 1 .. L-2 with probability 0.15 if it holds an ordinary piece, and those positions become
// [MASK]; prediction is the arg-max of the MLM head over the vocabulary.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common.h"

namespace ordo::cli {

// The small documented generator evaluate.py uses (Steele et al.'s SplitMix64).
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t next();
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

struct Accuracy {
  int64_t correct = 0, scored = 0;
  std::optional<double> value() const;  // none when nothing was scored
};

struct MlmResult {
  int64_t length = 0, sequences = 0;
  std::optional<std::string> skipped;  // why this length cannot run (a learned table's size)
  std::map<std::string, Accuracy> model, baseline;  // "overall", "0-31", "32-63", ...
};

struct MlmEvaluation {
  int64_t pieces = 0;  // pieces in the text's stream
  int32_t baseline_id = 0;
  std::string baseline_piece;  // most frequent ordinary piece of the text
  std::vector<MlmResult> lengths;
};

// The text's lines, each tokenized without special tokens.
std::vector<std::vector<int32_t>> tokenize_lines(const LoadedEncoder& loaded,
                                                 const std::vector<std::string>& lines);

// The first `count` distinct ordinary pieces (not special, control or unknown) of the lines, in
// text order.
std::vector<int32_t> distinct_ordinary_pieces(const LoadedEncoder& loaded,
                                              const std::vector<std::vector<int32_t>>& lines,
                                              size_t count);

MlmEvaluation evaluate_mlm(const LoadedEncoder& loaded,
                           const std::vector<std::vector<int32_t>>& lines,
                           const std::vector<int64_t>& lengths, uint64_t seed);

// How far a sentence vector (mean pooling, last layer) moves when the words of a line are
// shuffled: mean of 1 - cosine and of the L2 distance over the lines with at least three
// words. Words are groups of pieces (a piece starting with "▁" opens a word, and each piece
// starting with a CJK character is a word of its own), so a shuffle is a permutation of the
// pieces: without a positional encoding the vector cannot move (unless a layer attends within
// a window).
struct OrderSensitivity {
  int64_t sentences = 0;
  double mean_one_minus_cosine = 0, mean_l2 = 0;
};

// A line framed [CLS] pieces [SEP] and the same pieces with their words shuffled (see
// OrderSensitivity), and `order`: position k of `shuffled` holds the piece at position
// order[k] of `original`. None when the line has fewer than three words or no shuffle of
// them differs. Pieces beyond the model's table (minus the two frame tokens) are dropped.
struct ShuffledLine {
  std::vector<int32_t> original, shuffled;
  std::vector<size_t> order;
};
std::optional<ShuffledLine> shuffle_words(const LoadedEncoder& loaded,
                                          const std::vector<int32_t>& line, SplitMix64& rng);

OrderSensitivity order_sensitivity(const LoadedEncoder& loaded,
                                   const std::vector<std::vector<int32_t>>& lines,
                                   int64_t max_sentences, uint64_t seed);

}  // namespace ordo::cli
