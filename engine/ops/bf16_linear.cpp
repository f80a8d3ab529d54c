#include "ops/bf16_linear.h"

#include <cstring>
#include <string>

#include "ops/cpu.h"
#include "ordo/error.h"

namespace ordo::ops {

using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

namespace {

#if ORDO_X86
// oneDNN's ISAs are bit sets; bf16 matmuls are native from avx512_core_bf16 up (AMX included).
bool has_isa_bits(dnnl::cpu_isa isa, dnnl::cpu_isa bits) {
  const auto wanted = static_cast<unsigned>(bits);
  return (static_cast<unsigned>(isa) & wanted) == wanted;
}
#endif

dnnl::memory::desc plain_f32_weights(int64_t in_features, int64_t out_features) {
  return {{in_features, out_features}, dt::f32, tag::ba};  // PyTorch's [out][in], as {K, N}
}

}  // namespace

std::string bf16_unavailable_reason() {
#if ORDO_X86
  const CpuDispatch& dispatch = cpu_dispatch();
  if (has_isa_bits(dispatch.onednn, dnnl::cpu_isa::avx512_core_bf16)) return "";
  if (dispatch.requested && *dispatch.requested < Isa::avx512) {
    return std::string("ORDO_ISA=") + to_string(*dispatch.requested) +
           " caps oneDNN below AVX512-BF16; use f32";
  }
  return std::string("this CPU has no native bf16 matmul (oneDNN runs ") + dispatch.onednn_name +
         "; bf16 needs AVX512-BF16, as on Cooper Lake and AMD Zen 4 or later, or AMX); use f32";
#else
  return "bf16 matmuls are only enabled on x86 CPUs with AVX512-BF16 or AMX; use f32";
#endif
}

void round_to_bf16(const float* from, int64_t count, uint16_t* to) {
#pragma omp parallel for schedule(static) if (count > 65536)
  for (int64_t i = 0; i < count; ++i) {
    uint32_t bits;
    std::memcpy(&bits, &from[i], sizeof bits);
    if ((bits & 0x7fffffffu) > 0x7f800000u) {  // NaN: keep it a (quiet) NaN
      to[i] = static_cast<uint16_t>((bits >> 16) | 0x0040u);
      continue;
    }
    bits += 0x7fffu + ((bits >> 16) & 1u);  // round to nearest, ties to even
    to[i] = static_cast<uint16_t>(bits >> 16);
  }
}

Bf16Weights::Bf16Weights(const float* weight, int64_t in_features, int64_t out_features)
    : in_features_(in_features), out_features_(out_features) {
  if (const std::string reason = bf16_unavailable_reason(); !reason.empty())
    throw Error("bf16 matmuls: " + reason);
  // The layout brgemm wants; it is the same for every row count, so 128 rows decide it.
  constexpr int64_t kProbeRows = 128;
  const dnnl::memory::desc src({kProbeRows, in_features}, dt::bf16, tag::ab);
  const dnnl::memory::desc weights({in_features, out_features}, dt::bf16, tag::any);
  const dnnl::memory::desc dst({kProbeRows, out_features}, dt::f32, tag::ab);
  const dnnl::matmul::primitive_desc probe(dnnl::matmul::desc(src, weights, dst),
                                           user_scratchpad_attr(), cpu_engine());
  desc_ = probe.weights_desc();
  const size_t floats = (desc_.get_size() + sizeof(float) - 1) / sizeof(float);
  dnnl::memory from(plain_f32_weights(in_features, out_features), cpu_engine(),
                    input_handle(weight));
  dnnl::memory to(desc_, cpu_engine(), storage_.reserve(floats));
  dnnl::stream stream(cpu_engine());
  dnnl::reorder(from, to).execute(stream, from, to);  // rounds to nearest even, as above
  stream.wait();
}

Bf16Linear::Bf16Linear(int64_t in_features, int64_t out_features,
                       std::optional<Activation> activation, Linear::Output output,
                       const dnnl::memory::desc& weights_desc, int64_t rows)
    : in_features_(in_features),
      out_features_(out_features),
      rows_(rows),
      weights_desc_(weights_desc) {
  const dnnl::memory::desc src({rows, in_features}, dt::bf16, tag::ab);
  const dnnl::memory::desc bias({1, out_features}, dt::f32, tag::ab);
  const dnnl::memory::desc dst({rows, out_features}, dt::f32, tag::ab);
  dnnl::post_ops post_ops;
  if (output == Linear::Output::accumulate) post_ops.append_sum(1.0f);
  if (activation) {
    post_ops.append_eltwise(1.0f, eltwise_algorithm(*activation), eltwise_alpha(*activation), 0.0f);
  }
  dnnl::primitive_attr attr = user_scratchpad_attr();
  attr.set_post_ops(post_ops);
  const dnnl::matmul::primitive_desc primitive_desc(
      dnnl::matmul::desc(src, weights_desc, bias, dst), attr, cpu_engine());
  scratchpad_desc_ = primitive_desc.scratchpad_desc();
  primitive_ = dnnl::matmul(primitive_desc);
}

void Bf16Linear::operator()(dnnl::stream& stream, AlignedBuffer& scratchpad,
                            std::vector<uint16_t>& rounded_input, const float* input, int64_t rows,
                            const Bf16Weights& weights, const float* bias, float* output) const {
  if (rows != rows_) {
    throw Error("internal error: bf16 linear op made for " + std::to_string(rows_) +
                " rows called with " + std::to_string(rows));
  }
  const int64_t count = rows * in_features_;
  if (rounded_input.size() < static_cast<size_t>(count))
    rounded_input.resize(static_cast<size_t>(count));
  uint16_t* rounded = rounded_input.data();
  round_to_bf16(input, count, rounded);
  const auto& engine = cpu_engine();
  dnnl::memory src({{rows, in_features_}, dt::bf16, tag::ab}, engine, rounded);
  dnnl::memory wei(weights_desc_, engine, const_cast<void*>(weights.data()));
  dnnl::memory b({{1, out_features_}, dt::f32, tag::ab}, engine, input_handle(bias));
  dnnl::memory dst({{rows, out_features_}, dt::f32, tag::ab}, engine, output);
  primitive_.execute(stream,
                     {{DNNL_ARG_SRC, src},
                      {DNNL_ARG_WEIGHTS, wei},
                      {DNNL_ARG_BIAS, b},
                      {DNNL_ARG_DST, dst},
                      {DNNL_ARG_SCRATCHPAD, scratchpad_memory(scratchpad_desc_, scratchpad)}});
}

}  // namespace ordo::ops
