// libFuzzer target: config.json parsing and validation. The input is a config.json; the
// checkpoint beside it is fixed (fuzz/fixture: a tiny BERT with a learned position table,
// pre-LN final norm and MLM head, vocabulary 640) with the tiny_tokenized fixture's tokenizer,
// so that most field values can be tried against real tensors. Loading must either throw
// ordo::Error or give a spec the engine accepts and runs to finite outputs.
#include <cmath>
#include <string>

#include "core/encoder.h"
#include "fuzz_util.h"
#include "model.h"
#include "ordo/error.h"

namespace {

const ordo::fuzz::ScratchDirectory& model_directory() {
  static const ordo::fuzz::ScratchDirectory directory("config");
  static const bool linked = [] {
    directory.copy("model.safetensors", ORDO_FUZZ_DIR "/fixture/model.safetensors");
    directory.copy("tokenizer.model", ORDO_FIXTURES_DIR "/tiny_tokenized/tokenizer.model");
    return true;
  }();
  (void)linked;
  return directory;
}

void check_finite(const ordo::Tensor& tensor, const char* what) {
  for (int64_t i = 0; i < tensor.numel(); ++i) {
    FUZZ_CHECK(std::isfinite(tensor.data()[i]), std::string(what) + " is not finite");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto& directory = model_directory();
  directory.write("config.json", std::string_view(reinterpret_cast<const char*>(data), size));
  ordo::models::LoadedModel model;
  try {
    model = ordo::models::load_model(directory.path(), {/*check_weights=*/true});
  } catch (const ordo::Error&) {
    return 0;  // rejected with a message: the common outcome
  }
  const ordo::EncoderSpec& spec = model.spec;
  FUZZ_CHECK(spec.hidden_size > 0 && spec.num_heads > 0 && spec.hidden_size % spec.num_heads == 0,
             "accepted heads that do not divide the hidden size");
  FUZZ_CHECK(!spec.layers.empty(), "accepted a model without layers");
  FUZZ_CHECK(spec.layer_norm_eps > 0.0f, "accepted a non-positive layer_norm_eps");
  FUZZ_CHECK(model.tokenizer != nullptr, "the tokenizer beside the config was not found");
  try {
    // Everything the loader accepted, the engine must run: a gap between the two checks
    // would otherwise surface as a crash or a oneDNN exception.
    const ordo::Encoder encoder(spec);
    const auto encoding = model.tokenizer->encode("the cat [MASK] chases", 16);
    ordo::ForwardOptions options;
    options.output_attentions = true;
    const ordo::EncoderOutput output =
        encoder.forward({{encoding.ids}, {encoding.token_types}}, options);
    check_finite(output.last_hidden_state, "last_hidden_state");
    check_finite(output.pooled, "pooled");
    if (encoder.has_masked_lm_head()) {
      check_finite(encoder.masked_lm_logits(output, {{0, 1}}), "MLM logits");
    }
  } catch (const ordo::Error&) {
    // Ids or token types that this config's sizes exclude: a precise error is right.
  }
  return 0;
}
