#include "ops/dnnl_context.h"

namespace ordo::ops {

const dnnl::engine& cpu_engine() {
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::algorithm eltwise_algorithm(Activation activation) {
  switch (activation) {
    case Activation::gelu:
      return dnnl::algorithm::eltwise_gelu_erf;  // exact, as torch's gelu
    case Activation::gelu_tanh:
      return dnnl::algorithm::eltwise_gelu_tanh;
    case Activation::relu:
      return dnnl::algorithm::eltwise_relu;
    case Activation::silu:
      return dnnl::algorithm::eltwise_swish;
  }
  return dnnl::algorithm::eltwise_relu;
}

float eltwise_alpha(Activation activation) {
  return activation == Activation::silu ? 1.0f : 0.0f;
}

}  // namespace ordo::ops
