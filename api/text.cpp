// ordo::Model's tokenizer and masked-language-model access: tokenize, count_tokens, decode,
// fill_mask and masked_lm_logits, on the same tokenizer and limits as encode().
#include <algorithm>
#include <cmath>
#include <numeric>

#include "model_impl.h"

namespace ordo {
std::vector<Token> Model::tokenize(std::string_view text) const {
  constexpr const char* kCall = "Model::tokenize";
  const tokenizer::Tokenizer& tokenizer = impl_->require_tokenizer(kCall);
  return to_tokens(impl_->tokenize(kCall, 0, [&](size_t limit, tokenizer::Truncation how) {
    return tokenizer.encode(text, limit, how);
  }));
}

std::vector<Token> Model::tokenize(std::string_view first, std::string_view second) const {
  constexpr const char* kCall = "Model::tokenize";
  const tokenizer::Tokenizer& tokenizer = impl_->require_tokenizer(kCall);
  return to_tokens(impl_->tokenize(kCall, 0, [&](size_t limit, tokenizer::Truncation how) {
    return tokenizer.encode_pair(first, second, limit, how);
  }));
}

size_t Model::count_tokens(std::string_view text) const {
  constexpr const char* kCall = "Model::count_tokens";
  const tokenizer::Tokenizer& tokenizer = impl_->require_tokenizer(kCall);
  try {
    return tokenizer.encode(text).ids.size();  // no limit: the count before truncation
  } catch (const Error& e) {
    throw Error(std::string(kCall) + ": " + e.what());
  }
}

std::string Model::decode(const std::vector<int32_t>& ids) const {
  constexpr const char* kCall = "Model::decode";
  const tokenizer::Tokenizer& tokenizer = impl_->require_tokenizer(kCall);
  const int64_t vocab = vocab_size();
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0 || ids[i] >= vocab) {
      throw Error(std::string(kCall) + ": ids[" + std::to_string(i) + "] is " +
                  std::to_string(ids[i]) + " (the vocabulary has ids 0 to " +
                  std::to_string(vocab - 1) + ")");
    }
  }
  try {
    return tokenizer.decode(ids);
  } catch (const Error& e) {
    throw Error(std::string(kCall) + ": " + e.what());
  }
}

MaskedInput Model::Impl::masked_input(const char* call, std::string_view text,
                                      bool need_mask) const {
  const Impl& impl = *this;
  if (!impl.encoder.has_masked_lm_head()) {
    throw Error(std::string(call) + ": " + impl.model.directory.string() +
                " has no masked-language-model head (cls.predictions.*)");
  }
  const tokenizer::Tokenizer& tokenizer = impl.require_tokenizer(call);
  const std::optional<int32_t> mask = tokenizer.mask_id();
  if (!mask) throw Error(std::string(call) + ": the tokenizer has no mask token");
  MaskedInput input;
  input.encoding = impl.tokenize(call, 0, [&](size_t limit, tokenizer::Truncation how) {
    return tokenizer.encode_masked(text, limit, how);
  });
  for (size_t t = 0; t < input.encoding.ids.size(); ++t) {
    if (input.encoding.ids[t] == *mask) input.mask_rows.emplace_back(0, static_cast<int64_t>(t));
  }
  if (need_mask && input.mask_rows.empty()) {
    throw Error(std::string(call) + ": the text has no mask token (write it as " +
                tokenizer.token(*mask) + ")");
  }
  return input;
}

Tensor Model::Impl::logits_of(const char* call, const MaskedInput& input,
                              const std::vector<std::pair<int64_t, int64_t>>& rows) const {
  const Impl& impl = *this;
  const EncoderOutput output = impl.forward_pass(
      call, EncoderInput{{input.encoding.ids}, {input.encoding.token_types}}, ForwardOptions{});
  const ThreadCountScope scope(impl.threads);
  return impl.encoder.masked_lm_logits(output, rows);
}

std::vector<Token> Model::tokenize_masked(std::string_view text) const {
  return to_tokens(impl_->masked_input("Model::tokenize_masked", text, false).encoding);
}

Array Model::masked_lm_logits(std::string_view text) const {
  constexpr const char* kCall = "Model::masked_lm_logits";
  const MaskedInput input = impl_->masked_input(kCall, text, false);
  std::vector<std::pair<int64_t, int64_t>> rows;
  for (size_t t = 0; t < input.encoding.ids.size(); ++t) rows.emplace_back(0, t);
  Tensor logits = impl_->logits_of(kCall, input, rows);
  std::vector<int64_t> shape = logits.shape();
  return Array(std::move(shape), logits.take_values());
}

std::vector<MaskFill> Model::fill_mask(std::string_view text, size_t top_k) const {
  constexpr const char* kCall = "Model::fill_mask";
  if (top_k == 0) throw Error(std::string(kCall) + ": top_k is 0 (expected 1 or more)");
  const MaskedInput input = impl_->masked_input(kCall, text, true);
  const Tensor logits = impl_->logits_of(kCall, input, input.mask_rows);
  const tokenizer::Tokenizer& tokenizer = *impl_->model.tokenizer;
  const int64_t vocab = logits.dim(1);
  std::vector<MaskFill> fills;
  for (size_t r = 0; r < input.mask_rows.size(); ++r) {
    const float* row = logits.data() + static_cast<int64_t>(r) * vocab;
    // The softmax in double, relative to the largest score, as `ordo fill`.
    const float largest = *std::max_element(row, row + vocab);
    double total = 0;
    for (int64_t v = 0; v < vocab; ++v) total += std::exp(double{row[v]} - largest);
    std::vector<int32_t> order(static_cast<size_t>(vocab));
    std::iota(order.begin(), order.end(), 0);
    const size_t k = std::min(top_k, order.size());
    std::partial_sort(order.begin(), order.begin() + static_cast<long>(k), order.end(),
                      [&](int32_t x, int32_t y) { return row[x] > row[y]; });
    MaskFill fill;
    fill.position = static_cast<size_t>(input.mask_rows[r].second);
    for (size_t i = 0; i < k; ++i) {
      const int32_t id = order[i];
      fill.predictions.push_back(
          {tokenizer.token(id), id, std::exp(double{row[id]} - largest) / total});
    }
    fills.push_back(std::move(fill));
  }
  return fills;
}

}  // namespace ordo
