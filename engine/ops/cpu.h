#pragma once
// Which instruction set ordo runs, decided once per process: the CPU's best level, capped by the
// ORDO_ISA environment variable, applied to ordo's own kernels (ops/panel_gemm.h,
// ops/attention_kernel.h) and to oneDNN (dnnl::set_max_cpu_isa) together, before oneDNN creates
// any primitive. Every other file asks here instead of asking the CPU.
//
//   level    ordo's kernels                         oneDNN (x86)
//   avx512   panel GEMM and attention (AVX-512F)     no cap: brgemm matmuls on packed weights
//   avx2     dot GEMM up to 32 rows (AVX2 + FMA);   capped at AVX2: gemm:jit matmuls on the
//            oneDNN's three attention primitives     plain weights
//   generic  none                                    capped at SSE4.1, the lowest it can be
// Unset, ordo's kernels run wherever the CPU has AVX-512F and oneDNN is left to itself (its own
// ONEDNN_MAX_CPU_ISA then caps oneDNN alone). A level above the CPU's runs the CPU's.
// Outside x86 the only level is generic: no AVX-512 code is compiled there (ORDO_X86 below),
// and oneDNN, whose cap in 2.6 names x86 levels only, is left to itself.
#include <optional>
#include <string>
#include <string_view>

#include <oneapi/dnnl/dnnl.hpp>

#if defined(__x86_64__) || defined(__i386__)
#define ORDO_X86 1
#else
#define ORDO_X86 0
#endif

namespace ordo::ops {

enum class Isa { generic, avx2, avx512 };  // in increasing order

const char* to_string(Isa isa);
// Exactly "avx512", "avx2" or "generic"; anything else is nullopt.
std::optional<Isa> parse_isa(std::string_view name);

struct CpuDispatch {
  Isa detected = Isa::generic;                // the best level this CPU runs
  std::optional<Isa> requested;               // ORDO_ISA, when set
  Isa active = Isa::generic;                  // min(detected, requested): the level that runs
  dnnl::cpu_isa onednn = dnnl::cpu_isa::all;  // oneDNN's effective ISA once capped
  std::string onednn_name;                    // the same, readable: "AVX2", "AVX-512 + VNNI", ...

  // ordo's AVX-512 kernels may run.
  bool avx512_kernels() const { return active == Isa::avx512; }
  // ordo's AVX2 kernels may run: AVX2 is the level in use (on an AVX-512 CPU the AVX-512
  // kernels and brgemm take their place).
  bool avx2_kernels() const { return active == Isa::avx2; }
  // One line for `ordo --version` and `ordo bench`, e.g. "avx2 (ORDO_ISA=avx2; the CPU has
  // avx512)" or "avx2 (ORDO_ISA=avx512 asks for more than the CPU has)".
  std::string summary() const;
  // Why ordo's AVX-512 kernels do not run ("" when they do), for messages and skipped tests.
  std::string why_no_avx512_kernels() const;
  // Which of ordo's kernels run: "avx512", "avx2" or "none" (for JSON), and in words for
  // `ordo --version` and `ordo bench`, e.g. "AVX2 (dot GEMM up to 32 rows; attention on
  // oneDNN)" or "oneDNN only (ORDO_ISA=generic caps ordo's kernels below AVX2, ...)".
  const char* kernels() const;
  std::string kernels_summary() const;
};

// The levels from ORDO_ISA's value (null or empty: unset) and the CPU's best level; oneDNN's
// fields are left as they are. Throws Error naming ORDO_ISA and the allowed values when the
// value is not one of them.
CpuDispatch resolve_dispatch(const char* ordo_isa, Isa detected);

// The process's dispatch. The first call detects the CPU, reads ORDO_ISA and caps oneDNN;
// cpu_engine() makes it before anything else of oneDNN's runs. Throws Error, on every call, when
// ORDO_ISA is invalid, or when oneDNN had already fixed a higher ISA before ordo's first call
// (an application that ran oneDNN itself first).
const CpuDispatch& cpu_dispatch();

// oneDNN's name for an ISA it dispatches to (oneDNN 2.6's x86 levels; "generic" otherwise).
const char* onednn_isa_name(dnnl::cpu_isa isa);

}  // namespace ordo::ops
