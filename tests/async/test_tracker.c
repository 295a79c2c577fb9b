/*
 * Error trackers: get_list drains (a second call returns only newer
 * errors), its array stays valid until the next get_list, an error is in
 * the tracker before its request is reported complete, a tracker of
 * another core is NRT_INVALID, err == NULL is allowed, and destroying a
 * tracker that queued requests still reference is safe.
 */
#include "async_util.h"

static nrt_model_t *m0;

static nrta_seq_t exec_status(t_tm_req_t *r, nrta_error_tracker_t *et)
{
    nrta_seq_t s;
    NRT_STATUS st;
    while ((st = nrta_execute_schedule(m0, r->in, r->out, 0, et, &s)) == NRT_QUEUE_FULL)
        sched_yield();
    ASSERT_OK(st);
    return s;
}

static void drains(void)
{
    nrta_error_tracker_t *et;
    ASSERT_OK(nrta_error_tracker_create(0, &et));
    t_tm_req_t ok, e1004, e1006, e1003;
    t_tm_req_init(&ok, 0, (t_tm_opts_t){.tag = 1});
    t_tm_req_init(&e1004, 0, (t_tm_opts_t){.status = NRT_EXEC_COMPLETED_WITH_ERR});
    t_tm_req_init(&e1006, 0, (t_tm_opts_t){.status = NRT_EXEC_OOB});
    t_tm_req_init(&e1003, 0, (t_tm_opts_t){.status = NRT_EXEC_COMPLETED_WITH_NUM_ERR});
    nrta_seq_t s[6];
    s[0] = exec_status(&ok, et);
    s[1] = exec_status(&e1004, et);
    s[2] = exec_status(&ok, et);
    s[3] = exec_status(&e1006, et);
    s[4] = exec_status(&e1003, et);
    s[5] = exec_status(&ok, et);
    t_wait(s[5]);
    const nrta_error_t *list = NULL;
    size_t n = 0;
    ASSERT_OK(nrta_error_tracker_get_list(et, &list, &n));
    ASSERT_EQ_U64(n, 3);
    ASSERT_SEQ(list[0].seq_id, s[1]);
    ASSERT_EQ_U64(list[0].error_code, NRT_EXEC_COMPLETED_WITH_ERR);
    ASSERT_SEQ(list[1].seq_id, s[3]);
    ASSERT_EQ_U64(list[1].error_code, NRT_EXEC_OOB);
    ASSERT_SEQ(list[2].seq_id, s[4]);
    ASSERT_EQ_U64(list[2].error_code, NRT_EXEC_COMPLETED_WITH_NUM_ERR);
    nrta_error_t copy[3];
    memcpy(copy, list, sizeof copy);
    const nrta_error_t *held = list;

    /* new errors do not touch the array handed out */
    enum { MORE = 300 };
    nrta_seq_t more[MORE];
    for (int i = 0; i < MORE; i++)
        more[i] = exec_status(i % 2 ? &e1004 : &e1006, et);
    t_wait(more[MORE - 1]);
    ASSERT_TRUE(memcmp(held, copy, sizeof copy) == 0);

    /* the next call returns only those */
    ASSERT_OK(nrta_error_tracker_get_list(et, &list, &n));
    ASSERT_EQ_U64(n, MORE);
    for (int i = 0; i < MORE; i++) {
        ASSERT_SEQ(list[i].seq_id, more[i]);
        ASSERT_EQ_U64(list[i].error_code, i % 2 ? NRT_EXEC_COMPLETED_WITH_ERR : NRT_EXEC_OOB);
    }
    /* drained: nothing new, then only the new ones */
    ASSERT_OK(nrta_error_tracker_get_list(et, &list, &n));
    ASSERT_EQ_U64(n, 0);
    ASSERT_OK(nrta_error_tracker_get_list(et, &list, &n));
    ASSERT_EQ_U64(n, 0);
    nrta_seq_t a = exec_status(&e1004, et), b = exec_status(&ok, et), c = exec_status(&e1006, et);
    t_wait(c);
    (void)b;
    ASSERT_OK(nrta_error_tracker_get_list(et, &list, &n));
    ASSERT_EQ_U64(n, 2);
    ASSERT_SEQ(list[0].seq_id, a);
    ASSERT_SEQ(list[1].seq_id, c);

    /* bad arguments */
    ASSERT_ST(nrta_error_tracker_get_list(et, NULL, &n), NRT_INVALID);
    ASSERT_ST(nrta_error_tracker_get_list(et, &list, NULL), NRT_INVALID);
    ASSERT_ST(nrta_error_tracker_get_list(NULL, &list, &n), NRT_INVALID);
    ASSERT_ST(nrta_error_tracker_create(0, NULL), NRT_INVALID);
    nrta_error_tracker_destroy(NULL); /* no-op */

    t_tm_req_free(&ok);
    t_tm_req_free(&e1004);
    t_tm_req_free(&e1006);
    t_tm_req_free(&e1003);
    nrta_error_tracker_destroy(et);
}

