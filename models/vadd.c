/*
 * models/vadd.c - example model: c = a + b over 1M fp32 elements.
 */
#include "model_simd.h"
#include "nrt/nrt_kernel.h"

#define N (1024 * 1024)

static const nrt_kernel_tensor_t inputs[] = {
    {"a", NRT_DTYPE_FLOAT32, 1, {N}, N * 4},
    {"b", NRT_DTYPE_FLOAT32, 1, {N}, N * 4},
};
static const nrt_kernel_tensor_t outputs[] = {
    {"c", NRT_DTYPE_FLOAT32, 1, {N}, N * 4},
};

/* restrict: outputs never alias inputs (nrt_kernel.h); the two inputs may
 * be the same tensor, which is fine since both are only read. */
NRT_MODEL_CLONES static void vadd_loop(const float *restrict a, const float *restrict b, float *restrict c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        c[i] = a[i] + b[i];
}

static NRT_STATUS vadd_execute(const nrt_kernel_args_t *args)
{
    vadd_loop(args->inputs[0], args->inputs[1], args->outputs[0], N);
    return NRT_SUCCESS;
}

NRT_KERNEL_DEFINE("vadd", inputs, outputs, NULL, NULL, vadd_execute);
