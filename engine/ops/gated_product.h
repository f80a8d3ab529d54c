#pragma once
// The middle of a gated feed-forward (GLU family: SwiGLU, GeGLU, ReGLU; Shazeer 2020):
//   out[r, i] = act(gate[r, i]) * up[r, i]
// where one matmul has produced each row as [gate | up] (the two input matrices stacked, so
// the FFN's first half is a single matmul). No oneDNN primitive multiplies one operand's
// activation by another: an eltwise on the strided gate half falls to oneDNN's reference
// kernel, and matmul post-ops apply to the whole [gate | up] row. So this is ordo's own
// elementwise loop, on AVX-512 or AVX2 with the activations of ordo's matmul kernels (the
// level cpu_dispatch() runs), scalar on generic.
#include <cstdint>

#include "core/encoder.h"

namespace ordo::ops {

// gate_up [rows, 2 * width] (row r: gate r then up r), out [rows, width]; out must not alias
// gate_up. Splits rows between the calling OpenMP team.
void gated_product(const float* gate_up, int64_t rows, int64_t width, Activation activation,
                   float* out);

}  // namespace ordo::ops
