#include "pe_comparison.h"

#include <algorithm>
#include <unordered_map>

#include "ordo/error.h"
#include "pair_analysis.h"

namespace ordo::cli {
namespace {

constexpr double kMaskRate = 0.15;
constexpr size_t kBatch = 16;

// [CLS] and [SEP] (or the family's equivalents) as the template frames a single text.
std::pair<int32_t, int32_t> frame_ids(const tokenizer::Tokenizer& tokenizer) {
  const auto empty = tokenizer.encode("");
  if (empty.ids.size() != 2) {
    throw Error(
        "compare-pe needs a [CLS] text [SEP] template (BERT style); this tokenizer frames "
        "a text with " +
        std::to_string(empty.ids.size()) + " special tokens");
  }
  return {empty.ids.front(), empty.ids.back()};
}

class OrdinaryPieces {
 public:
  explicit OrdinaryPieces(const tokenizer::Tokenizer& tokenizer) : tokenizer_(tokenizer) {
    const auto [cls, sep] = frame_ids(tokenizer);
    excluded_ = {cls, sep};
    if (auto mask = tokenizer.mask_id()) excluded_.push_back(*mask);
  }
  // A piece of text, not a special, control or unknown token.
  bool operator()(int32_t id) const {
    if (std::find(excluded_.begin(), excluded_.end(), id) != excluded_.end()) return false;
    const int piece = tokenizer_.ids().to_piece_id(id);
    const auto& model = tokenizer_.model();
    return piece >= 0 && piece != model.unk_id() && !model.is_control(piece) &&
           model.id_to_piece(piece) != "[PAD]" && model.id_to_piece(piece) != "<pad>";
  }

