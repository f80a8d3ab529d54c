#include "ops/dnnl_context.h"

#include <new>

#include <sys/mman.h>

#include "ops/cpu.h"

namespace ordo::ops {

float* AlignedBuffer::reserve(size_t count) {
  if (count <= capacity_ && data_) return data_.get();
  constexpr size_t kAlignment = 64;
  // Buffers of 2 MiB or more (packed weights, a large batch's activations) start on a huge-page
  // boundary and ask for transparent huge pages. One BERT-base layer's weights span 7,000
  // 4-KiB pages, far more than the TLB covers, and its matmuls run 4-9% faster on huge pages
  // (in-process, cold weights, 128 rows; docs/performance.md, "Huge pages").
  constexpr size_t kHugePage = size_t{2} << 20;
  const size_t bytes = ((count * sizeof(float) + kAlignment - 1) / kAlignment) * kAlignment;
  const bool huge = bytes >= kHugePage;
  void* memory = nullptr;
  if (posix_memalign(&memory, huge ? kHugePage : kAlignment, bytes == 0 ? kAlignment : bytes) != 0)
    throw std::bad_alloc();
  data_.reset(static_cast<float*>(memory));
#ifdef MADV_HUGEPAGE
  // Only whole huge pages, so the tail's 4-KiB pages cost no extra memory. Advice only: with THP
  // set to `never`, or a kernel without THP (madvise fails), the buffer runs on small pages.
  if (huge) madvise(memory, bytes / kHugePage * kHugePage, MADV_HUGEPAGE);
#endif
  capacity_ = count;
  return data_.get();
}

dnnl::primitive_attr user_scratchpad_attr() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

dnnl::memory scratchpad_memory(const dnnl::memory::desc& desc, AlignedBuffer& scratchpad) {
  const size_t floats = (desc.get_size() + sizeof(float) - 1) / sizeof(float);
  return dnnl::memory(desc, cpu_engine(), scratchpad.reserve(floats));
}

const dnnl::engine& cpu_engine() {
  // Every primitive needs this engine, so the ISA cap (ORDO_ISA) is applied before the first one.
  cpu_dispatch();
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
