#pragma once
// Shared helpers for tests that run fixture models.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "core/encoder.h"
#include "error_message.h"
#include "io/safetensors.h"
#include "model.h"
#include "ordo/error.h"

namespace ordo::test {

// The PyTorch fixtures every parity test runs: tools/make_fixtures.py's (tests/fixtures/README.md)
// and tools/make_position_fixtures.py's, position inside attention (tests/fixtures/positions/).
inline const std::vector<std::string> kReferenceFixtures = {
    "learned_gelu",           "sinusoidal_gelu",
    "blocked_relu",           "none_gelu",
    "learned_gelu_f16",       "sinusoidal_relu_bf16",
    "odd_shape_learned_relu", "odd_shape_blocked_gelu",
    "gelu_new_sinusoidal",    "silu_learned",
    "preln_learned_gelu",     "single_type_none"};
inline const std::vector<std::string> kPositionFixtures = {
    "positions/rotary_neox",           "positions/rotary_interleaved_half_base1000",
    "positions/rotary_half_neox",      "positions/alibi_12_heads",
    "positions/alibi_6_heads",         "positions/relative_key",
    "positions/relative_key_query",    "positions/relative_bias",
    "positions/relative_bias_defaults"};

// A fixture's name as a test name ("positions/alibi_6_heads" -> "positions_alibi_6_heads").
inline std::string fixture_test_name(const testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  std::replace(name.begin(), name.end(), '/', '_');
  return name;
}

inline std::filesystem::path fixture(const std::string& name) {
  return std::filesystem::path(ORDO_FIXTURES_DIR) / name;
}

// The batch stored in a fixture's reference.safetensors, without its padding.
struct ReferenceBatch {
  EncoderInput input;
  int64_t batch = 0, longest = 0;
};

inline ReferenceBatch reference_batch(const io::SafetensorsFile& reference) {
  ReferenceBatch out;
  const auto& shape = reference.info("input_ids").shape;
  out.batch = shape.at(0);
  out.longest = shape.at(1);
  const auto ids = reference.i64("input_ids");
  const auto mask = reference.i64("attention_mask");
  const auto types = reference.i64("token_type_ids");
  for (int64_t b = 0; b < out.batch; ++b) {
    std::vector<int32_t> row_ids, row_types;
    for (int64_t t = 0; t < out.longest; ++t) {
      if (mask[b * out.longest + t] == 0) continue;
      row_ids.push_back(static_cast<int32_t>(ids[b * out.longest + t]));
      row_types.push_back(static_cast<int32_t>(types[b * out.longest + t]));
    }
    out.input.ids.push_back(row_ids);
    out.input.token_types.push_back(row_types);
  }
  return out;
}

// How close an approximate run (bf16, int8) stays to a reference's padded hidden states: the
// smallest cosine of one real token's vector to its reference, and the largest |difference|.
struct TokenAgreement {
  double worst_cosine = 1.0, max_difference = 0.0;
};

inline TokenAgreement token_agreement(const Tensor& hidden_states, const TensorView& expected,
                                      const ReferenceBatch& batch) {
  TokenAgreement out;
  const int64_t hidden = expected.shape.at(2);
  for (int64_t s = 0; s < batch.batch; ++s) {
    const auto length = static_cast<int64_t>(batch.input.ids[s].size());
    for (int64_t t = 0; t < length; ++t) {
      const float* a = hidden_states.data() + (s * batch.longest + t) * hidden;
      const float* e = expected.data + (s * batch.longest + t) * hidden;
      double dot = 0.0, na = 0.0, ne = 0.0;
      for (int64_t i = 0; i < hidden; ++i) {
        dot += a[i] * e[i], na += a[i] * a[i], ne += e[i] * e[i];
        out.max_difference = std::max(out.max_difference, std::abs(double{a[i]} - e[i]));
      }
      out.worst_cosine = std::min(out.worst_cosine, dot / std::sqrt(na * ne));
    }
  }
  return out;
}

inline float max_abs_difference(const float* a, const float* b, int64_t count) {
  float worst = 0.0f;
  for (int64_t i = 0; i < count; ++i) {
    const float d = std::fabs(a[i] - b[i]);
    if (!(d <= worst)) worst = d;  // NaN propagates as a failure
  }
  return worst;
}

inline Encoder load_fixture(const std::string& name, EncoderOptions options = {}) {
  return Encoder(models::load_model(fixture(name)).spec, options);
}

}  // namespace ordo::test
