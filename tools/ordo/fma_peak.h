#pragma once
// The machine's f32 FMA ceiling, measured rather than looked up: every thread of the OpenMP team
// runs independent chains of fused multiply-adds in the widest vector unit of the ISA level in
// use (ops::cpu_dispatch(): the CPU's best, or less under ORDO_ISA).
#include <string>

namespace ordo::cli {

struct FmaPeak {
  double gflops = 0.0;  // best of a few runs, all threads together (2 FLOPs per lane FMA)
  int threads = 0;      // OpenMP threads that ran it
  std::string isa;      // "avx512f", "avx2+fma" or "scalar"
};

// Takes about half a second. Call after the thread count is set.
FmaPeak measure_fma_peak();

}  // namespace ordo::cli
