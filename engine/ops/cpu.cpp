#include "ops/cpu.h"

#include <algorithm>
#include <cstdlib>
#include <string>

#include "ops/dot_gemm.h"
#include "ordo/error.h"

namespace ordo::ops {
namespace {

Isa detect_isa() {
#if ORDO_X86
  // ordo's kernels need AVX-512F (with FMA, which every AVX-512F CPU has); AVX2 counts only with
  // FMA, as oneDNN's AVX2 kernels use it.
  if (__builtin_cpu_supports("avx512f")) return Isa::avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::avx2;
#endif
  return Isa::generic;
}

#if ORDO_X86
// oneDNN's cap for a level ORDO_ISA names. avx512 lifts every cap (and so overrides a lower
// ONEDNN_MAX_CPU_ISA); generic is SSE4.1, below which oneDNN 2.6 cannot be capped.
dnnl::cpu_isa onednn_cap(Isa requested) {
  switch (requested) {
    case Isa::avx512:
      return dnnl::cpu_isa::all;
    case Isa::avx2:
      return dnnl::cpu_isa::avx2;
    case Isa::generic:
      return dnnl::cpu_isa::sse41;
  }
  return dnnl::cpu_isa::all;
}

// oneDNN's ISAs are bit sets (each level holds the bits of those below it): `isa` is within
// `cap` when it has no bit the cap lacks.
bool within(dnnl::cpu_isa isa, dnnl::cpu_isa cap) {
  if (cap == dnnl::cpu_isa::all) return true;
  return (static_cast<unsigned>(isa) & ~static_cast<unsigned>(cap)) == 0;
}
#endif

CpuDispatch make_dispatch() {
  CpuDispatch dispatch = resolve_dispatch(std::getenv("ORDO_ISA"), detect_isa());
#if ORDO_X86
  if (dispatch.requested) {
    const dnnl::cpu_isa cap = onednn_cap(*dispatch.requested);
    // Fails only when oneDNN has already fixed its ISA (it does at its first JIT kernel or ISA
    // query); that is harmless if what it fixed is within the cap.
    const dnnl::status status = dnnl::set_max_cpu_isa(cap);
    const dnnl::cpu_isa effective = dnnl::get_effective_cpu_isa();
    if (status != dnnl::status::success && !within(effective, cap)) {
      throw Error(std::string("ORDO_ISA=") + to_string(*dispatch.requested) +
                  ": oneDNN had already fixed its instruction set at " +
                  onednn_isa_name(effective) +
                  " before ordo's first use; set ONEDNN_MAX_CPU_ISA as well, or let ordo run "
                  "first");
    }
  }
#endif
  dispatch.onednn = dnnl::get_effective_cpu_isa();
  dispatch.onednn_name = onednn_isa_name(dispatch.onednn);
  return dispatch;
}

}  // namespace

const char* to_string(Isa isa) {
  switch (isa) {
    case Isa::generic:
      return "generic";
    case Isa::avx2:
      return "avx2";
    case Isa::avx512:
      return "avx512";
  }
  return "generic";
}

std::optional<Isa> parse_isa(std::string_view name) {
  for (const Isa isa : {Isa::avx512, Isa::avx2, Isa::generic})
    if (name == to_string(isa)) return isa;
  return std::nullopt;
}

CpuDispatch resolve_dispatch(const char* ordo_isa, Isa detected) {
  CpuDispatch dispatch;
  dispatch.detected = detected;
  dispatch.active = detected;
  if (ordo_isa == nullptr || *ordo_isa == '\0') return dispatch;
  dispatch.requested = parse_isa(ordo_isa);
  if (!dispatch.requested) {
    throw Error(std::string("ORDO_ISA=\"") + ordo_isa +
                "\" is not an instruction set ordo knows: use avx512, avx2 or generic (or leave "
                "ORDO_ISA unset for the best this CPU has)");
  }
  dispatch.active = std::min(detected, *dispatch.requested);
  return dispatch;
}

std::string CpuDispatch::summary() const {
  std::string line = to_string(active);
  if (!requested) return line + " (the best this CPU has)";
  line += std::string(" (ORDO_ISA=") + to_string(*requested);
  if (*requested > detected) return line + " asks for more than the CPU has)";
  if (*requested < detected) return line + "; the CPU has " + to_string(detected) + ")";
  return line + ")";
}

std::string CpuDispatch::why_no_avx512_kernels() const {
  if (avx512_kernels()) return "";
  if (requested && *requested < Isa::avx512 && detected == Isa::avx512) {
    return std::string("ORDO_ISA=") + to_string(*requested) +
           " caps ordo's kernels below AVX-512, which the CPU has";
  }
#if ORDO_X86
  return "the CPU has no AVX-512F";
#else
  return "not an x86 CPU: ordo's AVX-512 kernels are not compiled";
#endif
}

const char* CpuDispatch::kernels() const {
  if (avx512_kernels()) return "avx512";
  if (avx2_kernels()) return "avx2";
  return "none";
}

std::string CpuDispatch::kernels_summary() const {
  if (avx512_kernels()) return "AVX-512 (panel GEMM and attention)";
  if (avx2_kernels()) {
    return "AVX2 (dot GEMM up to " + std::to_string(kDotGemmMaxRows) +
           " rows; attention on oneDNN)";
  }
  if (requested && *requested < detected) {
    return std::string("oneDNN only (ORDO_ISA=") + to_string(*requested) +
           " caps ordo's kernels below " + (detected == Isa::avx512 ? "AVX-512" : "AVX2") +
           ", which the CPU has)";
  }
#if ORDO_X86
  return "oneDNN only (the CPU has neither AVX-512F nor AVX2 with FMA)";
#else
  return "oneDNN only (not an x86 CPU: ordo's kernels are x86 code)";
#endif
}

const CpuDispatch& cpu_dispatch() {
  // A throwing initializer leaves the static uninitialized, so an invalid ORDO_ISA fails every
  // call, not only the first.
  static const CpuDispatch dispatch = make_dispatch();
  return dispatch;
}

const char* onednn_isa_name(dnnl::cpu_isa isa) {
  switch (isa) {
    case dnnl::cpu_isa::sse41:
      return "SSE4.1";
    case dnnl::cpu_isa::avx:
      return "AVX";
    case dnnl::cpu_isa::avx2:
      return "AVX2";
    case dnnl::cpu_isa::avx2_vnni:
      return "AVX2 + VNNI";
    case dnnl::cpu_isa::avx512_core:
      return "AVX-512";
    case dnnl::cpu_isa::avx512_core_vnni:
      return "AVX-512 + VNNI";
    case dnnl::cpu_isa::avx512_core_bf16:
      return "AVX-512 + VNNI + BF16";
    case dnnl::cpu_isa::avx512_core_amx:
      return "AVX-512 + AMX";
    default:
      return "generic";
  }
}

}  // namespace ordo::ops
