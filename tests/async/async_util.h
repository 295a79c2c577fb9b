/*
 * tests/async/async_util.h - helpers shared by the explicit-async tests:
 * sanitizer detection, bounded waits (a test never asserts on timings, but
 * it never waits forever either), the test model tmodel (see
 * models/tmodel_abi.h) and its per-request tensors, and tracker draining.
 * Public API only. Also included by the tests of the async API 3.0
 * (NRTA_API_VERSION=3): the 2.28-only helpers are left out there.
 */
#pragma once

#include "harness.h"

#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "nrt/nrt_async.h"
#include "nrt/nrt_experimental.h"
#include "nrt/nrt_ext.h"
#include "tmodel_abi.h"


/* Upper bound of every wait: far beyond what any request needs, far below
 * the CTest timeout. */
#define T_WAIT_S 60

#define T_WAIT_UNTIL(cond)                                                                             \
    do {                                                                                               \
        uint64_t until_ = t_now_ns() + (uint64_t)T_WAIT_S * 1000000000ull;                             \
        while (!(cond)) {                                                                              \
            if (t_now_ns() > until_) {                                                                 \
                fprintf(stderr, "%s:%d: gave up waiting for %s\n", __FILE__, __LINE__, #cond);         \
                abort();                                                                               \
            }                                                                                          \
            usleep(20);                                                                                \
        }                                                                                              \
    } while (0)

#define ASSERT_SEQ(a, b)                                                                               \
    do {                                                                                               \
        unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b);                 \
        if (a_ != b_) {                                                                                \
            fprintf(stderr, "%s:%d: %s == %s failed: 0x%016llx vs 0x%016llx\n", __FILE__, __LINE__,    \
                    #a, #b, a_, b_);                                                                   \
            abort();                                                                                   \
        }                                                                                              \
    } while (0)

static inline void t_setenv(const char *k, const char *v)
{
    if (v)
        ASSERT_TRUE(setenv(k, v, 1) == 0);
    else
        ASSERT_TRUE(unsetenv(k) == 0);
}

static inline void t_init(void)
{
    ASSERT_OK(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""));
}

/* The XU id documented in nrt_async.h. */
static inline nrta_xu_id_t t_xu_id(uint32_t lnc, uint32_t xu, uint32_t queue)
{
    return (nrta_xu_id_t)((lnc << 8) | (xu << 5) | queue);
}

static inline nrta_seq_t t_seq(uint32_t lnc, uint32_t xu, uint32_t queue, uint64_t num)
{
    return ((uint64_t)t_xu_id(lnc, xu, queue) << 48) | num;
}

static inline bool t_done(nrta_seq_t seq)
{
    bool d = false;
    ASSERT_OK(nrta_is_completed(seq, &d));
    return d;
}

static inline void t_wait(nrta_seq_t seq)
{
    T_WAIT_UNTIL(t_done(seq));
}

#if NRTA_API_VERSION == 2
static inline uint64_t t_completed(uint32_t lnc, nrta_xu_t xu, int queue)
{
    nrta_seq_t s;
    ASSERT_OK(nrta_get_sequence(lnc, xu, queue, &s));
    ASSERT_EQ_U64(NRTA_SEQ_GET_XU_ID(s), t_xu_id(lnc, (uint32_t)xu, (uint32_t)queue));
    return NRTA_SEQ_GET_SEQ_NUM(s);
}

#endif

static inline nrtx_queue_stats_t t_stats(uint32_t lnc, int xu, int queue)
{
    nrtx_queue_stats_t s;
    ASSERT_OK(nrtx_get_queue_stats(lnc, (nrta_xu_t)xu, queue, &s));
    return s;
}

/* Is |fd| readable right now? */
static inline bool t_fd_ready(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r = poll(&p, 1, 0);
    ASSERT_TRUE(r >= 0);
    return r == 1 && (p.revents & POLLIN);
}

/* Waits (bounded) for |fd| to become readable. */
static inline void t_fd_wait(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r;
    do
        r = poll(&p, 1, T_WAIT_S * 1000);
    while (r < 0 && errno == EINTR);
    if (r != 1 || !(p.revents & POLLIN)) {
        fprintf(stderr, "fd %d did not become readable (poll returned %d)\n", fd, r);
        abort();
    }
}

/* Waits for the completion handle |fd| of |seq|, then confirms with
 * nrta_is_completed: readable means complete, and the acquire in
 * nrta_is_completed is what orders the request's results before the
 * caller's next accesses (poll on an fd is no C11 synchronisation). */
static inline void t_fd_wait_done(int fd, nrta_seq_t seq)
{
    t_fd_wait(fd);
    ASSERT_TRUE(t_done(seq));
}

