#pragma once
// The process-wide oneDNN CPU engine, and the small conversions every op needs.
#include <oneapi/dnnl/dnnl.hpp>

#include "ordo/encoder.h"

namespace ordo::ops {

// One CPU engine for the process; dnnl::engine is safe to share between threads.
const dnnl::engine& cpu_engine();

// oneDNN never writes through input handles, but its memory API takes void*.
inline void* input_handle(const float* data) {
  return const_cast<float*>(data);
}

dnnl::algorithm eltwise_algorithm(Activation activation);
float eltwise_alpha(Activation activation);  // swish needs alpha = 1 to be SiLU

}  // namespace ordo::ops