/* Once a request is seen complete (by any completion API), its error is
 * already in the tracker. */
static void recorded_before_completion(void)
{
    nrta_error_tracker_t *et;
    ASSERT_OK(nrta_error_tracker_create(0, &et));
    nrtx_fault_t f = {0, NRTA_XU_TENSOR_WRITE, 2, 0, 1.0, 1, NRT_EXEC_HW_ERR_DMA_ABORT, false, 0};
    ASSERT_OK(nrtx_fault_add(&f));
    nrt_tensor_t *t;
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, 64, "t", &t));
    unsigned char buf[64] = {0};
    nrta_error_t got[4];
    int iters = T_SANITIZED ? 1000 : 5000;
    for (int i = 0; i < iters; i++) {
        nrta_seq_t s;
        ASSERT_OK(nrta_tensor_write(t, buf, 0, 64, 2, et, &s));
        switch (i % 3) {
        case 0:
            while (!t_done(s))
                ;
            break;
        case 1:
            while (t_completed(0, NRTA_XU_TENSOR_WRITE, 2) < NRTA_SEQ_GET_SEQ_NUM(s))
                ;
            break;
        case 2: {
            int fd;
            ASSERT_OK(nrta_get_completion_handle(s, &fd));
            t_fd_wait(fd);
            close(fd);
            break;
        }
        }
        ASSERT_EQ_U64(t_drain(et, got, 4), 1);
        ASSERT_SEQ(got[0].seq_id, s);
        ASSERT_EQ_U64(got[0].error_code, NRT_EXEC_HW_ERR_DMA_ABORT);
    }
    ASSERT_OK(nrtx_fault_clear());
    /* the same for executions that fail by themselves */
    t_tm_req_t bad;
    t_tm_req_init(&bad, 0, (t_tm_opts_t){.status = NRT_EXEC_COMPLETED_WITH_ERR});
    for (int i = 0; i < iters / 5; i++) {
        nrta_seq_t s = exec_status(&bad, et);
        while (!t_done(s))
            ;
        ASSERT_EQ_U64(t_drain(et, got, 4), 1);
        ASSERT_SEQ(got[0].seq_id, s);
        ASSERT_EQ_U64(got[0].error_code, NRT_EXEC_COMPLETED_WITH_ERR);
    }
    t_tm_req_free(&bad);
    nrt_tensor_free(&t);
    nrta_error_tracker_destroy(et);
}

