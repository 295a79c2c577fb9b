/*
 * tests/api/testmods/noinput.c - a model without inputs, declared with
 * NULL for the input table (NRT_KERNEL_DEFINE must count 0, not 8):
 * output "seq" (uint32[8]) receives {lnc, 1, 2, ..., 7}.
 */
#include "nrt/nrt_kernel.h"

static const nrt_kernel_tensor_t outputs[] = {
    {"seq", NRT_DTYPE_UINT32, 1, {8}, 32},
};

static NRT_STATUS seq_execute(const nrt_kernel_args_t *args)
{
    uint32_t *seq = args->outputs[0];
    seq[0] = args->lnc;
    for (uint32_t i = 1; i < 8; i++)
        seq[i] = i;
    return NRT_SUCCESS;
}

NRT_KERNEL_DEFINE("noinput", NULL, outputs, NULL, NULL, seq_execute);
