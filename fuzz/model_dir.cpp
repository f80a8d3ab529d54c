// libFuzzer target: loading a whole model directory, every file of it from the input.
//
// Input layout: the config.json text, then any number of sections "\n@@ NAME\n" + bytes, each
// becoming file NAME in a fresh directory. NAME must be one a model directory may hold (others
// are ignored, so no input can write outside the directory); a tokenizer model section that is
// exactly "@tiny" stands for the tiny_tokenized fixture's real SentencePiece model. An odd input
// size loads with check_weights. Loading must throw ordo::Error or give a model the engine
// accepts; then its tokenizer (if any) and one forward pass must run or throw ordo::Error
// (finite weights may still overflow to NaN, so outputs are not checked here).
#include <set>
#include <string>
#include <string_view>

#include "core/encoder.h"
#include "fuzz_util.h"
#include "model.h"
#include "ordo/error.h"

namespace {

const std::set<std::string> kFileNames = {"model.safetensors",
                                          "tokenizer.model",
                                          "sentencepiece.bpe.model",
                                          "spiece.model",
                                          "source.spm",
                                          "vocab.json",
                                          "tokenizer_config.json",
                                          "special_tokens_map.json",
                                          "model.safetensors.index.json"};
const std::set<std::string> kTokenizerModels = {"tokenizer.model", "sentencepiece.bpe.model",
                                                "spiece.model", "source.spm"};
constexpr std::string_view kMarker = "\n@@ ";

constexpr const char* kTinyModel = "tiny.spm";  // a private copy of the fixture's tokenizer

const ordo::fuzz::ScratchDirectory& scratch() {
  static const ordo::fuzz::ScratchDirectory directory("model-dir");
  static const bool copied = [] {
    directory.copy(kTinyModel, ORDO_FIXTURES_DIR "/tiny_tokenized/tokenizer.model");
    return true;
  }();
  (void)copied;
  return directory;
}

// Writes the input's files into the scratch directory, after removing the last input's.
void materialise(std::string_view input) {
  const auto& directory = scratch();
  directory.remove("config.json");
  for (const std::string& name : kFileNames) directory.remove(name);
  size_t end = input.find(kMarker);
  directory.write("config.json", input.substr(0, end));
  while (end != std::string_view::npos) {
    const size_t name_begin = end + kMarker.size();
    const size_t name_end = input.find('\n', name_begin);
    if (name_end == std::string_view::npos) break;
    const std::string name(input.substr(name_begin, name_end - name_begin));
    end = input.find(kMarker, name_end + 1);
    const std::string_view content =
        input.substr(name_end + 1, end == std::string_view::npos ? end : end - name_end - 1);
    if (kFileNames.count(name) == 0) continue;
    if (kTokenizerModels.count(name) != 0 && content == "@tiny") {
      directory.link(name, kTinyModel);
    } else {
      directory.write(name, content);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  materialise(std::string_view(reinterpret_cast<const char*>(data), size));
  ordo::models::LoadOptions load_options;
  load_options.check_weights = size % 2 == 1;
  ordo::models::LoadedModel model;
  try {
    model = ordo::models::load_model(scratch().path(), load_options);
  } catch (const ordo::Error&) {
    return 0;
  }
  const ordo::EncoderSpec& spec = model.spec;
  FUZZ_CHECK(spec.hidden_size % spec.num_heads == 0 && !spec.layers.empty(), "invalid spec");
  try {
    const ordo::Encoder encoder(spec);
    ordo::EncoderInput input{{{0, 1, 2}}, {}};
    if (model.tokenizer) {
      const auto encoding = model.tokenizer->encode_pair("The cat 猫.", "[MASK] x", 12);
      FUZZ_CHECK(encoding.ids.size() <= 12, "truncation exceeded max_length");
      input = {{encoding.ids}, {encoding.token_types}};
    }
    encoder.forward(input);
  } catch (const ordo::Error&) {
    // Ids outside this vocabulary, a missing special token, a tokenizer file that is not one.
  }
  return 0;
}
