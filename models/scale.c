/*
 * models/scale.c - synthetic model for pipelines: y = 2x + 1 over 1M fp32
 * elements (4 MiB in, 4 MiB out), so its compute costs about one 4 MiB
 * copy. OPENNRT_SCALE_PASSES=N repeats the pass N times to make it
 * heavier.
 */
#include <stdlib.h>

#include "model_simd.h"
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

/* restrict: the kernel ABI promises that inputs and outputs do not alias
 * (nrt_kernel.h), and without it gcc either keeps the loop scalar (-O2) or
 * adds a runtime overlap check (-O3). */
NRT_MODEL_CLONES static void scale_pass(const float *restrict x, float *restrict y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = 2.0f * x[i] + 1.0f;
}

static NRT_STATUS scale_execute(const nrt_kernel_args_t *args)
{
    long passes = (long)(intptr_t)args->state;
    for (long p = 0; p < passes; p++)
        scale_pass(args->inputs[0], args->outputs[0], N);
    return NRT_SUCCESS;
}

NRT_KERNEL_DEFINE("scale", inputs, outputs, scale_init, NULL, scale_execute);
