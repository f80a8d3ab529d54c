#include "ops/layer_norm.h"

namespace ordo::ops {

using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

LayerNorm::LayerNorm(int64_t rows, int64_t features, float epsilon)
    : data_desc_({rows, features}, dt::f32, tag::ab),
      parameter_desc_({features}, dt::f32, tag::a),
      zeros_(static_cast<size_t>(features), 0.0f) {
  const auto flags = dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift;
  const dnnl::layer_normalization_forward::desc desc(dnnl::prop_kind::forward_inference, data_desc_,
                                                     epsilon, flags);
  const dnnl::layer_normalization_forward::primitive_desc primitive_desc(
      desc, user_scratchpad_attr(), cpu_engine());
  scratchpad_desc_ = primitive_desc.scratchpad_desc();
  primitive_ = dnnl::layer_normalization_forward(primitive_desc);
}

void LayerNorm::operator()(dnnl::stream& stream, AlignedBuffer& scratchpad, const float* src,
                           float* dst, const float* gamma, const float* beta) const {
  const auto& engine = cpu_engine();
  dnnl::memory input(data_desc_, engine, input_handle(src));
  dnnl::memory output(data_desc_, engine, dst);
  dnnl::memory scale(parameter_desc_, engine, input_handle(gamma));
  dnnl::memory shift(parameter_desc_, engine, input_handle(beta != nullptr ? beta : zeros_.data()));
  primitive_.execute(stream,
                     {{DNNL_ARG_SRC, input},
                      {DNNL_ARG_DST, output},
                      {DNNL_ARG_SCALE, scale},
                      {DNNL_ARG_SHIFT, shift},
                      {DNNL_ARG_SCRATCHPAD, scratchpad_memory(scratchpad_desc_, scratchpad)}});
}

}  // namespace ordo::ops
