/*
 * models/model_simd.h - how the example models get vector code without
 * giving up portability.
 *
 * The models are built for the baseline ISA (-O3, no -march), which on
 * x86-64 means SSE2. NRT_MODEL_CLONES on a hot loop asks the compiler for an
 * extra AVX2 copy of it and an ifunc that picks one when the model is
 * loaded (glibc resolves it inside dlopen, RTLD_NOW). Elsewhere (other
 * architectures, compilers without target_clones) it expands to nothing and
 * the loop is vectorised for the baseline only.
 *
 * The models are compiled with -ffp-contract=off, so the AVX2 copy (which
 * has no FMA) and the baseline copy round identically: a model's output
 * does not depend on the machine it runs on.
 */
#pragma once

/* -DNRT_MODEL_CLONES= on the command line builds the baseline copy only
 * (for comparing the two). */
#if !defined(NRT_MODEL_CLONES) && defined(__x86_64__) && defined(__linux__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define NRT_MODEL_CLONES __attribute__((target_clones("avx2", "default")))
#endif
#endif

#ifndef NRT_MODEL_CLONES
#define NRT_MODEL_CLONES
#endif
