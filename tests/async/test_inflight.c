/*
 * Handles released or changed while their requests are in flight (issue
 * 11, defect 7):
 *  - a model the application unloaded while one of its executions is
 *    queued is refused at once by nrta_execute_schedule, nrt_execute,
 *    nrt_get_model_info, nrt_get_model_tensor_info and the counts
 *    (NRT_INVALID, one log line each), while the queued execution still
 *    completes with the right output;
 *  - nrt_tensor_attach_buffer on a tensor while other threads schedule
 *    writes, reads and copies on it: no request ever uses freed runtime
 *    memory (ASan) or a torn view of the tensor (TSan), each write lands
 *    whole in one of the attached buffers, requests scheduled before an
 *    attach complete on the buffer they were given.
 */
#include "async_util.h"

#define BUF 4096
#define NBUF 3

static void unloaded_while_queued(void)
{
    tm_shared_t *sh = t_shared_new();
    nrt_model_t *m = t_tm_load(1);
    t_tm_req_t held, r;
    t_tm_req_init(&held, 1, (t_tm_opts_t){.sh = sh, .flags = TM_F_WAIT_GATE, .tag = 1});
    t_tm_req_init(&r, 1, (t_tm_opts_t){.tag = 9});
    nrta_seq_t h, s, x;
    ASSERT_OK(nrta_execute_schedule(m, held.in, held.out, 0, NULL, &h));
    ASSERT_OK(nrta_execute_schedule(m, r.in, r.out, 0, NULL, &s));
    T_WAIT_UNTIL(atomic_load(&sh->started) == 1);
    ASSERT_OK(nrt_unload(m));
    /* the handle is gone although two executions still hold the model */
    nrt_model_info_t info;
    size_t info_size;
    ASSERT_ST_LOG1(nrt_get_model_info(m, &info, sizeof info, &info_size), NRT_INVALID);
    ASSERT_ST_LOG1(nrta_execute_schedule(m, r.in, r.out, 0, NULL, &x), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_execute(m, r.in, r.out), NRT_INVALID);
    nrt_tensor_info_array_t *ti = NULL;
    ASSERT_ST_LOG1(nrt_get_model_tensor_info(m, &ti), NRT_INVALID);
    ASSERT_TRUE(ti == NULL);
    uint32_t n;
    ASSERT_ST_LOG1(nrt_get_model_vnc_count(m, &n), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_unload(m), NRT_INVALID);
    ASSERT_TRUE(!t_done(s));
    /* and the queued executions complete correctly */
    t_gate(sh, 1);
    t_wait(s);
    ASSERT_TRUE(t_done(h));
    t_tm_check_y(held.y, 1);
    t_tm_check_y(r.y, 9);
    ASSERT_EQ_U64(atomic_load(&sh->finished), 1);
    ASSERT_EQ_U64(t_stats(1, NRTA_XU_COMPUTE, 0).submitted, 2);
    /* after the last reference went, still refused */
    ASSERT_ST_LOG1(nrt_get_model_info(m, &info, sizeof info, &info_size), NRT_INVALID);
    t_tm_req_free(&held);
    t_tm_req_free(&r);
    free(sh);
}

typedef struct {
    nrt_tensor_t *t;
    unsigned char (*bufs)[BUF];
    _Atomic bool stop;
    uint64_t attaches;
} attacher_t;

static void *attacher(void *arg)
{
    attacher_t *a = arg;
    for (uint64_t i = 0; i < 50000000 && !atomic_load(&a->stop); i++) {
        ASSERT_OK(nrt_tensor_attach_buffer(a->t, a->bufs[i % NBUF], BUF));
        a->attaches++;
    }
    return NULL;
}

/* Which of the buffers holds |fill| everywhere (-1: none). */
static int whole_in(unsigned char (*bufs)[BUF], unsigned char fill)
{
    for (int b = 0; b < NBUF; b++) {
        size_t k = 0;
        while (k < BUF && bufs[b][k] == fill)
            k++;
        if (k == BUF)
            return b;
    }
    return -1;
}