static void wrong_core_and_null(void)
{
    nrta_error_tracker_t *et1, *et0;
    ASSERT_OK(nrta_error_tracker_create(1, &et1));
    ASSERT_OK(nrta_error_tracker_create(0, &et0));
    nrt_tensor_t *t;
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, 256, "t", &t));
    unsigned char buf[64] = {0};
    nrta_seq_t s;
    uint64_t w = t_stats(0, NRTA_XU_TENSOR_WRITE, 0).submitted;
    ASSERT_ST(nrta_tensor_write(t, buf, 0, 64, 0, et1, &s), NRT_INVALID);
    ASSERT_ST(nrta_tensor_read(buf, t, 0, 64, 0, et1, &s), NRT_INVALID);
    ASSERT_ST(nrta_tensor_copy(t, 0, t, 64, 64, 0, et1, &s), NRT_INVALID);
    t_tm_req_t r;
    t_tm_req_init(&r, 0, (t_tm_opts_t){.status = NRT_EXEC_COMPLETED_WITH_ERR});
    uint64_t x = t_stats(0, NRTA_XU_COMPUTE, 0).submitted;
    ASSERT_ST(nrta_execute_schedule(m0, r.in, r.out, 0, et1, &s), NRT_INVALID);
    ASSERT_EQ_U64(t_stats(0, NRTA_XU_TENSOR_WRITE, 0).submitted, w);
    ASSERT_EQ_U64(t_stats(0, NRTA_XU_COMPUTE, 0).submitted, x);
    /* a handle that is not a tracker */
    uint64_t junk[8] = {0};
    ASSERT_ST(nrta_tensor_write(t, buf, 0, 64, 0, (nrta_error_tracker_t *)junk, &s), NRT_INVALID);

    /* err == NULL: accepted, runs, the error is only counted and logged;
     * no tracker receives it */
    uint64_t errs = t_stats(0, NRTA_XU_COMPUTE, 0).errors;
    s = exec_status(&r, NULL);
    t_wait(s);
    ASSERT_EQ_U64(t_stats(0, NRTA_XU_COMPUTE, 0).errors, errs + 1);
    nrta_error_t got[4];
    ASSERT_EQ_U64(t_drain(et0, got, 4), 0);
    ASSERT_EQ_U64(t_drain(et1, got, 4), 0);
    ASSERT_OK(nrta_tensor_write(t, buf, 0, 64, 0, NULL, &s));
    t_wait(s);

    /* errors go to the tracker passed, only */
    nrta_error_tracker_t *other;
    ASSERT_OK(nrta_error_tracker_create(0, &other));
    nrta_seq_t a = exec_status(&r, et0), b = exec_status(&r, other), c = exec_status(&r, et0);
    t_wait(c);
    ASSERT_EQ_U64(t_drain(et0, got, 4), 2);
    ASSERT_SEQ(got[0].seq_id, a);
    ASSERT_SEQ(got[1].seq_id, c);
    ASSERT_EQ_U64(t_drain(other, got, 4), 1);
    ASSERT_SEQ(got[0].seq_id, b);
    nrta_error_tracker_destroy(other);
    t_tm_req_free(&r);
    nrt_tensor_free(&t);
    nrta_error_tracker_destroy(et0);
    nrta_error_tracker_destroy(et1);
}

/* Destroying a tracker that queued requests reference: they still run and
 * complete, their errors go nowhere (logged), nothing is freed early. A
 * tracker created afterwards receives none of them. */
static void destroy_in_flight(void)
{
    tm_shared_t *sh = t_shared_new();
    nrta_error_tracker_t *et;
    ASSERT_OK(nrta_error_tracker_create(0, &et));
    t_tm_req_t held, bad;
    t_tm_req_init(&held, 0,
                  (t_tm_opts_t){.sh = sh, .flags = TM_F_WAIT_GATE, .status = NRT_EXEC_COMPLETED_WITH_ERR, .tag = 7});
    t_tm_req_init(&bad, 0, (t_tm_opts_t){.status = NRT_EXEC_OOB, .tag = 8});
    nrt_tensor_t *t;
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, 4096, "t", &t));
    static unsigned char buf[4096];
    nrtx_fault_t f = {0, NRTA_XU_TENSOR_READ, 3, 0, 1.0, 1, NRT_EXEC_HW_ERR_DMA_ABORT, false, 0};
    ASSERT_OK(nrtx_fault_add(&f));
    nrta_seq_t first = exec_status(&held, et), last = 0, rd = 0;
    for (int i = 0; i < 20; i++)
        last = exec_status(&bad, et);
    for (int i = 0; i < 20; i++)
        ASSERT_OK(nrta_tensor_read(buf, t, 0, sizeof buf, 3, et, &rd));
    T_WAIT_UNTIL(atomic_load(&sh->started) == 1);
    nrta_error_tracker_destroy(et);
    nrta_error_tracker_t *fresh;
    ASSERT_OK(nrta_error_tracker_create(0, &fresh));
    t_gate(sh, 1);
    t_wait(last);
    t_wait(rd);
    ASSERT_TRUE(t_done(first));
    t_tm_check_y(held.y, 7);
    t_tm_check_y(bad.y, 8);
    nrta_error_t got[4];
    ASSERT_EQ_U64(t_drain(fresh, got, 4), 0);
    ASSERT_OK(nrtx_fault_clear());
    nrta_error_tracker_destroy(fresh);
    t_tm_req_free(&held);
    t_tm_req_free(&bad);
    nrt_tensor_free(&t);
    free(sh);
}

