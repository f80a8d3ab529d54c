#include "ops/linear.h"

namespace ordo::ops {

using dims = dnnl::memory::dims;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

Linear::Linear(int64_t in_features, int64_t out_features, std::optional<Activation> activation,
               Output output)
    : in_features_(in_features), out_features_(out_features) {
  const dnnl::memory::dim runtime_rows = DNNL_RUNTIME_DIM_VAL;
  const dnnl::memory::desc src({runtime_rows, in_features}, dt::f32, tag::ab);
  // PyTorch's [out][in] weight is the {K, N} matrix in `ba` order: no transpose, and the
  // fast GEMM path (`ab` runs the FFN matmul at half speed on this CPU, ONEDNN_NOTES.md).
  const dnnl::memory::desc weights({in_features, out_features}, dt::f32, tag::ba);
  const dnnl::memory::desc bias({1, out_features}, dt::f32, tag::ab);
  const dnnl::memory::desc dst({runtime_rows, out_features}, dt::f32, tag::ab);

  dnnl::post_ops post_ops;
  if (output == Output::accumulate) post_ops.append_sum(1.0f);
  if (activation) {
    post_ops.append_eltwise(1.0f, eltwise_algorithm(*activation), eltwise_alpha(*activation), 0.0f);
  }
  dnnl::primitive_attr attr = user_scratchpad_attr();
  attr.set_post_ops(post_ops);

  const dnnl::matmul::desc desc(src, weights, bias, dst);
  const dnnl::matmul::primitive_desc primitive_desc(desc, attr, cpu_engine());
  scratchpad_desc_ = primitive_desc.scratchpad_desc();
  primitive_ = dnnl::matmul(primitive_desc);
}

void Linear::operator()(dnnl::stream& stream, AlignedBuffer& scratchpad, const float* input,
                        int64_t rows, const float* weight, const float* bias, float* output) const {
  const auto& engine = cpu_engine();
  dnnl::memory src({{rows, in_features_}, dt::f32, tag::ab}, engine, input_handle(input));
  dnnl::memory wei({{in_features_, out_features_}, dt::f32, tag::ba}, engine, input_handle(weight));
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