static void attach_while_scheduling(void)
{
    /* Phase 1 layout of the tensor: writes on queue q fill [q * 512, +512);
     * reads and copies take [2048, 4096), which nothing writes: requests of
     * different queues never touch the same bytes. */
    static unsigned char bufs[NBUF][BUF], src[256][BUF], rd[4][BUF / 4];
    for (int i = 0; i < 256; i++)
        memset(src[i], i, BUF);
    nrt_tensor_t *t, *dev;
    ASSERT_OK(nrt_tensor_allocate_empty("att", &t));
    ASSERT_OK(nrt_tensor_attach_buffer(t, bufs[0], BUF));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_HOST, -1, BUF, "dev", &dev));
    attacher_t a = {.t = t, .bufs = bufs};
    pthread_t th;
    ASSERT_TRUE(pthread_create(&th, NULL, attacher, &a) == 0);
    const int rounds = T_SANITIZED ? 20000 : 50000;
    nrta_seq_t last[4][3];
    for (int i = 0; i < rounds; i++) {
        int q = i % 4;
        ASSERT_OK(nrta_tensor_write(t, src[i % 256], (uint64_t)q * 512, 512, q, NULL, &last[q][0]));
        ASSERT_OK(nrta_tensor_read(rd[q], t, 2048 + (uint64_t)q * 256, 256, q, NULL, &last[q][1]));
        ASSERT_OK(nrta_tensor_copy(t, 3072, dev, (uint64_t)q * 1024, 1024, q, NULL, &last[q][2]));
        if (i % 32 == 31 || i == rounds - 1)
            for (int k = 0; k < 12; k++)
                t_wait(last[k / 3][k % 3]);
    }
    /* Phase 2: each write lands whole in one buffer, the one attached when
     * it was scheduled (one write at a time; the attacher never touches
     * the bytes). */
    for (int i = 1; i < (T_SANITIZED ? 300 : 2000); i++) {
        unsigned char fill = (unsigned char)(i % 255 + 1);
        nrta_seq_t s;
        ASSERT_OK(nrta_tensor_write(t, src[fill], 0, BUF, i % 4, NULL, &s));
        t_wait(s);
        int b = whole_in(bufs, fill);
        if (b < 0) {
            fprintf(stderr, "write %d (fill %u) is in no buffer whole\n", i, fill);
            abort();
        }
        memset(bufs[b], 0, BUF);
    }
    atomic_store(&a.stop, true);
    ASSERT_TRUE(pthread_join(th, NULL) == 0);
    fprintf(stderr, "attach_while_scheduling: %d rounds, %llu attaches\n", rounds, (unsigned long long)a.attaches);
    ASSERT_TRUE(a.attaches > 0);
    nrt_tensor_free(&t);
    nrt_tensor_free(&dev);
}

/* An execution scheduled before an attach completes on the buffer it was
 * given (held at the gate while the tensor changes). */
static void attach_after_schedule(void)
{
    static float y_old[TM_N], y_new[TM_N];
    tm_shared_t *sh = t_shared_new();
    nrt_model_t *m = t_tm_load(0);
    t_tm_req_t r;
    t_tm_req_init(&r, 0, (t_tm_opts_t){.sh = sh, .flags = TM_F_WAIT_GATE, .tag = 5});
    nrt_tensor_t *y;
    ASSERT_OK(nrt_tensor_allocate_empty("y", &y));
    ASSERT_OK(nrt_tensor_attach_buffer(y, y_old, sizeof y_old));
    ASSERT_OK(nrt_add_tensor_to_tensor_set(r.out, "y", y));
    nrta_seq_t h;
    ASSERT_OK(nrta_execute_schedule(m, r.in, r.out, 0, NULL, &h));
    T_WAIT_UNTIL(atomic_load(&sh->started) == 1);
    ASSERT_OK(nrt_tensor_attach_buffer(y, y_new, sizeof y_new));
    t_gate(sh, 1);
    t_wait(h);
    for (int i = 0; i < TM_N; i++) {
        ASSERT_TRUE(y_old[i] == (float)i + 5.0f);
        ASSERT_TRUE(y_new[i] == 0.0f);
    }
    nrt_tensor_free(&y);
    t_tm_req_free(&r);
    ASSERT_OK(nrt_unload(m));
    free(sh);
}

int main(void)
{
    t_setenv("OPENNRT_FAULT", NULL);
    t_init();
    unloaded_while_queued();
    attach_while_scheduling();
    attach_after_schedule();
    nrt_close();
    printf("async_inflight ok\n");
    return 0;
}