/* One tracker shared by threads scheduling on several queues: every error
 * arrives exactly once. */
#define TH 4
#define PER 2000
static nrta_error_tracker_t *shared_et;
static nrt_tensor_t *shared_t;
static nrta_seq_t thread_seqs[TH][PER];

static void *failing_writer(void *arg)
{
    int q = (int)(intptr_t)arg;
    unsigned char buf[64];
    memset(buf, q, sizeof buf);
    for (int i = 0; i < PER; i++) {
        NRT_STATUS st;
        while ((st = nrta_tensor_write(shared_t, buf, (uint64_t)q * 64, 64, q, shared_et, &thread_seqs[q][i])) ==
               NRT_QUEUE_FULL)
            sched_yield();
        ASSERT_OK(st);
    }
    return NULL;
}

static int cmp_seq(const void *a, const void *b)
{
    nrta_seq_t x = ((const nrta_error_t *)a)->seq_id, y = ((const nrta_error_t *)b)->seq_id;
    return x < y ? -1 : x > y;
}

static void shared_between_threads(void)
{
    ASSERT_OK(nrta_error_tracker_create(1, &shared_et));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 1, TH * 64, "t", &shared_t));
    nrtx_fault_t f = {1, NRTA_XU_TENSOR_WRITE, NRTX_ANY, 0, 1.0, 3, NRT_EXEC_COMPLETED_WITH_ERR, false, 0};
    ASSERT_OK(nrtx_fault_add(&f));
    pthread_t th[TH];
    for (int q = 0; q < TH; q++)
        ASSERT_TRUE(pthread_create(&th[q], NULL, failing_writer, (void *)(intptr_t)q) == 0);
    static nrta_error_t all[TH * PER + 1];
    size_t n = 0;
    for (int q = 0; q < TH; q++)
        pthread_join(th[q], NULL);
    for (int q = 0; q < TH; q++)
        t_wait(thread_seqs[q][PER - 1]);
    n = t_drain(shared_et, all, TH * PER + 1);
    ASSERT_EQ_U64(n, TH * PER);
    qsort(all, n, sizeof all[0], cmp_seq);
    size_t k = 0;
    for (int q = 0; q < TH; q++)
        for (int i = 0; i < PER; i++, k++) {
            ASSERT_SEQ(all[k].seq_id, t_seq(1, NRTA_XU_TENSOR_WRITE, (uint32_t)q, (uint64_t)i + 1));
            ASSERT_SEQ(thread_seqs[q][i], all[k].seq_id);
            ASSERT_EQ_U64(all[k].error_code, NRT_EXEC_COMPLETED_WITH_ERR);
        }
    ASSERT_TRUE(t_zero(shared_t, TH * 64)); /* failed writes moved nothing */
    ASSERT_OK(nrtx_fault_clear());
    nrt_tensor_free(&shared_t);
    nrta_error_tracker_destroy(shared_et);
}

int main(void)
{
    t_init();
    m0 = t_tm_load(0);
    drains();
    recorded_before_completion();
    wrong_core_and_null();
    destroy_in_flight();
    shared_between_threads();
    ASSERT_OK(nrt_unload(m0));
    /* trackers still alive at nrt_close are released by it */
    nrta_error_tracker_t *leftover;
    ASSERT_OK(nrta_error_tracker_create(1, &leftover));
    nrt_close();
    printf("async_tracker ok\n");
    return 0;
}
