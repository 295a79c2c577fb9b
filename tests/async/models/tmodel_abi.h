/*
 * tests/async/models/tmodel_abi.h - what the async tests and their test
 * model (tmodel.so) share.
 *
 * tmodel has inputs "ctl" (UINT64[8]) and "x" (FLOAT32[16]) and output "y"
 * (FLOAT32[16]); it computes y[i] = x[i] + tag. The ctl words steer one
 * execution: a pointer to a tm_shared_t living in the test process (the
 * model runs in the same address space), flags, the status to return, a
 * tag, and a gate ticket. With TM_WAIT_GATE the execution blocks until the
 * test raises |gate| to at least the ticket: that is how the tests make a
 * request "slow" deterministically, without relying on timings. A safety
 * bound (TM_CTL_MAX_WAIT_MS, default 60 s) keeps a forgotten gate from
 * hanging the process forever.
 */
#pragma once

#include <stdatomic.h>
#include <stdint.h>

#define TM_N 16          /* elements of x and y */
#define TM_CTL_WORDS 8   /* words of ctl */
#define TM_LOG_MAX 4096

enum {
    TM_CTL_SHARED = 0,      /* (uintptr_t)tm_shared_t *, or 0 */
    TM_CTL_FLAGS = 1,       /* TM_F_* */
    TM_CTL_STATUS = 2,      /* NRT_STATUS returned by execute */
    TM_CTL_TAG = 3,         /* added to every element; logged with TM_F_LOG */
    TM_CTL_TICKET = 4,      /* TM_F_WAIT_GATE: wait until gate >= ticket (0 means 1) */
    TM_CTL_MAX_WAIT_MS = 5, /* safety bound of the gate wait (0: 60000) */
    TM_CTL_SPIN_MS = 6,     /* extra busy time after the gate (0: none) */
};

enum {
    TM_F_WAIT_GATE = 1u << 0,
    TM_F_LOG = 1u << 1,
    TM_F_NAN = 1u << 2, /* y[3] = NaN */
    TM_F_INF = 1u << 3, /* y[5] = +Inf */
};

typedef struct tm_shared {
    _Atomic uint64_t gate;     /* raised by the test */
    _Atomic uint32_t started;  /* executions that began */
    _Atomic uint32_t finished; /* executions that returned (after writing y) */
    _Atomic uint32_t active;   /* executions running right now */
    _Atomic uint32_t overlap;  /* times an execution saw another one running */
    _Atomic uint32_t gave_up;  /* gate waits that hit the safety bound */
    _Atomic uint32_t lnc_mask; /* bit per core seen in args->lnc */
    _Atomic uint32_t nlog;
    _Atomic uint64_t log[TM_LOG_MAX]; /* tags in execution order (TM_F_LOG) */
} tm_shared_t;
