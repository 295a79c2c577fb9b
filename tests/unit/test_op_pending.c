/*
 * Ops that finish later (NRT__OP_PENDING) and the one completion path,
 * called from other threads: the queue starts its next request only after
 * the pending one completed; completion from inside run() (before run
 * returns) works; the tracker gets the status before completion is
 * published; references are released exactly once.
 */
#include "harness.h"

#include <pthread.h>

#include "core/core.h"
#include "xu/xu.h"

static _Atomic int runs, releases, order[8], norder;
static nrt__queue_t *gq;
static _Atomic uint64_t pending_pos = UINT64_MAX;

static NRT_STATUS run_later(nrt__op_t *op, nrt__queue_t *q, uint64_t pos)
{
    (void)op;
    (void)q;
    order[atomic_fetch_add(&norder, 1)] = 1;
    atomic_fetch_add(&runs, 1);
    atomic_store(&pending_pos, pos);
    return NRT__OP_PENDING;
}

static NRT_STATUS run_now(nrt__op_t *op, nrt__queue_t *q, uint64_t pos)
{
    (void)op;
    (void)q;
    (void)pos;
    order[atomic_fetch_add(&norder, 1)] = 2;
    atomic_fetch_add(&runs, 1);
    return NRT_SUCCESS;
}

/* Completes itself before returning: the strand must go on. */
static NRT_STATUS run_self(nrt__op_t *op, nrt__queue_t *q, uint64_t pos)
{
    (void)op;
    order[atomic_fetch_add(&norder, 1)] = 3;
    atomic_fetch_add(&runs, 1);
    nrt__queue_complete(q, pos + 1, NRT_EXEC_COMPLETED_WITH_ERR);
    return NRT__OP_PENDING;
}

static void rel(nrt__op_t *op)
{
    (void)op;
    atomic_fetch_add(&releases, 1);
}

static const nrt__op_vtbl_t later_vtbl = {"later", run_later, rel, false, 0};
static const nrt__op_vtbl_t now_vtbl = {"now", run_now, rel, false, 0};
static const nrt__op_vtbl_t self_vtbl = {"self", run_self, rel, false, 0};

static void *completer(void *arg)
{
    (void)arg;
    uint64_t until = t_now_ns() + 60000000000ull;
    while (atomic_load(&pending_pos) == UINT64_MAX) {
        ASSERT_TRUE(t_now_ns() < until);
        usleep(50);
    }
    /* The next request must not have started while we held this one. */
    usleep(20000);
    ASSERT_EQ_U64(atomic_load(&runs), 1);
    nrt__queue_complete(gq, atomic_load(&pending_pos) + 1, NRT_EXEC_BAD_INPUT);
    return NULL;
}

static bool done(nrta_seq_t seq)
{
    bool d = false;
    ASSERT_OK(nrta_is_completed(seq, &d));
    return d;
}

int main(void)
{
    ASSERT_OK(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""));
    ASSERT_OK(nrt__queue_get(0, NRTA_XU_COLLECTIVES, 0, "test", &gq));
    nrta_error_tracker_t *et;
    ASSERT_OK(nrta_error_tracker_create(0, &et));

    pthread_t th;
    ASSERT_TRUE(pthread_create(&th, NULL, completer, NULL) == 0);
    nrt__op_t a = {.vtbl = &later_vtbl, .tracker = et}, b = {.vtbl = &now_vtbl, .tracker = et},
              c = {.vtbl = &self_vtbl, .tracker = et}, d = {.vtbl = &now_vtbl};
    nrta_seq_t sa, sb, sc, sd;
    nrt__tracker_retain(et);
    ASSERT_OK(nrt__queue_submit(gq, &a, &sa));
    nrt__tracker_retain(et);
    ASSERT_OK(nrt__queue_submit(gq, &b, &sb));
    nrt__tracker_retain(et);
    ASSERT_OK(nrt__queue_submit(gq, &c, &sc));
    ASSERT_OK(nrt__queue_submit(gq, &d, &sd));
    uint64_t until = t_now_ns() + 60000000000ull;
    while (!done(sd))
        ASSERT_TRUE(t_now_ns() < until);
    ASSERT_TRUE(pthread_join(th, NULL) == 0);
    ASSERT_TRUE(done(sa) && done(sb) && done(sc));
    ASSERT_EQ_U64(atomic_load(&runs), 4);
    ASSERT_EQ_U64(atomic_load(&releases), 4);
    ASSERT_EQ_U64(order[0], 1);
    ASSERT_EQ_U64(order[1], 2);
    ASSERT_EQ_U64(order[2], 3);
    ASSERT_EQ_U64(order[3], 2);

    const nrta_error_t *list;
    size_t n;
    ASSERT_OK(nrta_error_tracker_get_list(et, &list, &n));
    ASSERT_EQ_U64(n, 2);
    ASSERT_EQ_U64(list[0].seq_id, sa);
    ASSERT_EQ_U64(list[0].error_code, NRT_EXEC_BAD_INPUT);
    ASSERT_EQ_U64(list[1].seq_id, sc);
    ASSERT_EQ_U64(list[1].error_code, NRT_EXEC_COMPLETED_WITH_ERR);
    nrta_error_tracker_destroy(et);
    nrt_close();
    printf("op_pending: ok\n");
    return 0;
}
