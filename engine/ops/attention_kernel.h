#pragma once
// ordo's own attention kernel (AVX-512), the fast path of ops::Attention. Per sequence and
// head it takes 6 queries at a time through all three steps, scores, softmax and the weighted
// sum of values, while their rows are still in L1; oneDNN's three primitives instead each make
// a pass over the whole [batch, heads, length, length] tensor, which at 8 x 128 tokens of
// BERT-base is 6 MiB, three times the L2 of a core.
#include <cstdint>

#include "ops/attention_positions.h"
#include "ops/dnnl_context.h"

namespace ordo::ops {

// True when ordo's AVX-512 kernels run (cpu_dispatch(): the CPU has AVX-512F and ORDO_ISA does not
// cap it) and head_dim is a multiple of 16 (whole vectors of a head).
bool attention_kernel_supported(int64_t head_dim);

// The contract of Attention::operator(): qkv holds `batch` sequences of `length` tokens as rows
// of [Q | K | V], 3 * heads * head_dim floats each, Q already scaled by 1/sqrt(head_dim).
// Writes context [batch * length, heads * head_dim] and, unless null, probabilities [batch, heads,
// length, length]. `positions` is applied inside: each head's Q and K rows are rotated in place
// just before the head reads them, and the bias is added to the scores while they are still in
// registers, so neither costs a pass of its own over memory. `scratch` receives per OpenMP
// thread a transposed K, a copy of V and, when probabilities is null, one head's probabilities.
// `window` > 0: sliding-window local attention, query i sees keys j with |i - j| <= window
// only (the others' probabilities are 0); key blocks wholly outside a query tile's window are
// skipped. Runs on OpenMP's threads, one share of the (sequence, head) pairs each.
void attention_kernel(float* qkv, int64_t batch, int64_t length, int64_t heads, int64_t head_dim,
                      const AttentionPositions& positions, int64_t window, AlignedBuffer& scratch,
                      float* probabilities, float* context);

}  // namespace ordo::ops
