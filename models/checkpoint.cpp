#include "checkpoint.h"

#include "io/weight_check.h"
#include "ordo/error.h"

namespace ordo::models {

Checkpoint::Checkpoint(const std::filesystem::path& directory, bool check_weights)
    : check_weights_(check_weights) {
  const auto path = directory / "model.safetensors";
  if (!std::filesystem::exists(path)) {
    std::string hint;
    if (std::filesystem::exists(directory / "model.safetensors.index.json")) {
      hint = " (sharded checkpoints are not supported yet)";
    } else if (std::filesystem::exists(directory / "pytorch_model.bin")) {
      hint = " (pytorch_model.bin is not read: convert it to safetensors first)";
    }
    throw Error(path.string() + ": file not found" + hint);
  }
  file_ = std::make_shared<io::SafetensorsFile>(path);
}

TensorView Checkpoint::tensor(const std::string& name, const std::vector<int64_t>& shape,
                              const std::string& why) const {
  if (!file_->contains(name)) {
    throw Error(file_->path().string() + ": tensor '" + name + "' is missing (" + why + ")");
  }
  const auto& info = file_->info(name);
  if (info.shape != shape) {
    throw Error(file_->path().string() + ": tensor '" + name + "' has shape " +
                shape_string(info.shape) + " but the config requires " + shape_string(shape) +
                " (" + why + ")");
  }
  TensorView view = file_->f32(name);
  if (check_weights_) {
    if (const auto bad = io::find_non_finite(view)) {
      throw Error(file_->path().string() + ": tensor '" + name + "' holds a non-finite value (" +
                  std::to_string(bad->value) + ") at " +
                  io::element_position(info.shape, bad->index));
    }
  }
  return view;
}

int64_t positive_field(const io::JsonFile& config, const std::string& field, int64_t limit) {
  const int64_t value = config.integer(field);
  if (value < 1 || value > limit) {
    config.fail(
        field, "must be between 1 and " + std::to_string(limit) + ", got " + std::to_string(value));
  }
  return value;
}

int64_t positive_field(const io::JsonFile& config, const std::string& field, int64_t limit,
                       int64_t fallback) {
  return config.has(field) ? positive_field(config, field, limit) : fallback;
}

void check_heads_divide(const io::JsonFile& config, const std::string& heads_field, int64_t heads,
                        const std::string& hidden_field, int64_t hidden) {
  if (hidden % heads != 0) {
    config.fail(heads_field, "(" + std::to_string(heads) + ") must divide " + hidden_field + " (" +
                                 std::to_string(hidden) + ")");
  }
}

float layer_norm_eps(const io::JsonFile& config, const std::string& field, double fallback) {
  const double eps = config.number(field, fallback);
  if (!(eps > 0.0 && eps < 1.0)) config.fail(field, "must be in (0, 1)");
  // The engine computes in float: 1e-121 passes the check above and then is 0 (found by
  // fuzz/config.cpp), which the engine would reject without naming the config.
  if (!(static_cast<float>(eps) > 0.0f)) {
    config.fail(field, "(" + config.document().at(field).dump() +
                           ") is 0 as a float; it must be at least 1.4e-45");
  }
  return static_cast<float>(eps);
}

void load_norm(const Checkpoint& checkpoint, const std::string& base, int64_t hidden,
               TensorView& weight, TensorView& bias) {
  const bool legacy =
      !checkpoint.contains(base + ".weight") && checkpoint.contains(base + ".gamma");
  const std::string why = "hidden_size " + std::to_string(hidden);
  weight = checkpoint.tensor(base + (legacy ? ".gamma" : ".weight"), {hidden}, why);
  bias = checkpoint.tensor(base + (legacy ? ".beta" : ".bias"), {hidden}, why);
}

void load_linear(const Checkpoint& checkpoint, const std::string& base, int64_t out, int64_t in,
                 const std::string& why, TensorView& weight, TensorView& bias) {
  weight = checkpoint.tensor(base + ".weight", {out, in}, why);
  bias = checkpoint.tensor(base + ".bias", {out}, why);
}

TensorView rows_of(const TensorView& matrix, int64_t first, int64_t count) {
  const int64_t columns = matrix.shape.at(1);
  return TensorView{matrix.data + first * columns, {count, columns}};
}

void load_linear(const Checkpoint& checkpoint, const std::string& base, int64_t out, int64_t in,
                 const std::string& why, bool with_bias, TensorView& weight, TensorView& bias) {
  weight = checkpoint.tensor(base + ".weight", {out, in}, why);
  bias = with_bias ? checkpoint.tensor(base + ".bias", {out}, why) : TensorView{};
}

Activation parse_activation(const io::JsonFile& config, const std::string& field,
                            const std::string& fallback) {
  const std::string name = config.string(field, fallback);
  if (name == "gelu") return Activation::gelu;
  if (name == "gelu_new" || name == "gelu_pytorch_tanh") return Activation::gelu_tanh;
  if (name == "relu") return Activation::relu;
  if (name == "silu" || name == "swish") return Activation::silu;
  config.fail(field, "has unsupported activation \"" + name +
                         "\" (supported: gelu, gelu_new, gelu_pytorch_tanh, relu, silu, swish)");
}

void read_bert_fields(const io::JsonFile& config, const std::string& default_activation,
                      EncoderSpec& spec) {
  spec.num_heads = positive_field(config, "num_attention_heads", kMaxHidden);
  spec.intermediate_size = positive_field(config, "intermediate_size", 16 * kMaxHidden);
  spec.vocab_size = positive_field(config, "vocab_size", kMaxVocabulary);
  check_heads_divide(config, "num_attention_heads", spec.num_heads, "hidden_size",
                     spec.hidden_size);
  spec.activation = parse_activation(config, "hidden_act", default_activation);
  spec.layer_norm_eps = layer_norm_eps(config, "layer_norm_eps", 1e-12);
}

}  // namespace ordo::models
