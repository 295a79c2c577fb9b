/*
 * tests/coll/coll_util.h - helpers for the collectives tests: a rank's
 * buffers, reference reductions, running one collective per rank thread.
 * Public API only.
 */
#pragma once

#include "harness.h" /* first: it defines _GNU_SOURCE */

#include <math.h>
#include <poll.h>
#include <pthread.h>
#include "nrt/nrt_async.h"
#include "nrt/nrt_experimental.h"

static inline size_t cu_esize(nrt_dtype_t dt)
{
    switch (dt) {
    case NRT_DTYPE_UINT8:
    case NRT_DTYPE_INT8: return 1;
    case NRT_DTYPE_UINT16:
    case NRT_DTYPE_INT16:
    case NRT_DTYPE_FLOAT16:
    case NRT_DTYPE_BFLOAT16: return 2;
    case NRT_DTYPE_UINT64:
    case NRT_DTYPE_INT64: return 8;
    default: return 4;
    }
}

static inline float cu_bf16_to_f(uint16_t h)
{
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static inline float cu_f16_to_f(uint16_t h)
{
    uint32_t e = (h >> 10) & 31, m = h & 1023;
    float v = e == 0 ? ldexpf((float)m, -24) : e == 31 ? INFINITY : ldexpf((float)(m | 1024), (int)e - 25);
    return (h & 0x8000) ? -v : v;
}

/* Element i of rank r's input: small values so that sums stay exact in
 * every type (integers) and close in floats. */
static inline bool cu_unsigned(nrt_dtype_t dt)
{
    return dt == NRT_DTYPE_UINT8 || dt == NRT_DTYPE_UINT16 || dt == NRT_DTYPE_UINT32 || dt == NRT_DTYPE_UINT64;
}

static inline double cu_value(uint32_t r, size_t i, uint32_t seed, nrt_dtype_t dt)
{
    double v = (double)(((i * 7 + r * 13 + seed) % 23) + 1);
    return !cu_unsigned(dt) && (i + r) % 3 == 0 ? -v : v;
}

/* Writes value v as dtype into p[i]. */
static inline void cu_store(void *p, size_t i, nrt_dtype_t dt, double v)
{
    switch (dt) {
    case NRT_DTYPE_UINT8: ((uint8_t *)p)[i] = (uint8_t)(int64_t)v; break;
    case NRT_DTYPE_INT8: ((int8_t *)p)[i] = (int8_t)v; break;
    case NRT_DTYPE_UINT16: ((uint16_t *)p)[i] = (uint16_t)(int64_t)v; break;
    case NRT_DTYPE_INT16: ((int16_t *)p)[i] = (int16_t)v; break;
    case NRT_DTYPE_UINT32: ((uint32_t *)p)[i] = (uint32_t)(int64_t)v; break;
    case NRT_DTYPE_INT32: ((int32_t *)p)[i] = (int32_t)v; break;
    case NRT_DTYPE_UINT64: ((uint64_t *)p)[i] = (uint64_t)(int64_t)v; break;
    case NRT_DTYPE_INT64: ((int64_t *)p)[i] = (int64_t)v; break;
    case NRT_DTYPE_FLOAT32: ((float *)p)[i] = (float)v; break;
    case NRT_DTYPE_BFLOAT16: { /* small integers are exact in bf16 */
        float f = (float)v;
        uint32_t u;
        memcpy(&u, &f, 4);
        ((uint16_t *)p)[i] = (uint16_t)(u >> 16);
        break;
    }
    case NRT_DTYPE_FLOAT16: { /* small integers: exact */
        int iv = (int)v;
        uint16_t s = iv < 0 ? 0x8000 : 0;
        unsigned a = (unsigned)(iv < 0 ? -iv : iv);
        uint16_t h = s;
        if (a) {
            int e = 0;
            while ((a >> e) > 1)
                e++;
            h |= (uint16_t)(((e + 15) << 10) | ((a << (10 - e)) & 1023));
        }
        ((uint16_t *)p)[i] = h;
        break;
    }
    default: break;
    }
}

/* Reads p[i] as a double (integers exactly within 2^53). */
static inline double cu_load(const void *p, size_t i, nrt_dtype_t dt)
{
    switch (dt) {
    case NRT_DTYPE_UINT8: return ((const uint8_t *)p)[i];
    case NRT_DTYPE_INT8: return ((const int8_t *)p)[i];
    case NRT_DTYPE_UINT16: return ((const uint16_t *)p)[i];
    case NRT_DTYPE_INT16: return ((const int16_t *)p)[i];
    case NRT_DTYPE_UINT32: return ((const uint32_t *)p)[i];
    case NRT_DTYPE_INT32: return ((const int32_t *)p)[i];
    case NRT_DTYPE_UINT64: return (double)((const uint64_t *)p)[i];
    case NRT_DTYPE_INT64: return (double)((const int64_t *)p)[i];
    case NRT_DTYPE_FLOAT32: return ((const float *)p)[i];
    case NRT_DTYPE_BFLOAT16: return cu_bf16_to_f(((const uint16_t *)p)[i]);
    case NRT_DTYPE_FLOAT16: return cu_f16_to_f(((const uint16_t *)p)[i]);
    default: return 0;
    }
}

/* The expected reduction of element i over ranks 0..n-1 of the group,
 * as the dtype stores it (unsigned types wrap). */
static inline double cu_expect(const uint32_t *gids, uint32_t n, size_t i, nrt_dtype_t dt, nrt_op_type_t op,
                               uint32_t seed)
{
    double acc = cu_value(gids[0], i, seed, dt);
    for (uint32_t r = 1; r < n; r++) {
        double v = cu_value(gids[r], i, seed, dt);
        acc = op == NRT_OP_ADD ? acc + v : op == NRT_OP_MAX ? fmax(acc, v) : fmin(acc, v);
    }
    /* Round-trip through the dtype (unsigned wrap-around of negatives). */
    unsigned char tmp[8];
    cu_store(tmp, 0, dt, acc);
    return cu_load(tmp, 0, dt);
}

/* Same as cu_value but already stored/loaded through the dtype. */
static inline double cu_input(uint32_t gid, size_t i, nrt_dtype_t dt, uint32_t seed)
{
    unsigned char tmp[8];
    cu_store(tmp, 0, dt, cu_value(gid, i, seed, dt));
    return cu_load(tmp, 0, dt);
}

static inline bool cu_close(double got, double want, nrt_dtype_t dt)
{
    if (dt == NRT_DTYPE_FLOAT32 || dt == NRT_DTYPE_BFLOAT16 || dt == NRT_DTYPE_FLOAT16)
        return fabs(got - want) <= 1e-3 * (fabs(want) + 1);
    return got == want;
}

/* Waits for a request with a bound (seconds); false on timeout. */
static inline bool cu_wait(nrta_seq_t seq, double seconds)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        bool done = false;
        if (nrta_is_completed(seq, &done) != NRT_SUCCESS)
            return false;
        if (done)
            return true;
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 > seconds)
            return false;
        struct timespec ns = {0, 20000};
        nanosleep(&ns, NULL);
    }
}
