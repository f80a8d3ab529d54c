#pragma once
// <immintrin.h> for ordo's x86 kernel headers (ops/avx512.h, ops/avx2.h): x86 only, and with
// the warnings GCC 12's own intrinsics trip turned off for that header alone.

// x86 only: the kernel files include it under `#if ORDO_X86` (ops/cpu.h).
#if !(defined(__x86_64__) || defined(__i386__))
#error "ordo's x86 kernel headers are x86 code: include them only under #if ORDO_X86"
#endif

// GCC 12's own intrinsics (_mm512_max_ps, _mm512_scalef_ps, _mm512_reduce_add_ps, ...) trip
// -W(maybe-)uninitialized on the deliberately undefined pass-through operand inside the header.
// The warnings are off for <immintrin.h> alone: GCC reports them at the operand's line there.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <immintrin.h>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
