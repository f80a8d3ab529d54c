#include "ops/quantized_linear.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "ops/cpu.h"
#include "ordo/error.h"

namespace ordo::ops {

using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

namespace {

dnnl::primitive_attr matmul_attr() {
  dnnl::primitive_attr attr = user_scratchpad_attr();
  attr.set_zero_points(DNNL_ARG_SRC, 0, {DNNL_RUNTIME_S32_VAL});
  return attr;
}

dnnl::matmul::desc matmul_desc(int64_t rows, int64_t in_features, int64_t out_features,
                               const dnnl::memory::desc& weights) {
  return {dnnl::memory::desc({rows, in_features}, dt::u8, tag::ab), weights,
          dnnl::memory::desc({rows, out_features}, dt::s32, tag::ab)};
}

}  // namespace

bool int8_has_vnni() {
  const dnnl::cpu_isa isa = cpu_dispatch().onednn;  // after ORDO_ISA's cap
  return isa == dnnl::cpu_isa::avx512_core_vnni || isa == dnnl::cpu_isa::avx512_core_bf16 ||
         isa == dnnl::cpu_isa::avx512_core_amx || isa == dnnl::cpu_isa::avx2_vnni;
}

QuantizedWeights::QuantizedWeights(const float* weight, int64_t in_features, int64_t out_features)
    : in_features_(in_features),
      out_features_(out_features),
      scales_(static_cast<size_t>(out_features)) {
  std::vector<int8_t> plain(static_cast<size_t>(in_features * out_features));
  for (int64_t o = 0; o < out_features; ++o) {
    const float* row = weight + o * in_features;
    float largest = 0.0f;
    for (int64_t i = 0; i < in_features; ++i) largest = std::max(largest, std::abs(row[i]));
    const float scale = largest > 0.0f ? largest / 127.0f : 1.0f;
    scales_[static_cast<size_t>(o)] = scale;
    for (int64_t i = 0; i < in_features; ++i) {
      plain[static_cast<size_t>(o * in_features + i)] =
          static_cast<int8_t>(std::clamp(std::nearbyint(row[i] / scale), -127.0f, 127.0f));
    }
  }
  // The layout the matmul picks for these weights (the same for every row count).
  const dnnl::memory::desc any({in_features, out_features}, dt::s8, tag::any);
  const dnnl::matmul::primitive_desc probe(matmul_desc(128, in_features, out_features, any),
                                           matmul_attr(), cpu_engine());
  desc_ = probe.weights_desc();
  const size_t floats = (desc_.get_size() + sizeof(float) - 1) / sizeof(float);
  dnnl::memory from({{in_features, out_features}, dt::s8, tag::ba}, cpu_engine(), plain.data());
  dnnl::memory to(desc_, cpu_engine(), storage_.reserve(floats));
  dnnl::stream stream(cpu_engine());
  dnnl::reorder(from, to).execute(stream, from, to);
  stream.wait();
}

QuantizedLinear::QuantizedLinear(int64_t in_features, int64_t out_features,
                                 std::optional<Activation> activation, Linear::Output output,
                                 const dnnl::memory::desc& weights_desc, int64_t rows)
    : in_features_(in_features),
      out_features_(out_features),
      rows_(rows),
      output_(output),
      zero_point_(int8_has_vnni() ? 128 : 64),
      levels_(int8_has_vnni() ? 127.0f : 63.0f) {
  if (activation && output == Linear::Output::accumulate) {
    throw Error("internal error: quantized linear op with both an activation and a residual");
  }
  const dnnl::matmul::primitive_desc primitive_desc(
      matmul_desc(rows, in_features, out_features, weights_desc), matmul_attr(), cpu_engine());
  scratchpad_desc_ = primitive_desc.scratchpad_desc();
  primitive_ = dnnl::matmul(primitive_desc);
  if (activation) {
    const dnnl::memory::desc data({rows, out_features}, dt::f32, tag::ab);
    const dnnl::eltwise_forward::primitive_desc eltwise(
        dnnl::eltwise_forward::desc(dnnl::prop_kind::forward_inference,
                                    eltwise_algorithm(*activation), data,
                                    eltwise_alpha(*activation), 0.0f),
        user_scratchpad_attr(), cpu_engine());
    activation_scratchpad_desc_ = eltwise.scratchpad_desc();
    activation_ = dnnl::eltwise_forward(eltwise);
  }
}

void QuantizedLinear::operator()(dnnl::stream& stream, AlignedBuffer& scratchpad,
                                 QuantizedBuffers& buffers, const float* input, int64_t rows,
                                 const QuantizedWeights& weights, const float* bias,
                                 float* output) const {
  if (rows != rows_) {
    throw Error("internal error: quantized linear op made for " + std::to_string(rows_) +
                " rows called with " + std::to_string(rows));
  }
  const int64_t in = in_features_, out = out_features_;
  if (buffers.input.size() < static_cast<size_t>(rows * in))
    buffers.input.resize(static_cast<size_t>(rows * in));
  if (buffers.row_scales.size() < static_cast<size_t>(rows))
    buffers.row_scales.resize(static_cast<size_t>(rows));
  if (buffers.accumulators.size() < static_cast<size_t>(rows * out))
    buffers.accumulators.resize(static_cast<size_t>(rows * out));
  uint8_t* quantized = buffers.input.data();
  float* row_scales = buffers.row_scales.data();
  int32_t* sums = buffers.accumulators.data();
  const float levels = levels_;
  int32_t zero_point_value = zero_point_;

#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = input + r * in;
    uint8_t* q = quantized + r * in;
    float largest = 0.0f;
    bool finite = true;
    for (int64_t i = 0; i < in; ++i) {
      const float magnitude = std::abs(x[i]);
      largest = std::max(largest, magnitude);
      finite &= magnitude <= std::numeric_limits<float>::max();  // false for NaN
    }
    if (!finite) {
      // NaN or Inf in: the row comes out NaN, as in f32, instead of converting NaN to an
      // integer (undefined behaviour) and returning a finite, wrong vector.
      row_scales[r] = std::numeric_limits<float>::quiet_NaN();
      std::fill(q, q + in, static_cast<uint8_t>(zero_point_value));
      continue;
    }
    const float scale = largest > 0.0f ? largest / levels : 1.0f;
    row_scales[r] = scale;
    const float inverse = 1.0f / scale;
    // Round half away from zero by truncation, which vectorises (std::nearbyint is a libm call
    // per element on baseline x86-64: the quantize pass then cost as much as the matmul).
    for (int64_t i = 0; i < in; ++i) {
      const float level = std::clamp(x[i] * inverse, -levels, levels);
      const float rounded = level + (level >= 0.0f ? 0.5f : -0.5f);
      q[i] = static_cast<uint8_t>(static_cast<int32_t>(rounded) + zero_point_value);
    }
  }

