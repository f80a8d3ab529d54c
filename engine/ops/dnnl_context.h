#pragma once
// The process-wide oneDNN CPU engine, and the small conversions every op needs.
#include <cstdlib>
#include <memory>

#include <oneapi/dnnl/dnnl.hpp>

#include "core/encoder.h"

namespace ordo::ops {

// A float buffer aligned for SIMD loads; grows, never shrinks, so a thread's steady state
// allocates nothing.
class AlignedBuffer {
 public:
  float* reserve(size_t count);
  float* data() const { return data_.get(); }

 private:
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  std::unique_ptr<float, Free> data_;
  size_t capacity_ = 0;
};

// Every primitive runs with scratchpad_mode::user and the caller's per-thread scratch memory:
// oneDNN's default library scratchpad is shared and only safe when each primitive runs on the
// thread that created it, and ordo shares primitives between threads.
dnnl::primitive_attr user_scratchpad_attr();
dnnl::memory scratchpad_memory(const dnnl::memory::desc& desc, AlignedBuffer& scratchpad);

// One CPU engine for the process; dnnl::engine is safe to share between threads.
const dnnl::engine& cpu_engine();

// oneDNN never writes through input handles, but its memory API takes void*.
inline void* input_handle(const float* data) {
  return const_cast<float*>(data);
}

dnnl::algorithm eltwise_algorithm(Activation activation);
float eltwise_alpha(Activation activation);  // swish needs alpha = 1 to be SiLU

}  // namespace ordo::ops
