/*
 * models/small.c - a small, fast model for measuring per-request overhead:
 * y = f(f(...f(x))) over 4096 fp32 elements (16 KiB in, 16 KiB out), with
 * f(v) = v * 0.75 + 0.25 applied SMALL_PASSES times to each element.
 *
 * The pass count is chosen so that one execute takes about a microsecond
 * with the AVX2 copy on the AMD EPYC VM the benchmarks run on (about
 * 2.3 us with the SSE2 copy); bench/bench_small.c prints the measured
 * figure. The working set fits in L1, so the time is arithmetic, not
 * memory.
 *
 * Output is deterministic: -ffp-contract=off keeps the multiply and the add
 * separately rounded in every copy of the loop (model_simd.h), so the
 * result is the plain-C evaluation of f, bit for bit.
 */
#include "model_simd.h"
#include "nrt/nrt_kernel.h"

#define N 4096
#define SMALL_PASSES 8

static const nrt_kernel_tensor_t inputs[] = {
    {"x", NRT_DTYPE_FLOAT32, 1, {N}, N * 4},
};
static const nrt_kernel_tensor_t outputs[] = {
    {"y", NRT_DTYPE_FLOAT32, 1, {N}, N * 4},
};

/* The passes run in registers, element by element, so that each element is
 * loaded and stored once; restrict because outputs never alias inputs
 * (nrt_kernel.h). */
NRT_MODEL_CLONES static void small_loop(const float *restrict x, float *restrict y, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        for (int p = 0; p < SMALL_PASSES; p++)
            v = v * 0.75f + 0.25f;
        y[i] = v;
    }
}

static NRT_STATUS small_execute(const nrt_kernel_args_t *args)
{
    small_loop(args->inputs[0], args->outputs[0], N);
    return NRT_SUCCESS;
}

NRT_KERNEL_DEFINE("small", inputs, outputs, NULL, NULL, small_execute);
