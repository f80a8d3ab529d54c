#pragma once
// What ordo::Model returns for a batch of inputs: token by token hidden states, one sentence
// vector per input, the tokens themselves and, on request, every layer's hidden states and
// attention probabilities. A Result owns all of it; spans into it stay valid as long as it
// lives. Arrays are row-major float32. Results, Arrays and spans are plain values: reading one
// from several threads at once is safe, changing one while others read it is not.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ordo/export.h"

namespace ordo {

// A read-only view of contiguous floats. It owns nothing: it is valid as long as the Array
// (and so the Result) it came from.
class FloatSpan {
 public:
  FloatSpan() = default;
  FloatSpan(const float* data, size_t size) : data_(data), size_(size) {}

  const float* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const float* begin() const { return data_; }
  const float* end() const { return data_ + size_; }
  float operator[](size_t index) const { return data_[index]; }  // unchecked, as std::span

 private:
  const float* data_ = nullptr;
  size_t size_ = 0;
};

// An owning row-major float array and its shape. Copies copy the values; moves do not.
class ORDO_API Array {
 public:
  Array() = default;
  // Throws ordo::Error when the values do not fill the shape exactly.
  Array(std::vector<int64_t> shape, std::vector<float> values);

  const std::vector<int64_t>& shape() const { return shape_; }
  size_t rank() const { return shape_.size(); }
  int64_t dim(size_t axis) const;                 // throws ordo::Error past rank()
  size_t size() const { return values_.size(); }  // the product of the shape
  const std::vector<float>& values() const { return values_; }

  // The contiguous block under leading indices. For [inputs, tokens, hidden]: slice(i) is
  // input i ([tokens * hidden] values), slice(i, t) its token t ([hidden]); for attentions
  // [inputs, heads, tokens, tokens], slice(i, h, q) is query q's row over the keys. Throws
  // ordo::Error naming the axis when an index is out of range or there are too many.
  FloatSpan slice(size_t i) const;
  FloatSpan slice(size_t i, size_t j) const;
  FloatSpan slice(size_t i, size_t j, size_t k) const;

 private:
  FloatSpan slice_at(const size_t* index, size_t count) const;

  std::vector<int64_t> shape_;
  std::vector<float> values_;
};

// One token of an input, as the model saw it.
struct Token {
  std::string text;  // vocabulary piece ("▁cat") or special token ("[CLS]"); empty for ids
                     // the tokenizer has no piece for, or when the model has no tokenizer
  int32_t id = 0;    // model id: the row of the word-embedding table
  int32_t type = 0;  // token type (segment): 1 for the second text of a pair, else 0
  int source = 0;    // which text it came from: 0 first, 1 second, -1 a special token or ids
  size_t begin = 0;  // byte span [begin, end) in the UTF-8 text it came from; 0, 0 when none
  size_t end = 0;
};

// N inputs, longest = the most tokens of any of them, hidden = the model's hidden size.
struct ORDO_API Result {
  std::vector<std::vector<Token>> tokens;  // N lists, in input order; tokens[i].size() = length
  std::vector<size_t> truncated;           // N counts of text tokens cut to fit max_tokens()

  // [N, longest, hidden]: the last layer's output for every token; rows t >= tokens[i].size()
  // are zero padding.
  Array last_hidden_state;
  // [N, hidden] (or [N, Options::dimensions]): one vector per input, pooled over its real
  // tokens as Options::pooling says, unit L2 norm when Options::normalize.
  Array pooled;
  // With Options::output_hidden_states: layers + 1 arrays shaped like last_hidden_state, [0] the
  // embedding output and [l] the output of block l. Pre-LN models: [layers] is before the final
  // LayerNorm, last_hidden_state after it (as Hugging Face). Empty otherwise.
  std::vector<Array> hidden_states;
  // With Options::output_attentions: one [N, heads, longest, longest] array per layer, the
  // softmax probabilities of query (row) over key (column); rows and columns of padding are
  // zero. Empty otherwise.
  std::vector<Array> attentions;

  size_t size() const { return tokens.size(); }   // N
  FloatSpan sentence_vector(size_t input) const;  // pooled.slice(input), [hidden or dimensions]
  // last_hidden_state.slice(input, token), [hidden]; throws ordo::Error past the input's
  // real tokens.
  FloatSpan token_vector(size_t input, size_t token) const;
};

// One corpus row found by top_k.
struct Hit {
  size_t index = 0;    // the row of the corpus
  float score = 0.0f;  // its cosine with the query
};

// The cosine of every row of `a` ([n, d]) with every row of `b` ([m, d]): [n, m]. A zero row
// has cosine 0 with everything. Throws ordo::Error when an array is not 2-D or the widths
// differ.
ORDO_API Array similarity(const Array& a, const Array& b);
// For each query row, the k corpus rows of highest cosine, best first (ties: lower index
// first). Throws ordo::Error when k is 0 or more than the corpus rows, or as similarity().
ORDO_API std::vector<std::vector<Hit>> top_k(const Array& queries, const Array& corpus, size_t k);

// What Model::compare reports about two texts, as `ordo pair --json` does.
struct PairOptions {
  // The layer whose token vectors are compared: 0 is the embedding output, -1 the last layer.
  // Attention rows come from block max(layer, 1).
  int layer = -1;
  int head = -1;  // the attention head compared; -1: the mean over heads
  // Match shared tokens by their text without SentencePiece's "▁" marker instead of by id.
  bool align_surface = false;
};

// One token that occurs in both texts (the k-th occurrence in A matched to the k-th in B).
struct SharedToken {
  std::string token;  // the piece
  size_t index_a = 0, index_b = 0;
  double cosine = 0, l2 = 0;  // between its two vectors at PairOptions::layer
  // between its two attention rows, keys aligned by identity
  double attention_cosine = 0, attention_l2 = 0;
};

struct PairComparison {
  std::vector<Token> a, b;  // the tokens of each text, template included
  int layer = 0;            // as resolved (-1 becomes the last layer)
  int attention_block = 1;  // max(layer, 1)
  int head = -1;
  double cosine = 0;  // of the two sentence vectors (the model's pooling)
  std::vector<SharedToken> shared_tokens;
  bool permutation = false;  // B's tokens are A's in another order
  // Or the same words whose pieces differ only by the "▁" word-boundary marker.
  bool permutation_up_to_word_marker = false;
  double max_drift_l2 = 0;  // the largest L2 drift of a shared token
  std::string verdict;      // one sentence: what the drift says about the positional encoding
  std::string note;         // about the word-boundary marker, when it matters; else ""
};

}  // namespace ordo
