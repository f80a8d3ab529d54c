#include "ops/linear.h"

#include <string>

#include "ops/cpu.h"
#include "ops/dot_gemm.h"
#include "ops/panel_gemm.h"
#include "ordo/error.h"

namespace ordo::ops {

using dims = dnnl::memory::dims;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

namespace {

dnnl::memory::desc plain_weights(int64_t in_features, int64_t out_features) {
  // PyTorch's [out][in] weight is the {K, N} matrix in `ba` order: no transpose, and the
  // fast GEMM path (with `ab`, oneDNN 2.6's gemm:jit on AVX2 CPUs runs a 128-row FFN matmul
  // at about half speed).
  return {{in_features, out_features}, dt::f32, tag::ba};
}

// The weight layout oneDNN's fastest f32 matmul wants for this shape, or nothing when that
// kernel is not brgemm (no AVX-512: gemm:jit, which reads the plain matrix at full speed).
// brgemm picks the same blocked layout for every row count (checked from 1 to 2533 rows), so
// probing with 128 rows decides it for all.
std::optional<dnnl::memory::desc> brgemm_weights(int64_t in_features, int64_t out_features) {
  constexpr int64_t kProbeRows = 128;
  const dnnl::memory::desc src({kProbeRows, in_features}, dt::f32, tag::ab);
  const dnnl::memory::desc weights({in_features, out_features}, dt::f32, tag::any);
  const dnnl::memory::desc dst({kProbeRows, out_features}, dt::f32, tag::ab);
  const dnnl::matmul::primitive_desc probe(dnnl::matmul::desc(src, weights, dst),
                                           user_scratchpad_attr(), cpu_engine());
  const std::string implementation = probe.impl_info_str();
  if (implementation.rfind("brg", 0) != 0) return std::nullopt;
  return probe.weights_desc();
}

// The padded in_features of `weights` when they are in the panel kernel's BA16a64b layout, else 0.
int64_t panel_layout_depth(const dnnl::memory::desc& weights, int64_t in_features,
                           int64_t out_features) {
  const dnnl::memory::desc panels({in_features, out_features}, dt::f32, tag::BA16a64b);
  if (weights != panels) return 0;
  return weights.data.padded_dims[0];
}

}  // namespace

bool panel_gemm_supported() {
  return cpu_dispatch().avx512_kernels();
}

PackedWeights::PackedWeights(const float* weight, int64_t in_features, int64_t out_features)
    : in_features_(in_features),
      out_features_(out_features),
      desc_(plain_weights(in_features, out_features)),
      plain_(weight) {
  const std::optional<dnnl::memory::desc> blocked = brgemm_weights(in_features, out_features);
  if (!blocked) return;
  desc_ = *blocked;
  const size_t floats = (desc_.get_size() + sizeof(float) - 1) / sizeof(float);
  dnnl::memory from(plain_weights(in_features, out_features), cpu_engine(), input_handle(weight));
  dnnl::memory to(desc_, cpu_engine(), packed_.reserve(floats));
  dnnl::stream stream(cpu_engine());
  dnnl::reorder(from, to).execute(stream, from, to);
  stream.wait();
  plain_ = nullptr;
}

Linear::Linear(int64_t in_features, int64_t out_features, std::optional<Activation> activation,
               Output output)
    : Linear(in_features, out_features, activation, output,
             plain_weights(in_features, out_features), 0) {}

Linear::Linear(int64_t in_features, int64_t out_features, std::optional<Activation> activation,
               Output output, const dnnl::memory::desc& weights_desc, int64_t rows)
    : in_features_(in_features),
      out_features_(out_features),
      fixed_rows_(rows),
      activation_(activation),
      accumulate_(output == Output::accumulate),
      weights_desc_(weights_desc) {
  if (panel_gemm_preferred(rows, out_features) && in_features > 0 && panel_gemm_supported()) {
    padded_in_features_ = panel_layout_depth(weights_desc, in_features, out_features);
    if (padded_in_features_ > 0) return;  // no primitive needed
  }
  dot_kernel_ = dot_gemm_supported() && weights_desc == plain_weights(in_features, out_features) &&
                (rows == 0 || dot_gemm_preferred(rows));
  const dnnl::memory::dim row_dim = rows > 0 ? rows : DNNL_RUNTIME_DIM_VAL;
  const dnnl::memory::desc src({row_dim, in_features}, dt::f32, tag::ab);
  const dnnl::memory::desc bias({1, out_features}, dt::f32, tag::ab);
  const dnnl::memory::desc dst({row_dim, out_features}, dt::f32, tag::ab);

  dnnl::post_ops post_ops;
  if (output == Output::accumulate) post_ops.append_sum(1.0f);
  if (activation) {
    post_ops.append_eltwise(1.0f, eltwise_algorithm(*activation), eltwise_alpha(*activation), 0.0f);
  }
  dnnl::primitive_attr attr = user_scratchpad_attr();
  attr.set_post_ops(post_ops);

  const dnnl::matmul::desc desc(src, weights_desc_, bias, dst);
  const dnnl::matmul::primitive_desc primitive_desc(desc, attr, cpu_engine());
  scratchpad_desc_ = primitive_desc.scratchpad_desc();
  primitive_ = dnnl::matmul(primitive_desc);
}

bool Linear::uses_dot_gemm(int64_t rows) const {
  return dot_kernel_ && dot_gemm_preferred(rows);
}

bool Linear::fuses_gated_product() const {
  return uses_panel_gemm() && !activation_ && !accumulate_ && out_features_ % 2 == 0 &&
         panel_gemm_gated_fits(in_features_, out_features_ / 2);
}

void Linear::gated(const float* input, int64_t rows, const PackedWeights& weight, const float* bias,
                   Activation activation, float* output) const {
  if (!fuses_gated_product() || (fixed_rows_ > 0 && rows != fixed_rows_)) {
    throw Error("internal error: gated product called on a linear op that cannot fuse it (" +
                std::to_string(rows) + " rows, " + std::to_string(in_features_) + " x " +
                std::to_string(out_features_) + ")");
  }
  panel_gemm_gated(input, rows, in_features_, weight.data(), padded_in_features_, out_features_ / 2,
                   bias, activation, output);
}

void Linear::operator()(dnnl::stream& stream, AlignedBuffer& scratchpad, const float* input,
                        int64_t rows, const float* weight, const float* bias, float* output) const {
  if (fixed_rows_ > 0 && rows != fixed_rows_) {
    throw Error("internal error: linear op made for " + std::to_string(fixed_rows_) +
                " rows called with " + std::to_string(rows));
  }
  if (uses_panel_gemm()) {
    panel_gemm(input, rows, in_features_, weight, padded_in_features_, out_features_, bias,
               activation_, accumulate_, output);
    return;
  }
  if (uses_dot_gemm(rows)) {
    dot_gemm(input, rows, in_features_, weight, out_features_, bias, activation_, accumulate_,
             scratchpad, output);
    return;
  }
  const auto& engine = cpu_engine();
  dnnl::memory src({{rows, in_features_}, dt::f32, tag::ab}, engine, input_handle(input));
  dnnl::memory wei(weights_desc_, engine, input_handle(weight));
  dnnl::memory b({{1, out_features_}, dt::f32, tag::ab}, engine, input_handle(bias));
  dnnl::memory dst({{rows, out_features_}, dt::f32, tag::ab}, engine, output);
  primitive_.execute(stream,
                     {{DNNL_ARG_SRC, src},
                      {DNNL_ARG_WEIGHTS, wei},
                      {DNNL_ARG_BIAS, b},
                      {DNNL_ARG_DST, dst},
                      {DNNL_ARG_SCRATCHPAD, scratchpad_memory(scratchpad_desc_, scratchpad)}});
}

}  // namespace ordo::ops