  const auto& engine = cpu_engine();
  dnnl::memory src({{rows, in}, dt::u8, tag::ab}, engine, quantized);
  dnnl::memory wei(weights.desc(), engine, const_cast<void*>(weights.data()));
  dnnl::memory dst({{rows, out}, dt::s32, tag::ab}, engine, sums);
  dnnl::memory zero({{1}, dt::s32, tag::a}, engine, &zero_point_value);
  primitive_.execute(stream,
                     {{DNNL_ARG_SRC, src},
                      {DNNL_ARG_WEIGHTS, wei},
                      {DNNL_ARG_DST, dst},
                      {DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC, zero},
                      {DNNL_ARG_SCRATCHPAD, scratchpad_memory(scratchpad_desc_, scratchpad)}});
  stream.wait();

  const float* column_scales = weights.scales();
  const bool accumulate = output_ == Linear::Output::accumulate;
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const int32_t* sum = sums + r * out;
    float* y = output + r * out;
    const float row_scale = row_scales[r];
    if (accumulate) {
      for (int64_t o = 0; o < out; ++o)
        y[o] += row_scale * column_scales[o] * static_cast<float>(sum[o]) + bias[o];
    } else {
      for (int64_t o = 0; o < out; ++o)
        y[o] = row_scale * column_scales[o] * static_cast<float>(sum[o]) + bias[o];
    }
  }

  if (activation_) {
    dnnl::memory data({{rows, out}, dt::f32, tag::ab}, engine, output);
    activation_->execute(stream, {{DNNL_ARG_SRC, data},
                                  {DNNL_ARG_DST, data},
                                  {DNNL_ARG_SCRATCHPAD,
                                   scratchpad_memory(activation_scratchpad_desc_, scratchpad)}});
  }
}

}  // namespace ordo::ops
