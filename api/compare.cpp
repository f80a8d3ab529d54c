// Model::compare: `ordo pair` as a library call.
#include <string>

#include "model_impl.h"
#include "ordo/model.h"
#include "pair_analysis.h"

namespace ordo {

PairComparison Model::compare(std::string_view a, std::string_view b,
                              const PairOptions& options) const {
  constexpr const char* kCall = "Model::compare";
  const int layers = static_cast<int>(impl_->encoder.num_layers());
  const int heads = static_cast<int>(impl_->encoder.num_heads());
  if (options.layer < -1 || options.layer > layers) {
    throw Error(std::string(kCall) + ": layer " + std::to_string(options.layer) +
                " is out of range (0 is the embedding output, 1.." + std::to_string(layers) +
                " the blocks, -1 the last)");
  }
  if (options.head < -1 || options.head >= heads) {
    throw Error(std::string(kCall) + ": head " + std::to_string(options.head) +
                " is out of range (0.." + std::to_string(heads - 1) + ", -1 for the mean)");
  }
  const tokenizer::Tokenizer& tokenizer = impl_->require_tokenizer(kCall);
  const std::string_view texts[] = {a, b};
  tokenizer::Encoding encodings[2];
  for (size_t i = 0; i < 2; ++i) {
    encodings[i] = impl_->tokenize(kCall, i, [&](size_t limit, tokenizer::Truncation how) {
      return tokenizer.encode(impl_->prompt.text + std::string(texts[i]), limit, how);
    });
  }
  ForwardOptions forward = impl_->forward;
  forward.output_hidden_states = true;
  forward.output_attentions = true;
  const EncoderOutput output = impl_->forward_pass(
      kCall,
      {{encodings[0].ids, encodings[1].ids}, {encodings[0].token_types, encodings[1].token_types}},
      forward);

  PairComparison result;
  result.layer = options.layer < 0 ? layers : options.layer;
  result.attention_block = std::max(result.layer, 1);
  result.head = options.head;
  const PairAnalysis analysis = analyse_pair(impl_->encoder, encodings[0], encodings[1], output,
                                             result.layer, result.head, options.align_surface);
  result.a = to_tokens(encodings[0]);
  result.b = to_tokens(encodings[1]);
  result.cosine = analysis.sentence_cosine;
  for (const TokenDrift& d : analysis.drift) {
    result.shared_tokens.push_back({encodings[0].tokens[d.match.a], d.match.a, d.match.b, d.cosine,
                                    d.l2, d.attention_cosine, d.attention_l2});
  }
  result.permutation = analysis.permutation;
  result.permutation_up_to_word_marker = analysis.permutation || analysis.marker_only;
  result.max_drift_l2 = analysis.max_drift;
  result.verdict = analysis.verdict;
  result.note = analysis.marker_note;
  return result;
}

}  // namespace ordo
