/*
 * models/scale.c - synthetic model for pipelines: y = 2x + 1 over 1M fp32
 * elements (4 MiB in, 4 MiB out), so its compute costs about one 4 MiB
 * copy. OPENNRT_SCALE_PASSES=N repeats the pass N times to make it
 * heavier.
 */
#include <stdlib.h>

#include "nrt/nrt_kernel.h"

#define N (1024 * 1024)

static const nrt_kernel_tensor_t inputs[] = {
    {"x", NRT_DTYPE_FLOAT32, 1, {N}, N * 4},
};
static const nrt_kernel_tensor_t outputs[] = {
    {"y", NRT_DTYPE_FLOAT32, 1, {N}, N * 4},
};

static NRT_STATUS scale_init(const nrt_kernel_load_info_t *info, void **state)
{
    (void)info;
    const char *p = getenv("OPENNRT_SCALE_PASSES");
    long passes = p ? strtol(p, NULL, 10) : 1;
    *state = (void *)(intptr_t)(passes > 0 && passes < 1000 ? passes : 1);
    return NRT_SUCCESS;
}

static NRT_STATUS scale_execute(const nrt_kernel_args_t *args)
{
    const float *x = args->inputs[0];
    float *y = args->outputs[0];
    long passes = (long)(intptr_t)args->state;
    for (long p = 0; p < passes; p++)
        for (size_t i = 0; i < N; i++)
            y[i] = 2.0f * x[i] + 1.0f;
    return NRT_SUCCESS;
}

NRT_KERNEL_DEFINE("scale", inputs, outputs, scale_init, NULL, scale_execute);
