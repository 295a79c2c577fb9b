/*
 * tests/tools/model_lnc.c - a model whose output depends on the core that
 * runs it (as the example in docs/MODELS.md): y = x + lnc over 64 floats.
 * nrt-bench must verify each core against its own reference.
 */
#include "nrt/nrt_kernel.h"

static const nrt_kernel_tensor_t inputs[] = {
    {"x", NRT_DTYPE_FLOAT32, 1, {64}, 64 * 4},
};
static const nrt_kernel_tensor_t outputs[] = {
    {"y", NRT_DTYPE_FLOAT32, 1, {64}, 64 * 4},
};

static NRT_STATUS lnc_execute(const nrt_kernel_args_t *args)
{
    const float *x = args->inputs[0];
    float *y = args->outputs[0];
    for (int i = 0; i < 64; i++)
        y[i] = x[i] + (float)args->lnc;
    return NRT_SUCCESS;
}

NRT_KERNEL_DEFINE("lnc", inputs, outputs, NULL, NULL, lnc_execute);
