// ordo::Model, the installed API, over the loader (models::load_model), the tokenizer and the
// engine's Encoder. Options are checked once at load; a call only tokenizes, runs and hands the
// engine's tensors over to the Result without copying them.
#include "ordo/model.h"

#include "enums.h"
#include "model_impl.h"
#include "ops/bf16_linear.h"
#include "ops/cpu.h"

namespace ordo {
namespace {

std::string quoted(const std::string& value) {
  return "\"" + value + "\"";
}

std::optional<PositionKind> checked_positional_encoding(const std::string& name) {
  if (name.empty()) return std::nullopt;
  try {
    return parse_position_kind(name);
  } catch (const Error&) {
    throw Error("Options::positional_encoding is " + quoted(name) +
                " (expected \"\" for the checkpoint's own, " + position_kind_names() + ")");
  }
}

ForwardOptions checked_forward_options(const Options& options) {
  ForwardOptions forward;
  try {
    // "": the model's declared pooling (sentence-transformers), applied once it is loaded.
    if (!options.pooling.empty()) forward.pooling = parse_pooling(options.pooling);
  } catch (const Error&) {
    throw Error("Options::pooling is " + quoted(options.pooling) +
                " (expected \"\" for the model's own, mean, cls, max, mean_sqrt_len or pooler)");
  }
  forward.normalize = options.normalize;
  if (options.dimensions < 0) {
    throw Error("Options::dimensions is " + std::to_string(options.dimensions) +
                " (expected 0 for all, or 1 to the hidden size)");
  }
  forward.dimensions = options.dimensions;
  forward.output_hidden_states = options.output_hidden_states;
  forward.output_attentions = options.output_attentions;
  return forward;
}

int checked_threads(int threads) {
  constexpr int kMaxThreads = 4096;
  if (threads < 0 || threads > kMaxThreads) {
    throw Error("Options::threads is " + std::to_string(threads) +
                " (expected 0 for the OpenMP default, or 1 to " + std::to_string(kMaxThreads) +
                ")");
  }
  // Fixed at load, so that every call, from whatever thread, runs with the same count as the
  // primitives were created with and gives the same bits.
  return threads > 0 ? threads : omp_get_max_threads();
}

ComputeType checked_dtype(const std::string& dtype) {
  ComputeType type;
  try {
    type = parse_compute_type(dtype);
  } catch (const Error&) {
    throw Error("Options::dtype is " + quoted(dtype) + " (expected \"f32\", \"bf16\" or \"int8\")");
  }
  const std::string unavailable =
      type == ComputeType::bf16 ? ops::bf16_unavailable_reason() : std::string();
  if (!unavailable.empty()) throw Error("Options::dtype is \"bf16\": " + unavailable);
  return type;
}

Encoder make_encoder(const EncoderSpec& spec, const EncoderOptions& options, int threads) {
  const ThreadCountScope scope(threads);  // the warm-up creates the first primitives
  return Encoder(spec, options);
}

Array to_array(Tensor& tensor) {
  std::vector<int64_t> shape = tensor.shape();
  return Array(std::move(shape), tensor.take_values());
}

}  // namespace

CheckedOptions::CheckedOptions(const Options& options)
    : threads(checked_threads(options.threads)),
      forward(checked_forward_options(options)),
      position_kind(checked_positional_encoding(options.positional_encoding)),
      compute(checked_dtype(options.dtype)) {}

std::vector<Token> to_tokens(const tokenizer::Encoding& encoding) {
  std::vector<Token> tokens(encoding.ids.size());
  for (size_t t = 0; t < tokens.size(); ++t) {
    tokens[t].text = encoding.tokens[t];
    tokens[t].id = encoding.ids[t];
    tokens[t].type = encoding.token_types[t];
    tokens[t].source = encoding.sequence[t];
    tokens[t].begin = encoding.begin[t];
    tokens[t].end = encoding.end[t];
  }
  return tokens;
}

Model::Impl::Impl(const std::filesystem::path& directory, const Options& given,
                  const CheckedOptions& checked)
    : options(given),
      threads(checked.threads),
      compute(checked.compute),
      forward(checked.forward),
      model(models::load_model(directory)),
      encoder(make_encoder(model.spec, EncoderOptions{checked.position_kind, checked.compute},
                           threads)),
      max_tokens(models::max_tokens(model, encoder)) {
  // A sentence-transformers directory declares its pooling and normalisation.
  if (given.pooling.empty() && model.sentence.pooling) forward.pooling = *model.sentence.pooling;
  if (model.sentence.normalize) forward.normalize = true;
  if (forward.pooling == Pooling::pooler && !encoder.has_pooler()) {
    throw Error("Options::pooling is \"pooler\", but " + directory.string() +
                "/model.safetensors has no pooler (pooler.dense.weight)");
  }
  if (forward.dimensions > encoder.hidden_size()) {
    throw Error("Options::dimensions is " + std::to_string(forward.dimensions) + ", but " +
                directory.string() + " has hidden size " + std::to_string(encoder.hidden_size()));
  }
  prompt = models::choose_prompt(model.sentence, directory, given.prompt, "Options::prompt");
}

const tokenizer::Tokenizer& Model::Impl::require_tokenizer(const char* call) const {
  try {
    return model.require_tokenizer();
  } catch (const Error& e) {
    throw Error(std::string(call) + ": " + e.what());
  }
}

ForwardOptions Model::Impl::forward_for(const char* name, const EncodeOptions& call) const {
  ForwardOptions result = forward;
  if (call.output_hidden_states) result.output_hidden_states = *call.output_hidden_states;
  if (call.output_attentions) result.output_attentions = *call.output_attentions;
  if (call.pooling) result.pooling = to_engine(*call.pooling);
  if (call.normalize) result.normalize = *call.normalize;
  if (call.pooling && result.pooling == Pooling::pooler && !encoder.has_pooler()) {
    throw Error(std::string(name) + ": pooling is \"pooler\", but " + model.directory.string() +
                "/model.safetensors has no pooler (pooler.dense.weight)");
  }
  return result;
}

tokenizer::Encoding Model::Impl::tokenize(const char* call, size_t index,
                                          const Tokenize& encode) const {
  try {
    return encode(max_tokens, options.truncate ? tokenizer::Truncation::longest_first
                                               : tokenizer::Truncation::error);
  } catch (const Error& e) {
    throw Error(std::string(call) + ": input " + std::to_string(index) + ": " + e.what());
  }
}

EncoderOutput Model::Impl::forward_pass(const char* call, const EncoderInput& input,
                                        const ForwardOptions& forward_options) const {
  const ThreadCountScope scope(threads);
  try {
    return encoder.forward(input, forward_options);
  } catch (const Error& e) {
    throw Error(std::string(call) + ": " + e.what());
  }
}

Result Model::Impl::run(const char* call, const EncoderInput& input,
                        std::vector<std::vector<Token>> tokens, std::vector<size_t> truncated,
                        const ForwardOptions& forward_options) const {
  Result result;
  if (input.ids.empty()) {
    result.last_hidden_state = Array({0, 0, encoder.hidden_size()}, {});
    result.pooled = Array(
        {0, forward_options.dimensions > 0 ? forward_options.dimensions : encoder.hidden_size()},
        {});
    return result;
  }
  EncoderOutput output = forward_pass(call, input, forward_options);
  result.tokens = std::move(tokens);
  result.truncated = std::move(truncated);
  result.last_hidden_state = to_array(output.last_hidden_state);
  result.pooled = to_array(output.pooled);
  for (Tensor& states : output.hidden_states) result.hidden_states.push_back(to_array(states));
  for (Tensor& attention : output.attentions) result.attentions.push_back(to_array(attention));
  return result;
}

Result Model::Impl::run_encodings(const char* call, std::vector<tokenizer::Encoding> encodings,
                                  const ForwardOptions& forward_options) const {
  EncoderInput input;
  std::vector<std::vector<Token>> tokens;
  std::vector<size_t> truncated;
  for (tokenizer::Encoding& encoding : encodings) {
    tokens.push_back(to_tokens(encoding));
    truncated.push_back(encoding.truncated);
    input.ids.push_back(std::move(encoding.ids));
    input.token_types.push_back(std::move(encoding.token_types));
  }
  return run(call, input, std::move(tokens), std::move(truncated), forward_options);
}

Model::Model(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

Model Model::load(const std::filesystem::path& directory, const Options& options) {
  const CheckedOptions checked(options);
  return Model(std::make_shared<const Impl>(directory, options, checked));
}

Result Model::encode(const std::vector<std::string>& texts, const EncodeOptions& call) const {
  constexpr const char* kCall = "Model::encode";
  const ForwardOptions forward = impl_->forward_for(kCall, call);
  if (texts.empty()) return impl_->run(kCall, {}, {}, {}, forward);
  const tokenizer::Tokenizer& tokenizer = impl_->require_tokenizer(kCall);
  std::vector<tokenizer::Encoding> encodings;
  for (size_t i = 0; i < texts.size(); ++i) {
    encodings.push_back(impl_->tokenize(kCall, i, [&](size_t limit, tokenizer::Truncation how) {
      if (impl_->prompt.text.empty()) return tokenizer.encode(texts[i], limit, how);
      return tokenizer.encode(impl_->prompt.text + texts[i], limit, how);
    }));
  }
  return impl_->run_encodings(kCall, std::move(encodings), forward);
}

Result Model::encode_pair(std::string_view first, std::string_view second,
                          const EncodeOptions& call) const {
  constexpr const char* kCall = "Model::encode_pair";
  const ForwardOptions forward = impl_->forward_for(kCall, call);
  const tokenizer::Tokenizer& tokenizer = impl_->require_tokenizer(kCall);
  std::vector<tokenizer::Encoding> encodings;
  encodings.push_back(impl_->tokenize(kCall, 0, [&](size_t limit, tokenizer::Truncation how) {
    return tokenizer.encode_pair(first, second, limit, how);
  }));
  return impl_->run_encodings(kCall, std::move(encodings), forward);
}

Result Model::encode_pairs(const std::vector<std::pair<std::string, std::string>>& pairs,
                           const EncodeOptions& call) const {
  constexpr const char* kCall = "Model::encode_pairs";
  const ForwardOptions forward = impl_->forward_for(kCall, call);
  if (pairs.empty()) return impl_->run(kCall, {}, {}, {}, forward);
  const tokenizer::Tokenizer& tokenizer = impl_->require_tokenizer(kCall);
  std::vector<tokenizer::Encoding> encodings;
  for (size_t i = 0; i < pairs.size(); ++i) {
    encodings.push_back(impl_->tokenize(kCall, i, [&](size_t limit, tokenizer::Truncation how) {
      return tokenizer.encode_pair(pairs[i].first, pairs[i].second, limit, how);
    }));
  }
  return impl_->run_encodings(kCall, std::move(encodings), forward);
}

Result Model::encode_ids(const std::vector<std::vector<int32_t>>& ids,
                         const std::vector<std::vector<int32_t>>& token_types,
                         const EncodeOptions& call) const {
  constexpr const char* kCall = "Model::encode_ids";
  const ForwardOptions forward = impl_->forward_for(kCall, call);
  const int64_t limit = impl_->encoder.max_positions();
  for (size_t i = 0; i < ids.size(); ++i) {
    if (limit > 0 && static_cast<int64_t>(ids[i].size()) > limit) {
      throw Error(std::string(kCall) + ": input " + std::to_string(i) + " has " +
                  std::to_string(ids[i].size()) + " tokens; the learned position table holds " +
                  std::to_string(limit) +
                  " (Options::positional_encoding \"sinusoidal\" runs any length)");
    }
  }
  const tokenizer::Tokenizer* tokenizer = impl_->model.tokenizer.get();
  std::vector<std::vector<Token>> tokens(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    for (size_t t = 0; t < ids[i].size(); ++t) {
      Token token;
      token.id = ids[i][t];
      if (i < token_types.size() && t < token_types[i].size()) token.type = token_types[i][t];
      token.source = -1;
      // The engine rejects what is out of range (ids, types, row counts) with a precise message.
      if (tokenizer && token.id >= 0 && token.id < impl_->model.spec.vocab_size)
        token.text = tokenizer->token(token.id);
      tokens[i].push_back(std::move(token));
    }
  }
  return impl_->run(kCall, EncoderInput{ids, token_types}, std::move(tokens),
                    std::vector<size_t>(ids.size(), 0), forward);
}

const std::filesystem::path& Model::directory() const {
  return impl_->model.directory;
}
const Options& Model::options() const {
  return impl_->options;
}
int64_t Model::hidden_size() const {
  return impl_->encoder.hidden_size();
}
int64_t Model::num_layers() const {
  return impl_->encoder.num_layers();
}
int64_t Model::num_heads() const {
  return impl_->encoder.num_heads();
}
int64_t Model::vocab_size() const {
  return impl_->model.spec.vocab_size;
}
std::string Model::positional_encoding() const {
  return to_string(impl_->encoder.position_kind());
}
size_t Model::max_tokens() const {
  return impl_->max_tokens;
}
std::string Model::prompt() const {
  return impl_->prompt.name;
}
std::string Model::prompt_text(const std::string& name) const {
  return models::choose_prompt(impl_->model.sentence, impl_->model.directory, name,
                               "Model::prompt_text: prompt")
      .text;
}
int64_t Model::dimensions() const {
  return impl_->forward.dimensions > 0 ? impl_->forward.dimensions : impl_->encoder.hidden_size();
}
int Model::threads() const {
  return impl_->threads;
}
bool Model::has_tokenizer() const {
  return impl_->model.tokenizer != nullptr;
}

ModelInfo Model::info() const {
  ModelInfo info;
  info.family = impl_->model.model_type;
  info.positional_encoding = from_engine(impl_->encoder.position_kind());
  info.hidden_size = hidden_size();
  info.num_layers = num_layers();
  info.num_heads = num_heads();
  info.vocab_size = vocab_size();
  info.max_tokens = impl_->max_tokens;
  info.pooling = from_engine(impl_->forward.pooling);
  info.normalize = impl_->forward.normalize;
  info.dimensions = dimensions();
  info.prompt = prompt();
  info.dtype = from_engine(impl_->compute);
  info.threads = impl_->threads;
  info.isa = ops::cpu_dispatch().summary();
  info.has_tokenizer = has_tokenizer();
  info.has_masked_lm_head = impl_->encoder.has_masked_lm_head();
  info.has_pooler = impl_->encoder.has_pooler();
  return info;
}

}  // namespace ordo
