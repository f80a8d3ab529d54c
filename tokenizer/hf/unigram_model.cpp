// Unigram as tokenizers/src/models/unigram (encode_optimized): the best-scoring split by
// Viterbi over every vocabulary piece that starts at each character, scores summed in double
// precision (libsentencepiece uses float, and on exact ties picks differently); a character no
// piece covers is the unknown token at min_score - 10, and adjacent unknowns are fused.
#include <cmath>
#include <limits>

#include "json_node.h"
#include "models.h"
#include "ordo/error.h"

namespace ordo::tokenizer::hf {

std::unique_ptr<Model> make_unigram(const JsonNode& node);

namespace {

constexpr double kUnknownPenalty = 10.0;

class Unigram : public Model {
 public:
  explicit Unigram(const JsonNode& node) {
    const JsonNode vocab = node.at("vocab");
    const size_t count = vocab.size();
    if (count > static_cast<size_t>(kMaxVocabularyId)) vocab.fail("too many pieces");
    scores_.reserve(count);
    for (size_t id = 0; id < count; ++id) {
      const JsonNode entry = vocab.at(id);
      if (entry.size() != 2) entry.fail("expected [piece, score]");
      const std::string piece = entry.at(size_t{0}).string();
      const double score = entry.at(size_t{1}).number();
      vocab_.add(piece, static_cast<int64_t>(id), entry.at(size_t{0}));
      scores_.push_back(score);
      trie_.insert(piece, static_cast<int32_t>(id));
      min_score_ = std::min(min_score_, score);
    }
    if (node.has("unk_id")) {
      const JsonNode unknown = node.at("unk_id");
      const int64_t id = unknown.integer(0, kMaxVocabularyId);
      if (static_cast<size_t>(id) >= count)
        unknown.fail("unk_id " + std::to_string(id) + " is outside the vocabulary (" +
                     std::to_string(count) + " pieces)");
      unknown_id_ = static_cast<int32_t>(id);
    }
    byte_fallback_ = node.boolean("byte_fallback", false);
  }

  void tokenize(std::string_view word, std::vector<Token>& out) const override {
    thread_local std::vector<Node> best;
    best.assign(word.size() + 1, Node{});
    best[0].start = 0;
    const double unknown_score = min_score_ - kUnknownPenalty;
    for (size_t start = 0; start < word.size();) {
      const double score_here = best[start].score;
      size_t next = start;
      next_code_point(word, next);
      const size_t char_length = next - start;
      bool single_char_piece = false;
      trie_.prefixes(word.substr(start), [&](size_t length, int32_t id) {
        Node& target = best[start + length];
        const double candidate = score_here + scores_[static_cast<size_t>(id)];
        if (target.start < 0 || candidate > target.score)
          target = {static_cast<int64_t>(start), id, candidate};
        if (length == char_length) single_char_piece = true;
      });
      if (!single_char_piece) {
        Node& target = best[next];
        const double candidate = score_here + unknown_score;
        if (target.start < 0 || candidate > target.score)
          target = {static_cast<int64_t>(start), unknown_id_, candidate};
      }
      start = next;
    }
    // Back from the end; a run of unknown pieces becomes one string.
    thread_local std::vector<Span> pieces;
    pieces.clear();
    size_t end = word.size();
    size_t unknown_end = 0;
    bool in_unknown = false;
    while (end > 0) {
      const Node& node = best[end];
      const auto start = static_cast<size_t>(node.start);
      const bool unknown = unknown_id_ >= 0 && node.id == unknown_id_;
      if (unknown) {
        if (!in_unknown) unknown_end = end;
        in_unknown = true;
      } else {
        if (in_unknown) pieces.push_back({end, unknown_end});
        in_unknown = false;
        pieces.push_back({start, end});
      }
      end = start;
    }
    if (in_unknown) pieces.push_back({0, unknown_end});
    for (auto it = pieces.rbegin(); it != pieces.rend(); ++it) emit(word, *it, out);
  }

 private:
  struct Node {
    int64_t start = -1;
    int32_t id = -1;
    double score = 0.0;
  };

  void emit(std::string_view word, Span span, std::vector<Token>& out) const {
    const std::string_view text = word.substr(span.begin, span.end - span.begin);
    if (const auto id = vocab_.find(text)) {
      out.push_back({*id, std::string(text), span});
      return;
    }
    if (byte_fallback_) {
      const size_t first = out.size();
      bool all = true;
      for (char c : text) {
        static const char* const kHex = "0123456789ABCDEF";
        const auto byte = static_cast<unsigned char>(c);
        const char name[6] = {'<', '0', 'x', kHex[byte >> 4], kHex[byte & 15], '>'};
        const auto id = vocab_.find(std::string_view(name, 6));
        if (!id) {
          all = false;
          break;
        }
        out.push_back({*id, std::string(name, 6), span});
      }
      if (all) return;
      out.resize(first);
    }
    if (unknown_id_ < 0)
      throw Error("Unigram: '" + std::string(text) +
                  "' has no piece and the model declares no unk_id");
    out.push_back({unknown_id_, std::string(text), span});
  }

  std::vector<double> scores_;
  ByteTrie trie_;
  double min_score_ = std::numeric_limits<double>::infinity();
  int32_t unknown_id_ = -1;
  bool byte_fallback_ = false;
};

}  // namespace

std::unique_ptr<Model> make_unigram(const JsonNode& node) {
  return std::make_unique<Unigram>(node);
}

}  // namespace ordo::tokenizer::hf
