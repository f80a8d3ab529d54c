#include "head_analysis.h"

#include <algorithm>
#include <optional>

#include "ordo/error.h"
#include "pe_comparison.h"

namespace ordo::cli {
namespace {

constexpr size_t kPairsPerBatch = 16;
// A label needs one prediction to beat the other by this much overlap; a head whose queries
// give the frame tokens more than kSinkMass is labelled by that instead.
constexpr double kMargin = 0.1;
constexpr double kSinkMass = 0.5;

// Accumulates one head's sums over the queries of every line.
void add_line(HeadScore& score, const float* original, const float* shuffled, size_t n,
              const std::vector<size_t>& moved_to, size_t longest) {
  const auto a = [&](size_t i, size_t j) { return original[i * longest + j]; };
  const auto b = [&](size_t i, size_t j) { return shuffled[i * longest + j]; };
  for (size_t i = 1; i + 1 < n; ++i) {  // the text's pieces, not [CLS] or [SEP]
    const size_t i2 = moved_to[i];
    score.previous += a(i, i - 1);
    score.self += a(i, i);
    score.next += a(i, i + 1);
    score.first += a(i, 0);
    score.last += a(i, n - 1);
    double content = 0, position = 0;
    for (size_t j = 0; j < n; ++j) {
      content += std::min(a(i, j), b(i2, moved_to[j]));
      const auto j2 = static_cast<int64_t>(i2) + static_cast<int64_t>(j) - static_cast<int64_t>(i);
      if (j2 >= 0 && j2 < static_cast<int64_t>(n)) {
        position += std::min(a(i, j), b(i2, static_cast<size_t>(j2)));
      }
    }
    score.follows_content += content;
    score.follows_position += position;
  }
}

}  // namespace

std::string HeadScore::label() const {
  if (first + last > kSinkMass) return "[CLS]/[SEP]";
  if (score() > kMargin) {
    const double strongest = std::max({previous, self, next});
    return std::string("positional (") +
           (strongest == previous ? "previous"
            : strongest == self   ? "self"
                                  : "next") +
           ")";
  }
  if (score() < -kMargin) return "content";
  return "mixed";
}

HeadAnalysis analyse_heads(const LoadedEncoder& loaded,
                           const std::vector<std::vector<int32_t>>& lines, int64_t max_sentences,
                           uint64_t seed) {
  const int64_t layers = loaded.encoder.num_layers(), heads = loaded.encoder.num_heads();
  HeadAnalysis analysis;
  analysis.heads.resize(static_cast<size_t>(layers * heads));
  for (int64_t l = 0; l < layers; ++l) {
    for (int64_t h = 0; h < heads; ++h) {
      analysis.heads[static_cast<size_t>(l * heads + h)].layer = l;
      analysis.heads[static_cast<size_t>(l * heads + h)].head = h;
    }
  }
  SplitMix64 rng(seed);
  std::vector<ShuffledLine> pending;
  const auto run = [&] {
    EncoderInput input;
    for (const ShuffledLine& line : pending) {
      input.ids.push_back(line.original);
      input.ids.push_back(line.shuffled);
    }
    ForwardOptions options;
    options.output_attentions = true;
    const EncoderOutput output = loaded.encoder.forward(input, options);
    require_finite(output);
    const auto longest = static_cast<size_t>(output.attentions.front().dim(2));
    for (size_t s = 0; s < pending.size(); ++s) {
      const ShuffledLine& line = pending[s];
      const size_t n = line.original.size();
      std::vector<size_t> moved_to(n);
      for (size_t k = 0; k < n; ++k) moved_to[line.order[k]] = k;
      for (int64_t l = 0; l < layers; ++l) {
        const float* base = output.attentions[static_cast<size_t>(l)].data();
        for (int64_t h = 0; h < heads; ++h) {
          const size_t square = longest * longest;
          const float* original = base + ((2 * s) * static_cast<size_t>(heads) + h) * square;
          const float* shuffled = base + ((2 * s + 1) * static_cast<size_t>(heads) + h) * square;
          add_line(analysis.heads[static_cast<size_t>(l * heads + h)], original, shuffled, n,
                   moved_to, longest);
        }
      }
      analysis.queries += static_cast<int64_t>(n - 2);
      ++analysis.sentences;
    }
    pending.clear();
  };
  for (const auto& line : lines) {
    if (analysis.sentences + static_cast<int64_t>(pending.size()) >= max_sentences) break;
    if (std::optional<ShuffledLine> shuffled = shuffle_words(loaded, line, rng)) {
      pending.push_back(std::move(*shuffled));
      if (pending.size() == kPairsPerBatch) run();
    }
  }
  if (!pending.empty()) run();
  if (analysis.queries == 0) {
    throw Error("no line has three or more words to shuffle: ordo heads needs longer text");
  }
  const auto queries = static_cast<double>(analysis.queries);
  for (HeadScore& s : analysis.heads) {
    for (double* sum : {&s.previous, &s.self, &s.next, &s.first, &s.last, &s.follows_position,
                        &s.follows_content}) {
      *sum /= queries;
    }
  }
  return analysis;
}

}  // namespace ordo::cli
