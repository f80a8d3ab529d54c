// Model::embed: sentence vectors for many texts, in batches of similar length so that padding
// stays small and memory is bounded by one batch (as `ordo encode --output pooled`).
#include <algorithm>
#include <numeric>

#include "enums.h"
#include "model_impl.h"

namespace ordo {
namespace {

constexpr size_t kMaxBatch = 4096;  // as the CLI's --batch-size

}  // namespace

Array Model::embed(const std::vector<std::string>& texts, const EmbedOptions& options) const {
  constexpr const char* kCall = "Model::embed";
  if (options.batch_size == 0 || options.batch_size > kMaxBatch) {
    throw Error(std::string(kCall) + ": EmbedOptions::batch_size is " +
                std::to_string(options.batch_size) + " (expected 1 to " +
                std::to_string(kMaxBatch) + ")");
  }
  const auto hidden = static_cast<size_t>(hidden_size());
  if (options.dimensions > hidden) {
    throw Error(std::string(kCall) + ": EmbedOptions::dimensions is " +
                std::to_string(options.dimensions) + " (expected 0 for the model's " +
                std::to_string(dimensions()) + ", or 1 to " + std::to_string(hidden) + ")");
  }
  EncodeOptions call;
  call.output_hidden_states = false;
  call.output_attentions = false;
  call.pooling = options.pooling;
  call.normalize = options.normalize;
  ForwardOptions forward = impl_->forward_for(kCall, call);
  // The engine cuts (Matryoshka) and then normalises, so a cut vector is a unit vector again.
  if (options.dimensions > 0) forward.dimensions = static_cast<int64_t>(options.dimensions);
  const size_t dims = forward.dimensions > 0 ? static_cast<size_t>(forward.dimensions) : hidden;
  if (!options.prompt.empty() && !impl_->model.sentence.include_prompt) {
    throw Error(std::string(kCall) + ": EmbedOptions::prompt is set, but the Pooling module of " +
                impl_->model.directory.string() +
                " sets include_prompt false (the prompt's tokens left out of the pooling), which "
                "ordo does not do");
  }
  // A literal prefix of the call, else the model's sentence-transformers prompt, as encode().
  const std::string& prompt = options.prompt.empty() ? impl_->prompt.text : options.prompt;

  const size_t count = texts.size();
  std::vector<float> values(count * dims);
  if (count == 0) return Array({0, static_cast<int64_t>(dims)}, std::move(values));
  const tokenizer::Tokenizer& tokenizer = impl_->require_tokenizer(kCall);
  // Only ids and types are kept: pieces and spans of 20,000 texts would outweigh a batch.
  std::vector<std::vector<int32_t>> ids(count), types(count);
  for (size_t i = 0; i < count; ++i) {
    tokenizer::Encoding encoding =
        impl_->tokenize(kCall, i, [&](size_t limit, tokenizer::Truncation how) {
          return prompt.empty() ? tokenizer.encode(texts[i], limit, how)
                                : tokenizer.encode(prompt + texts[i], limit, how);
        });
    ids[i] = std::move(encoding.ids);
    types[i] = std::move(encoding.token_types);
  }
  // Longest first: the first batch sizes the thread's scratch memory once for all.
  std::vector<size_t> order(count);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return ids[a].size() > ids[b].size(); });

  for (size_t start = 0; start < count; start += options.batch_size) {
    if (options.cancel && options.cancel->load()) {
      throw Error(std::string(kCall) + ": cancelled after " + std::to_string(start) + " of " +
                  std::to_string(count) + " texts");
    }
    const size_t stop = std::min(count, start + options.batch_size);
    EncoderInput input;
    for (size_t k = start; k < stop; ++k) {
      input.ids.push_back(std::move(ids[order[k]]));
      input.token_types.push_back(std::move(types[order[k]]));
    }
    const EncoderOutput output = impl_->forward_pass(kCall, input, forward);
    for (size_t b = 0; b < stop - start; ++b) {
      float* row = values.data() + order[start + b] * dims;
      const float* pooled = output.pooled.data() + b * dims;
      std::copy(pooled, pooled + dims, row);
    }
    if (options.progress) options.progress(stop, count);
  }
  return Array({static_cast<int64_t>(count), static_cast<int64_t>(dims)}, std::move(values));
}

}  // namespace ordo