#if NRTA_API_VERSION == 2
/* Drains |et| into |out| (up to |cap| entries, the rest counted). */
static inline size_t t_drain(nrta_error_tracker_t *et, nrta_error_t *out, size_t cap)
{
    const nrta_error_t *list = NULL;
    size_t n = 0;
    ASSERT_OK(nrta_error_tracker_get_list(et, &list, &n));
    ASSERT_TRUE(n == 0 || list != NULL);
    for (size_t i = 0; i < n && i < cap; i++)
        out[i] = list[i];
    return n;
}

#endif

/*===------------------------------------------------------------------===*/
/* The test model                                                         */
/*===------------------------------------------------------------------===*/

static inline nrt_model_t *t_tm_load(int vnc)
{
    size_t n;
    void *bytes = t_read_file(TM_MODEL_PATH, &n);
    nrt_model_t *m = NULL;
    ASSERT_OK(nrt_load(bytes, n, vnc, -1, &m));
    free(bytes);
    return m;
}

/* One execution's tensors: ctl and x in |in|, y in |out|, all on |vnc|. */
typedef struct t_tm_req {
    nrt_tensor_t *ctl, *x, *y;
    nrt_tensor_set_t *in, *out;
} t_tm_req_t;

typedef struct t_tm_opts {
    tm_shared_t *sh;
    uint64_t flags, status, tag, ticket, max_wait_ms, spin_ms;
} t_tm_opts_t;

static inline void t_tm_req_init(t_tm_req_t *r, int vnc, t_tm_opts_t o)
{
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, vnc, TM_CTL_WORDS * 8, "ctl", &r->ctl));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, vnc, TM_N * 4, "x", &r->x));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, vnc, TM_N * 4, "y", &r->y));
    uint64_t ctl[TM_CTL_WORDS] = {0};
    ctl[TM_CTL_SHARED] = (uint64_t)(uintptr_t)o.sh;
    ctl[TM_CTL_FLAGS] = o.flags;
    ctl[TM_CTL_STATUS] = o.status;
    ctl[TM_CTL_TAG] = o.tag;
    ctl[TM_CTL_TICKET] = o.ticket;
    ctl[TM_CTL_MAX_WAIT_MS] = o.max_wait_ms;
    ctl[TM_CTL_SPIN_MS] = o.spin_ms;
    ASSERT_OK(nrt_tensor_write(r->ctl, ctl, 0, sizeof ctl));
    float x[TM_N];
    for (int i = 0; i < TM_N; i++)
        x[i] = (float)i;
    ASSERT_OK(nrt_tensor_write(r->x, x, 0, sizeof x));
    ASSERT_OK(nrt_allocate_tensor_set(&r->in));
    ASSERT_OK(nrt_allocate_tensor_set(&r->out));
    ASSERT_OK(nrt_add_tensor_to_tensor_set(r->in, "ctl", r->ctl));
    ASSERT_OK(nrt_add_tensor_to_tensor_set(r->in, "x", r->x));
    ASSERT_OK(nrt_add_tensor_to_tensor_set(r->out, "y", r->y));
}

static inline void t_tm_req_free(t_tm_req_t *r)
{
    nrt_destroy_tensor_set(&r->in);
    nrt_destroy_tensor_set(&r->out);
    nrt_tensor_free(&r->ctl);
    nrt_tensor_free(&r->x);
    nrt_tensor_free(&r->y);
}

/* Checks y == x + tag (x[i] = i), i.e. the execution ran to the end. */
static inline void t_tm_check_y(nrt_tensor_t *y, uint64_t tag)
{
    float v[TM_N];
    ASSERT_OK(nrt_tensor_read(y, v, 0, sizeof v));
    for (int i = 0; i < TM_N; i++)
        if (v[i] != (float)i + (float)tag) {
            fprintf(stderr, "y[%d] = %f, expected %f (tag %llu)\n", i, (double)v[i], (double)((float)i + (float)tag),
                    (unsigned long long)tag);
            abort();
        }
}

/* Is y untouched (all zero, as allocated)? */
static inline bool t_zero(nrt_tensor_t *t, size_t size)
{
    unsigned char *b = malloc(size);
    ASSERT_TRUE(b);
    ASSERT_OK(nrt_tensor_read(t, b, 0, size));
    bool z = true;
    for (size_t i = 0; i < size; i++)
        z &= b[i] == 0;
    free(b);
    return z;
}

static inline tm_shared_t *t_shared_new(void)
{
    tm_shared_t *sh = calloc(1, sizeof *sh);
    ASSERT_TRUE(sh);
    return sh;
}

/* Opens the gate up to |ticket|. */
static inline void t_gate(tm_shared_t *sh, uint64_t ticket)
{
    atomic_store(&sh->gate, ticket);
}
