// ops/cpu.h: ORDO_ISA's values, the cap, and that this process runs the level ORDO_ISA names.
// CTest also runs this binary under ORDO_ISA=avx2 and generic (tests/CMakeLists.txt), where
// ThisProcessRunsTheLevelOrdoIsaNames proves that those runs take oneDNN's paths rather than
// skipping the AVX-512 ones: a skipped test is not coverage.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "error_message.h"
#include "ops/attention.h"
#include "ops/attention_kernel.h"
#include "ops/cpu.h"
#include "ops/dot_gemm.h"
#include "ops/linear.h"
#include "ops/panel_gemm.h"
#include "ordo/error.h"
#include "random_values.h"

namespace ordo::ops {
namespace {

unsigned bits(dnnl::cpu_isa isa) {
  return static_cast<unsigned>(isa);
}

TEST(CpuDispatch, ParsesExactlyTheThreeLevels) {
  EXPECT_EQ(parse_isa("avx512"), Isa::avx512);
  EXPECT_EQ(parse_isa("avx2"), Isa::avx2);
  EXPECT_EQ(parse_isa("generic"), Isa::generic);
  for (const char* other : {"AVX2", "avx", "avx512f", "sse41", " avx2", "all", "native"})
    EXPECT_EQ(parse_isa(other), std::nullopt) << other;
  for (const Isa isa : {Isa::generic, Isa::avx2, Isa::avx512})
    EXPECT_EQ(parse_isa(to_string(isa)), isa);
}

TEST(CpuDispatch, AnInvalidValueNamesTheVariableAndTheAllowedValues) {
  const std::string message = test::error_message([] { resolve_dispatch("avx3", Isa::avx512); });
  for (const char* word : {"ORDO_ISA=\"avx3\"", "avx512, avx2 or generic"})
    EXPECT_NE(message.find(word), std::string::npos) << message;
}

TEST(CpuDispatch, UnsetOrEmptyRunsTheBestTheCpuHas) {
  for (const char* unset : {static_cast<const char*>(nullptr), ""}) {
    const CpuDispatch dispatch = resolve_dispatch(unset, Isa::avx512);
    EXPECT_EQ(dispatch.active, Isa::avx512);
    EXPECT_FALSE(dispatch.requested);
    EXPECT_TRUE(dispatch.avx512_kernels());
    EXPECT_EQ(dispatch.why_no_avx512_kernels(), "");
    EXPECT_EQ(dispatch.summary(), "avx512 (the best this CPU has)");
  }
}

TEST(CpuDispatch, ALowerLevelCapsAndSaysSo) {
  const CpuDispatch dispatch = resolve_dispatch("avx2", Isa::avx512);
  EXPECT_EQ(dispatch.active, Isa::avx2);
  EXPECT_FALSE(dispatch.avx512_kernels());
  EXPECT_EQ(dispatch.summary(), "avx2 (ORDO_ISA=avx2; the CPU has avx512)");
  EXPECT_EQ(dispatch.why_no_avx512_kernels(),
            "ORDO_ISA=avx2 caps ordo's kernels below AVX-512, which the CPU has");
  EXPECT_EQ(resolve_dispatch("generic", Isa::avx2).active, Isa::generic);
}

TEST(CpuDispatch, AskingForMoreThanTheCpuHasRunsWhatItHasAndSaysSo) {
  const CpuDispatch dispatch = resolve_dispatch("avx512", Isa::avx2);
  EXPECT_EQ(dispatch.active, Isa::avx2);
  EXPECT_FALSE(dispatch.avx512_kernels());
  EXPECT_EQ(dispatch.summary(), "avx2 (ORDO_ISA=avx512 asks for more than the CPU has)");
#if ORDO_X86
  EXPECT_NE(dispatch.why_no_avx512_kernels().find("no AVX-512"), std::string::npos)
#else  // off x86 the reason is the architecture, whatever level was simulated
  EXPECT_NE(dispatch.why_no_avx512_kernels().find("not an x86 CPU"), std::string::npos)
#endif
      << dispatch.why_no_avx512_kernels();
  EXPECT_EQ(resolve_dispatch("avx2", Isa::generic).summary(),
            "generic (ORDO_ISA=avx2 asks for more than the CPU has)");
}

// Which of ordo's kernels each level runs, as `ordo --version` and `ordo bench` report them.
TEST(CpuDispatch, EachLevelNamesTheKernelsItRuns) {
  const CpuDispatch best = resolve_dispatch(nullptr, Isa::avx512);
  EXPECT_STREQ(best.kernels(), "avx512");
  EXPECT_EQ(best.kernels_summary(), "AVX-512 (panel GEMM and attention)");
  for (const Isa cpu : {Isa::avx512, Isa::avx2}) {
    const CpuDispatch avx2 = resolve_dispatch("avx2", cpu);
    EXPECT_TRUE(avx2.avx2_kernels());
    EXPECT_FALSE(avx2.avx512_kernels());
    EXPECT_STREQ(avx2.kernels(), "avx2");
    EXPECT_EQ(avx2.kernels_summary(), "AVX2 (dot GEMM up to " + std::to_string(kDotGemmMaxRows) +
                                          " rows; attention on oneDNN)");
  }
  const CpuDispatch generic = resolve_dispatch("generic", Isa::avx2);
  EXPECT_FALSE(generic.avx2_kernels());
  EXPECT_STREQ(generic.kernels(), "none");
  EXPECT_EQ(generic.kernels_summary(),
            "oneDNN only (ORDO_ISA=generic caps ordo's kernels below AVX2, which the CPU has)");
  EXPECT_EQ(resolve_dispatch(nullptr, Isa::generic).kernels_summary().rfind("oneDNN only (", 0),
            0u);
}

// What this process runs, checked against ORDO_ISA (unset in the main CTest run, avx2 and
// generic in the ISA runs), through the ops that decide the paths: on a level below avx512
// neither AVX-512 kernel runs and oneDNN is capped, so attention runs on oneDNN's primitives
// and matmuls on the plain weights: at avx2 up to kDotGemmMaxRows rows on ordo's dot kernel,
// more on oneDNN's gemm; at generic all on oneDNN's gemm.
TEST(CpuDispatch, ThisProcessRunsTheLevelOrdoIsaNames) {
  const CpuDispatch& cpu = cpu_dispatch();
  const char* ordo_isa = std::getenv("ORDO_ISA");
  EXPECT_EQ(cpu.active, resolve_dispatch(ordo_isa, cpu.detected).active);
  std::cout << "ORDO_ISA=" << (ordo_isa != nullptr ? ordo_isa : "(unset)") << ": " << cpu.summary()
            << ", oneDNN " << cpu.onednn_name << '\n';
  EXPECT_EQ(cpu.onednn, dnnl::get_effective_cpu_isa());

  const Attention attention(1, 8, 2, 64);
  const auto weights = test::random_vector(768 * 768, 1);
  const PackedWeights packed(weights.data(), 768, 768);
  const Linear linear(768, 768, std::nullopt, Linear::Output::overwrite, packed.desc(), 16);
  const bool onednn_avx512 =
      (bits(cpu.onednn) & bits(dnnl::cpu_isa::avx512_core)) == bits(dnnl::cpu_isa::avx512_core);
  if (cpu.active == Isa::avx512) {
    EXPECT_TRUE(panel_gemm_supported());
    EXPECT_TRUE(attention.uses_own_kernel());
    EXPECT_EQ(linear.uses_panel_gemm(), onednn_avx512);  // panel kernel on packed weights
  } else {
    EXPECT_FALSE(panel_gemm_supported());
    EXPECT_FALSE(attention_kernel_supported(64));
    EXPECT_FALSE(attention.uses_own_kernel());
    EXPECT_FALSE(linear.uses_panel_gemm());
  }
  const Linear plain(768, 768, std::nullopt, Linear::Output::overwrite);
  EXPECT_EQ(plain.uses_dot_gemm(kDotGemmMaxRows), cpu.active == Isa::avx2);
  EXPECT_EQ(linear.uses_dot_gemm(16), cpu.active == Isa::avx2);
  EXPECT_FALSE(plain.uses_dot_gemm(kDotGemmMaxRows + 1));
#if ORDO_X86
  if (ordo_isa != nullptr && std::string(ordo_isa) == "avx2") {
    EXPECT_EQ(bits(cpu.onednn) & ~bits(dnnl::cpu_isa::avx2), 0u) << cpu.onednn_name;
    EXPECT_FALSE(packed.packed()) << "oneDNN 2.6 packs for brgemm only at AVX-512";
  }
  if (ordo_isa != nullptr && std::string(ordo_isa) == "generic") {
    EXPECT_EQ(cpu.onednn, dnnl::cpu_isa::sse41) << cpu.onednn_name;
    EXPECT_FALSE(packed.packed());
  }
#endif
}

}  // namespace
}  // namespace ordo::ops