 private:
  const tokenizer::Tokenizer& tokenizer_;
  std::vector<int32_t> excluded_;
};

int32_t arg_max(const float* values, int64_t size) {
  return static_cast<int32_t>(std::max_element(values, values + size) - values);
}

struct Bucket {
  const char* name;
  int64_t low, high;
};
constexpr Bucket kBuckets[] = {{"0-31", 0, 31},       {"32-63", 32, 63},
                               {"64-127", 64, 127},   {"128-255", 128, 255},
                               {"256-511", 256, 511}, {"512-1023", 512, 1023}};

void count(MlmResult& result, int64_t position, bool model_right, bool baseline_right,
           int64_t length) {
  auto add = [&](const std::string& key) {
    Accuracy& m = result.model[key];
    Accuracy& b = result.baseline[key];
    ++m.scored;
    ++b.scored;
    m.correct += model_right;
    b.correct += baseline_right;
  };
  add("overall");
  for (const Bucket& bucket : kBuckets) {
    if (bucket.low < length && position >= bucket.low && position <= bucket.high) add(bucket.name);
  }
}

MlmResult evaluate_length(const LoadedEncoder& loaded, const std::vector<int32_t>& stream,
                          int64_t length, uint64_t seed, int32_t baseline_id) {
  MlmResult result;
  result.length = length;
  const int64_t limit = loaded.encoder.max_positions();
  if (limit > 0 && length > limit) {
    result.skipped = "the learned table has " + std::to_string(limit) + " positions";
    return result;
  }
  for (const Bucket& bucket : kBuckets) {
    if (bucket.low < length) result.model[bucket.name], result.baseline[bucket.name];
  }
  const tokenizer::Tokenizer& tokenizer = loaded.model.require_tokenizer();
  const auto [cls, sep] = frame_ids(tokenizer);
  const int32_t mask = tokenizer.mask_id().value();
  const OrdinaryPieces ordinary(tokenizer);
  const auto chunk = static_cast<size_t>(length - 2);
  result.sequences = static_cast<int64_t>(stream.size() / chunk);
  SplitMix64 rng(seed);
  for (int64_t first = 0; first < result.sequences; first += kBatch) {
    const int64_t last = std::min<int64_t>(result.sequences, first + kBatch);
    EncoderInput input;
    std::vector<std::pair<int64_t, int64_t>> rows;
    std::vector<int32_t> targets;
    for (int64_t s = first; s < last; ++s) {
      std::vector<int32_t> ids{cls};
      ids.insert(ids.end(), stream.begin() + s * chunk, stream.begin() + (s + 1) * chunk);
      ids.push_back(sep);
      for (int64_t p = 1; p <= length - 2; ++p) {
        if (rng.uniform() < kMaskRate && ordinary(ids[p])) {
          rows.emplace_back(s - first, p);
          targets.push_back(ids[p]);
          ids[p] = mask;
        }
      }
      input.ids.push_back(std::move(ids));
    }
    const EncoderOutput output = loaded.encoder.forward(input);
    const Tensor logits = loaded.encoder.masked_lm_logits(output, rows);
    require_finite(logits.data(), logits.numel(), "the MLM logits");  // else accuracy is noise
    const int64_t vocab = logits.dim(1);
    for (size_t r = 0; r < rows.size(); ++r) {
      const int32_t predicted = arg_max(logits.data() + static_cast<int64_t>(r) * vocab, vocab);
      count(result, rows[r].second, predicted == targets[r], baseline_id == targets[r], length);
    }
  }
  return result;
}

bool starts_with_cjk(const std::string& piece) {
  if (piece.size() < 3) return false;
  const auto b0 = static_cast<unsigned char>(piece[0]), b1 = static_cast<unsigned char>(piece[1]),
             b2 = static_cast<unsigned char>(piece[2]);
  if ((b0 & 0xF0) != 0xE0) return false;
  const uint32_t code = ((b0 & 0x0Fu) << 12) | ((b1 & 0x3Fu) << 6) | (b2 & 0x3Fu);
  return (code >= 0x3400 && code <= 0x9FFF) || (code >= 0xF900 && code <= 0xFAFF);
}

// Groups of pieces that form words (see OrderSensitivity).
std::vector<std::vector<int32_t>> words_of(const tokenizer::Tokenizer& tokenizer,
                                           const std::vector<int32_t>& ids) {
  std::vector<std::vector<int32_t>> words;
  bool previous_cjk = false;
  for (int32_t id : ids) {
    const std::string piece = tokenizer.ids().token(id);
    const bool cjk = starts_with_cjk(piece);
    const bool opens = piece.rfind("\xE2\x96\x81", 0) == 0;  // "▁"
    if (words.empty() || opens || cjk || previous_cjk) words.emplace_back();
    words.back().push_back(id);
    previous_cjk = cjk;
  }
  return words;
}

}  // namespace

uint64_t SplitMix64::next() {
  state_ += 0x9E3779B97F4A7C15ULL;
  uint64_t z = state_;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::optional<double> Accuracy::value() const {
  if (scored == 0) return std::nullopt;
  return static_cast<double>(correct) / static_cast<double>(scored);
}

std::vector<std::vector<int32_t>> tokenize_lines(const LoadedEncoder& loaded,
                                                 const std::vector<std::string>& lines) {
  const tokenizer::Tokenizer& tokenizer = loaded.model.require_tokenizer();
  std::vector<std::vector<int32_t>> result;
  result.reserve(lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    tokenizer::Encoding encoding;
    try {
      encoding = tokenizer.encode(lines[i]);
    } catch (const Error& e) {
      throw Error("line " + std::to_string(i + 1) + ": " + e.what());
    }
    std::vector<int32_t> ids;
    for (size_t t = 0; t < encoding.ids.size(); ++t) {
      if (encoding.sequence[t] >= 0) ids.push_back(encoding.ids[t]);
    }
    result.push_back(std::move(ids));
  }
  return result;
}

std::vector<int32_t> distinct_ordinary_pieces(const LoadedEncoder& loaded,
                                              const std::vector<std::vector<int32_t>>& lines,
                                              size_t count) {
  const OrdinaryPieces ordinary(loaded.model.require_tokenizer());
  std::vector<int32_t> found;
  std::unordered_map<int32_t, bool> seen;
  for (const auto& line : lines) {
    for (int32_t id : line) {
      if (found.size() == count) return found;
      if (ordinary(id) && !seen[id]) {
        seen[id] = true;
        found.push_back(id);
      }
    }
  }
  return found;
}

MlmEvaluation evaluate_mlm(const LoadedEncoder& loaded,
                           const std::vector<std::vector<int32_t>>& lines,
                           const std::vector<int64_t>& lengths, uint64_t seed) {
  if (!loaded.encoder.has_masked_lm_head()) {
    throw Error(loaded.model.directory.string() + ": the checkpoint has no masked-LM head");
  }
  const tokenizer::Tokenizer& tokenizer = loaded.model.require_tokenizer();
  if (!tokenizer.mask_id()) {
    throw Error(loaded.model.directory.string() + ": the tokenizer has no mask token");
  }
  MlmEvaluation evaluation;
  std::vector<int32_t> stream;
  for (const auto& line : lines) stream.insert(stream.end(), line.begin(), line.end());
  evaluation.pieces = static_cast<int64_t>(stream.size());
  const OrdinaryPieces ordinary(tokenizer);
  std::unordered_map<int32_t, int64_t> frequency;
  for (int32_t id : stream) {
    if (ordinary(id)) ++frequency[id];
  }
  if (frequency.empty()) throw Error("the text holds no ordinary pieces to predict");
  const auto top = std::max_element(frequency.begin(), frequency.end(), [](auto& x, auto& y) {
    return x.second < y.second || (x.second == y.second && x.first > y.first);
  });
  evaluation.baseline_id = top->first;
  evaluation.baseline_piece = tokenizer.ids().token(top->first);
  for (int64_t length : lengths) {
    evaluation.lengths.push_back(
        evaluate_length(loaded, stream, length, seed, evaluation.baseline_id));
  }
  return evaluation;
}

std::optional<ShuffledLine> shuffle_words(const LoadedEncoder& loaded,
                                          const std::vector<int32_t>& line, SplitMix64& rng) {
  const tokenizer::Tokenizer& tokenizer = loaded.model.require_tokenizer();
  const auto [cls, sep] = frame_ids(tokenizer);
  const int64_t limit = loaded.encoder.max_positions();
  std::vector<int32_t> pieces = line;
  // [CLS] and [SEP] take two positions; a table of one or two leaves no room for words.
  const int64_t room = std::max<int64_t>(limit - 2, 0);
  if (limit > 0 && static_cast<int64_t>(pieces.size()) > room) pieces.resize(room);
  const auto words = words_of(tokenizer, pieces);
  if (words.size() < 3) return std::nullopt;
  // Shuffle word indices, so that the permutation of pieces is known.
  std::vector<size_t> word_order(words.size());
  for (size_t w = 0; w < words.size(); ++w) word_order[w] = w;
  const auto unchanged = [&] {
    for (size_t w = 0; w < words.size(); ++w) {
      if (words[word_order[w]] != words[w]) return false;
    }
    return true;
  };
  for (int attempt = 0; attempt < 8 && unchanged(); ++attempt) {
    for (size_t i = word_order.size() - 1; i > 0; --i)
      std::swap(word_order[i], word_order[rng.next() % (i + 1)]);
  }
  if (unchanged()) return std::nullopt;
  std::vector<size_t> first_piece(words.size());
  for (size_t w = 0, at = 1; w < words.size(); at += words[w].size(), ++w) first_piece[w] = at;
  ShuffledLine result;
  result.original.push_back(cls);
  result.original.insert(result.original.end(), pieces.begin(), pieces.end());
  result.original.push_back(sep);
  result.shuffled.push_back(cls);
  result.order.push_back(0);
  for (size_t w : word_order) {
    result.shuffled.insert(result.shuffled.end(), words[w].begin(), words[w].end());
    for (size_t k = 0; k < words[w].size(); ++k) result.order.push_back(first_piece[w] + k);
  }
  result.shuffled.push_back(sep);
  result.order.push_back(result.original.size() - 1);
  return result;
}

OrderSensitivity order_sensitivity(const LoadedEncoder& loaded,
                                   const std::vector<std::vector<int32_t>>& lines,
                                   int64_t max_sentences, uint64_t seed) {
  SplitMix64 rng(seed);
  EncoderInput input;  // original and shuffled, alternating
  for (const auto& line : lines) {
    if (static_cast<int64_t>(input.ids.size()) >= 2 * max_sentences) break;
    std::optional<ShuffledLine> shuffled = shuffle_words(loaded, line, rng);
    if (!shuffled) continue;
    input.ids.push_back(std::move(shuffled->original));
    input.ids.push_back(std::move(shuffled->shuffled));
  }
  OrderSensitivity result;
  const int64_t hidden = loaded.encoder.hidden_size();
  for (size_t first = 0; first < input.ids.size(); first += 2 * kBatch) {
    const size_t last = std::min(input.ids.size(), first + 2 * kBatch);
    EncoderInput batch;
    batch.ids.assign(input.ids.begin() + first, input.ids.begin() + last);
    const EncoderOutput output = loaded.encoder.forward(batch);  // mean pooling
    require_finite(output);
    for (size_t s = 0; s + 1 < batch.ids.size(); s += 2) {
      const float* x = output.pooled.data() + static_cast<int64_t>(s) * hidden;
      result.mean_one_minus_cosine += 1.0 - cosine_similarity(x, x + hidden, hidden);
      result.mean_l2 += l2_distance(x, x + hidden, hidden);
      ++result.sentences;
    }
  }
  if (result.sentences > 0) {
    result.mean_one_minus_cosine /= static_cast<double>(result.sentences);
    result.mean_l2 /= static_cast<double>(result.sentences);
  }
  return result;
}

}  // namespace ordo::cli
