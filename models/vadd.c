/*
 * models/vadd.c - example model: c = a + b over 1M fp32 elements.
 */
#include "nrt/nrt_kernel.h"

#define N (1024 * 1024)

static const nrt_kernel_tensor_t inputs[] = {
    {"a", NRT_DTYPE_FLOAT32, 1, {N}, N * 4},
    {"b", NRT_DTYPE_FLOAT32, 1, {N}, N * 4},
};
static const nrt_kernel_tensor_t outputs[] = {
    {"c", NRT_DTYPE_FLOAT32, 1, {N}, N * 4},
};

static NRT_STATUS vadd_execute(const nrt_kernel_args_t *args)
{
    const float *a = args->inputs[0], *b = args->inputs[1];
    float *c = args->outputs[0];
    for (size_t i = 0; i < N; i++)
        c[i] = a[i] + b[i];
    return NRT_SUCCESS;
}

NRT_KERNEL_DEFINE("vadd", inputs, outputs, NULL, NULL, vadd_execute);
