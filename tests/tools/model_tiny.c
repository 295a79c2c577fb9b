/*
 * tests/tools/model_tiny.c - a tiny model for the tool tests and for
 * per-request overheads: two inputs and two outputs of a few hundred bytes,
 * so nrt-bench exercises its multi-tensor paths (several write and read
 * queues) and a run is dominated by request handling, not by the kernel.
 *   y = 2a + 1 (float32[64]),  h = b (float16[32], copied)
 */
#include <string.h>

#include "nrt/nrt_kernel.h"

static const nrt_kernel_tensor_t inputs[] = {
    {"a", NRT_DTYPE_FLOAT32, 1, {64}, 64 * 4},
    {"b", NRT_DTYPE_FLOAT16, 2, {4, 8}, 32 * 2},
};
static const nrt_kernel_tensor_t outputs[] = {
    {"y", NRT_DTYPE_FLOAT32, 1, {64}, 64 * 4},
    {"h", NRT_DTYPE_FLOAT16, 2, {4, 8}, 32 * 2},
};

static NRT_STATUS tiny_execute(const nrt_kernel_args_t *args)
{
    const float *a = args->inputs[0];
    float *y = args->outputs[0];
    for (int i = 0; i < 64; i++)
        y[i] = 2.0f * a[i] + 1.0f;
    memcpy(args->outputs[1], args->inputs[1], 32 * 2);
    return NRT_SUCCESS;
}

NRT_KERNEL_DEFINE("tiny", inputs, outputs, NULL, NULL, tiny_execute);
