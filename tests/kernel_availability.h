#pragma once
// Why one of ordo's own kernels cannot run in this process, for the skip guards of tests that
// test that kernel alone: "" when it runs. Each says which condition failed, so a skip under
// ORDO_ISA=avx2 reads as the cap it is, not as a missing CPU feature.
#include <string>

#include "ops/attention_kernel.h"
#include "ops/cpu.h"
#include "ops/dot_gemm.h"
#include "ops/linear.h"
#include "ops/panel_gemm.h"

namespace ordo::test {

// The panel kernel needs ordo's AVX-512 kernels on (the CPU and ORDO_ISA) and weights that
// oneDNN packed for its brgemm, which it does only when its own ISA reaches AVX-512
// (ONEDNN_MAX_CPU_ISA can cap oneDNN alone).
inline std::string panel_kernel_unavailable(const ops::PackedWeights& weights) {
  if (!ops::panel_gemm_supported()) return ops::cpu_dispatch().why_no_avx512_kernels();
  if (!weights.packed()) {
    return std::string("oneDNN packs no weights for brgemm at its ISA (") +
           ops::cpu_dispatch().onednn_name + "), and the panel kernel reads only packed weights";
  }
  return "";
}

inline std::string attention_kernel_unavailable(int64_t head_dim) {
  if (!ops::panel_gemm_supported()) return ops::cpu_dispatch().why_no_avx512_kernels();
  if (!ops::attention_kernel_supported(head_dim)) {
    return "head_dim " + std::to_string(head_dim) + " is not a multiple of 16";
  }
  return "";
}

// The AVX2 dot kernel runs where AVX2 is the level in use: a CPU without AVX-512F, or
// ORDO_ISA=avx2 (the `isa` reruns of this suite).
inline std::string dot_kernel_unavailable() {
  if (ops::dot_gemm_supported()) return "";
  return "the level in use is " + std::string(ops::to_string(ops::cpu_dispatch().active)) +
         ", not avx2 (the kernel runs on AVX2 CPUs and under ORDO_ISA=avx2)";
}

}  // namespace ordo::test
