/*
 * tests/api/testmods/testmod.c - tiny model objects for the loader tests,
 * one per TESTMOD_* definition (see tests/api/CMakeLists.txt).
 *
 * TESTMOD_ACC: y += x over 4 floats (so nrt_execute_repeat(n) gives
 * y = n * x); returns NRT_EXEC_COMPLETED_WITH_ERR once y[0] exceeds 100.
 * Output "info" receives {lnc from the call, lnc seen by init(),
 * ctx_device_id, ctx_device_count, executions of this load (a global of
 * the object), 0, 0, 0}.
 */
#include <stdlib.h>

#include "nrt/nrt_kernel.h"

#define EXPORT __attribute__((visibility("default")))

static const nrt_kernel_tensor_t inputs[] = {
    {"x", NRT_DTYPE_FLOAT32, 1, {4}, 16},
};
static const nrt_kernel_tensor_t outputs[] = {
    {"y", NRT_DTYPE_FLOAT32, 1, {4}, 16},
    {"info", NRT_DTYPE_UINT32, 2, {2, 4}, 32},
};

typedef struct {
    nrt_kernel_load_info_t info;
} acc_state_t;

static uint32_t executions; /* per loaded copy of the object */

static NRT_STATUS acc_init(const nrt_kernel_load_info_t *info, void **out_state)
{
#ifdef TESTMOD_INITFAIL
    (void)info;
    (void)out_state;
    return NRT_RESOURCE;
#else
    acc_state_t *s = malloc(sizeof *s);
    if (!s)
        return NRT_RESOURCE;
    s->info = *info;
    *out_state = s;
    return NRT_SUCCESS;
#endif
}

static void acc_fini(void *state)
{
    free(state);
}

#ifdef TESTMOD_UNDEF
void opennrt_test_symbol_that_does_not_exist(void);
#endif

static NRT_STATUS acc_execute(const nrt_kernel_args_t *args)
{
#ifdef TESTMOD_UNDEF
    opennrt_test_symbol_that_does_not_exist();
#endif
    const acc_state_t *s = args->state;
    const float *x = args->inputs[0];
    float *y = args->outputs[0];
    uint32_t *info = args->outputs[1];
    for (int i = 0; i < 4; i++)
        y[i] += x[i];
    executions++;
    info[0] = args->lnc;
    info[1] = s->info.lnc;
    info[2] = s->info.ctx_device_id;
    info[3] = s->info.ctx_device_count;
    info[4] = executions;
    info[5] = info[6] = info[7] = 0;
    return y[0] > 100.0f ? NRT_EXEC_COMPLETED_WITH_ERR : NRT_SUCCESS;
}

#if defined(TESTMOD_NODESC)
/* A valid shared object that exports something else. */
EXPORT const void *not_a_descriptor[] = {(const void *)inputs, (const void *)outputs, (const void *)acc_init,
                                         (const void *)acc_fini, (const void *)acc_execute};
#elif defined(TESTMOD_BADABI)
EXPORT const nrt_kernel_descriptor_t nrt_kernel_descriptor = {
    NRT_KERNEL_MAGIC, NRT_KERNEL_ABI_VERSION + 98, "acc", 1, 2, inputs, outputs, acc_init, acc_fini, acc_execute};
#elif defined(TESTMOD_BADDESC)
static const nrt_kernel_tensor_t bad_outputs[] = {
    {"y", NRT_DTYPE_FLOAT32, 1, {4}, 16},
    {"info", NRT_DTYPE_UINT32, 2, {2, 4}, 33}, /* size does not match the shape */
};
EXPORT const nrt_kernel_descriptor_t nrt_kernel_descriptor = {
    NRT_KERNEL_MAGIC, NRT_KERNEL_ABI_VERSION, "acc", 1, 2, inputs, bad_outputs, acc_init, acc_fini, acc_execute};
EXPORT const nrt_kernel_tensor_t *good_outputs = outputs;
#else
NRT_KERNEL_DEFINE("acc", inputs, outputs, acc_init, acc_fini, acc_execute);
#endif
