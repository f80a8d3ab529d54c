#include "ops/distance_scores.h"

namespace ordo::ops {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

DistanceScores::DistanceScores(int64_t batch, int64_t length, int64_t heads, int64_t head_dim)
    : batch_(batch), length_(length), heads_(heads) {
  const int64_t hidden = heads * head_dim, row = 3 * hidden, window = 2 * length - 1;
  // cppcheck-suppress useInitializationList ; the descriptors are built from the locals above
  rows_desc_ = dnnl::memory::desc({batch, heads, length, head_dim}, dt::f32,
                                  {length * row, head_dim, row, 1});
  // The window's rows [window][head_dim] read as its transpose {head_dim, window}, shared by
  // every sequence and head (batch dimensions of 1 broadcast).
  window_desc_ = dnnl::memory::desc({1, 1, head_dim, window}, dt::f32,
                                    {window * head_dim, window * head_dim, 1, head_dim});
  out_desc_ = dnnl::memory::desc({batch, heads, length, window}, dt::f32, tag::abcd);
  const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(rows_desc_, window_desc_, out_desc_),
                                        user_scratchpad_attr(), cpu_engine());
  scratchpad_desc_ = pd.scratchpad_desc();
  primitive_ = dnnl::matmul(pd);
}

void DistanceScores::operator()(dnnl::stream& stream, AlignedBuffer& scratchpad, const float* rows,
                                const float* window, float* out) const {
  const auto& engine = cpu_engine();
  dnnl::memory source(rows_desc_, engine, input_handle(rows));
  dnnl::memory weights(window_desc_, engine, input_handle(window));
  dnnl::memory destination(out_desc_, engine, out);
  primitive_.execute(stream,
                     {{DNNL_ARG_SRC, source},
                      {DNNL_ARG_WEIGHTS, weights},
                      {DNNL_ARG_DST, destination},
                      {DNNL_ARG_SCRATCHPAD, scratchpad_memory(scratchpad_desc_, scratchpad)}});
}

}  // namespace ordo::ops
