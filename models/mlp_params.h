/*
 * models/mlp_params.h - shape and deterministic weights of the example MLP,
 * shared by the model object and the tests' reference implementation.
 *   y = relu(relu(x . W1 + b1) . W2 + b2)
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define MLP_BATCH 128
#define MLP_IN 1024
#define MLP_HIDDEN 64
#define MLP_OUT 1024

/* Fills |w| with |n| values in [-scale, scale) from a fixed seed. */
static inline void mlp_fill(float *w, size_t n, uint64_t seed, float scale)
{
    uint64_t s = seed;
    for (size_t i = 0; i < n; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        w[i] = ((float)(s >> 40) / (float)(1u << 24) * 2.0f - 1.0f) * scale;
    }
}

#define MLP_SEED_W1 11u
#define MLP_SEED_B1 12u
#define MLP_SEED_W2 13u
#define MLP_SEED_B2 14u
#define MLP_SCALE_W1 0.03125f /* ~1/sqrt(MLP_IN) */
#define MLP_SCALE_W2 0.125f   /* ~1/sqrt(MLP_HIDDEN) */
#define MLP_SCALE_B 0.1f
