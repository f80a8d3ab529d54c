#pragma once
// Reading a Hugging Face checkpoint directory: shared by every model family.
#include <filesystem>
#include <memory>
#include <string>

#include "core/encoder.h"
#include "io/json_file.h"
#include "io/safetensors.h"

namespace ordo::models {

// A model directory's weights, with errors that name the file and the tensor.
class Checkpoint {
 public:
  // Opens <directory>/model.safetensors (the only weight format ordo reads). With
  // `check_weights`, tensor() rejects a tensor holding NaN or Inf.
  explicit Checkpoint(const std::filesystem::path& directory, bool check_weights = false);

  const io::SafetensorsFile& file() const { return *file_; }
  std::shared_ptr<const void> storage() const { return file_; }
  bool contains(const std::string& name) const { return file_->contains(name); }

  // The named tensor as F32, checked against `shape`; `why` says which config fields set it.
  TensorView tensor(const std::string& name, const std::vector<int64_t>& shape,
                    const std::string& why) const;

 private:
  std::shared_ptr<io::SafetensorsFile> file_;
  bool check_weights_ = false;
};

// Limits far above any real encoder; they exist so that a hostile config fails fast.
constexpr int64_t kMaxHidden = 1 << 16;
constexpr int64_t kMaxLayers = 1024;
constexpr int64_t kMaxVocabulary = 1 << 24;
constexpr int64_t kMaxPositions = 1 << 20;

// `heads_field` must divide `hidden_field`: the heads split the hidden size.
void check_heads_divide(const io::JsonFile& config, const std::string& heads_field, int64_t heads,
                        const std::string& hidden_field, int64_t hidden);
// A LayerNorm epsilon in (0, 1) from `field`, or `fallback` when absent.
float layer_norm_eps(const io::JsonFile& config, const std::string& field, double fallback);
// `base`.weight / `base`.bias, or the old TF-converted `base`.gamma / `base`.beta.
void load_norm(const Checkpoint& checkpoint, const std::string& base, int64_t hidden,
               TensorView& weight, TensorView& bias);
// A [out, in] weight and its [out] bias, `base`.weight and `base`.bias.
void load_linear(const Checkpoint& checkpoint, const std::string& base, int64_t out, int64_t in,
                 const std::string& why, TensorView& weight, TensorView& bias);

// Rows [first, first + count) of a matrix: one block of a fused checkpoint tensor (NomicBERT's
// Wqkv, JinaBERT's gated_layers), without a copy.
TensorView rows_of(const TensorView& matrix, int64_t first, int64_t count);
// `base`.weight [out, in], and `base`.bias [out] when `with_bias` (a config's *_bias field);
// otherwise the bias stays empty and any stored one is ignored, as PyTorch's bias=False does.
void load_linear(const Checkpoint& checkpoint, const std::string& base, int64_t out, int64_t in,
                 const std::string& why, bool with_bias, TensorView& weight, TensorView& bias);

// Reads an integer config field that must lie in [1, limit]; the limit stops absurd values
// (a config claiming 2^40 layers) before anything is allocated.
int64_t positive_field(const io::JsonFile& config, const std::string& field, int64_t limit);
int64_t positive_field(const io::JsonFile& config, const std::string& field, int64_t limit,
                       int64_t fallback);

// The fields BERT-like configs (BERT, RoBERTa, ALBERT) share, read into `spec` once its
// hidden_size is set: num_attention_heads (dividing hidden_size), intermediate_size, vocab_size,
// hidden_act (default `default_activation`) and layer_norm_eps (default 1e-12).
void read_bert_fields(const io::JsonFile& config, const std::string& default_activation,
                      EncoderSpec& spec);

// Hugging Face `hidden_act` / `activation` names.
Activation parse_activation(const io::JsonFile& config, const std::string& field,
                            const std::string& fallback);

}  // namespace ordo::models
