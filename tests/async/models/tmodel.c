/*
 * tests/async/models/tmodel.c - the async tests' model: y = x + tag, with
 * a gate to hold an execution, a returned status, NaN/Inf output and an
 * execution-order log (see tmodel_abi.h).
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <time.h>

#include "nrt/nrt_kernel.h"
#include "tmodel_abi.h"

static const nrt_kernel_tensor_t inputs[] = {
    {"ctl", NRT_DTYPE_UINT64, 1, {TM_CTL_WORDS}, TM_CTL_WORDS * 8},
    {"x", NRT_DTYPE_FLOAT32, 1, {TM_N}, TM_N * 4},
};
static const nrt_kernel_tensor_t outputs[] = {
    {"y", NRT_DTYPE_FLOAT32, 1, {TM_N}, TM_N * 4},
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static NRT_STATUS tm_execute(const nrt_kernel_args_t *args)
{
    const uint64_t *ctl = args->inputs[0];
    const float *x = args->inputs[1];
    float *y = args->outputs[0];
    tm_shared_t *sh = (tm_shared_t *)(uintptr_t)ctl[TM_CTL_SHARED];
    uint64_t flags = ctl[TM_CTL_FLAGS];
    uint64_t tag = ctl[TM_CTL_TAG];

    if (sh) {
        atomic_fetch_add(&sh->started, 1);
        if (atomic_fetch_add(&sh->active, 1) != 0)
            atomic_fetch_add(&sh->overlap, 1);
        atomic_fetch_or(&sh->lnc_mask, 1u << (args->lnc & 31));
        if (flags & TM_F_LOG) {
            uint32_t i = atomic_fetch_add(&sh->nlog, 1);
            if (i < TM_LOG_MAX)
                atomic_store(&sh->log[i], tag);
        }
        if (flags & TM_F_WAIT_GATE) {
            uint64_t ticket = ctl[TM_CTL_TICKET] ? ctl[TM_CTL_TICKET] : 1;
            uint64_t max_ms = ctl[TM_CTL_MAX_WAIT_MS] ? ctl[TM_CTL_MAX_WAIT_MS] : 60000;
            uint64_t t0 = now_ms();
            while (atomic_load(&sh->gate) < ticket) {
                if (now_ms() - t0 > max_ms) {
                    atomic_fetch_add(&sh->gave_up, 1);
                    break;
                }
                struct timespec ts = {0, 50000};
                nanosleep(&ts, NULL);
            }
        }
    }
    if (ctl[TM_CTL_SPIN_MS]) {
        uint64_t t0 = now_ms();
        while (now_ms() - t0 < ctl[TM_CTL_SPIN_MS]) {
        }
    }
    for (int i = 0; i < TM_N; i++)
        y[i] = x[i] + (float)tag;
    if (flags & TM_F_NAN)
        y[3] = NAN;
    if (flags & TM_F_INF)
        y[5] = INFINITY;
    if (sh) {
        atomic_fetch_sub(&sh->active, 1);
        atomic_fetch_add(&sh->finished, 1); /* seq_cst: y is written before */
    }
    return (NRT_STATUS)ctl[TM_CTL_STATUS];
}

NRT_KERNEL_DEFINE("tmodel", inputs, outputs, NULL, NULL, tm_execute);
