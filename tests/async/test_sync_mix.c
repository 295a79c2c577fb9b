/*
 * The synchronous API mixed with async requests on the same core:
 * nrt_execute runs on COMPUTE queue 0 and is ordered with async executions
 * there (it takes a sequence number, waits for room if the queue is full,
 * and returns only once its own execution is done); nrt_tensor_read /
 * write / copy stay correct next to async requests.
 */
#include "async_util.h"

static nrt_model_t *m0;
static _Atomic int sync_state; /* 1: calling, 2: returned */

typedef struct {
    t_tm_req_t *r;
    int repeat;
    NRT_STATUS st;
} sync_arg_t;

static void *sync_exec(void *arg)
{
    sync_arg_t *a = arg;
    atomic_store(&sync_state, 1);
    a->st = a->repeat ? nrt_execute_repeat(m0, a->r->in, a->r->out, a->repeat) : nrt_execute(m0, a->r->in, a->r->out);
    atomic_store(&sync_state, 2);
    return NULL;
}

/* async #1 (held), async #2, sync #3 from a thread, async #4: executed in
 * exactly that order, the sync call returning only after #3 ran. */
static void execute_ordered(void)
{
    tm_shared_t *sh = t_shared_new();
    uint64_t base = t_stats(0, NRTA_XU_COMPUTE, 0).submitted;
    t_tm_req_t r[4];
    for (int i = 0; i < 4; i++)
        t_tm_req_init(&r[i], 0,
                      (t_tm_opts_t){.sh = sh, .flags = TM_F_LOG | (i == 0 ? TM_F_WAIT_GATE : 0), .tag = (uint64_t)i + 1});
    nrta_seq_t s1, s2, s4;
    ASSERT_OK(nrta_execute_schedule(m0, r[0].in, r[0].out, 0, NULL, &s1));
    ASSERT_OK(nrta_execute_schedule(m0, r[1].in, r[1].out, 0, NULL, &s2));
    T_WAIT_UNTIL(atomic_load(&sh->started) == 1);
    atomic_store(&sync_state, 0);
    sync_arg_t a = {&r[2], 0, NRT_FAILURE};
    pthread_t th;
    ASSERT_TRUE(pthread_create(&th, NULL, sync_exec, &a) == 0);
    T_WAIT_UNTIL(t_stats(0, NRTA_XU_COMPUTE, 0).submitted == base + 3); /* the sync request is queued */
    ASSERT_OK(nrta_execute_schedule(m0, r[3].in, r[3].out, 0, NULL, &s4));
    ASSERT_SEQ(s4, t_seq(0, NRTA_XU_COMPUTE, 0, base + 4));
    ASSERT_EQ_U64(atomic_load(&sync_state), 1); /* still waiting for #1 */
    ASSERT_EQ_U64(atomic_load(&sh->started), 1);
    t_gate(sh, 1);
    pthread_join(th, NULL);
    ASSERT_OK(a.st);
    /* when nrt_execute returned, its execution and everything before it
     * had completed */
    ASSERT_TRUE(t_done(s2));
    t_tm_check_y(r[2].y, 3);
    t_wait(s4);
    ASSERT_EQ_U64(atomic_load(&sh->nlog), 4);
    for (int i = 0; i < 4; i++)
        ASSERT_EQ_U64(atomic_load(&sh->log[i]), i + 1);
    ASSERT_EQ_U64(atomic_load(&sh->overlap), 0);
    for (int i = 0; i < 4; i++)
        t_tm_req_free(&r[i]);
    free(sh);
}

/* A queue full of async work: nrt_execute waits for room, then runs after
 * all of it. */
static void execute_on_full_queue(uint64_t depth)
{
    tm_shared_t *sh = t_shared_new();
    uint64_t base = t_stats(0, NRTA_XU_COMPUTE, 0).submitted;
    t_tm_req_t *r = calloc(depth + 2, sizeof *r);
    nrta_seq_t last = 0;
    for (uint64_t i = 0; i < depth + 2; i++)
        t_tm_req_init(&r[i], 0, (t_tm_opts_t){.sh = sh, .flags = TM_F_LOG | (i == 0 ? TM_F_WAIT_GATE : 0), .tag = i + 1});
    for (uint64_t i = 0; i < depth; i++)
        ASSERT_OK(nrta_execute_schedule(m0, r[i].in, r[i].out, 0, NULL, &last));
    ASSERT_ST(nrta_execute_schedule(m0, r[depth].in, r[depth].out, 0, NULL, &last), NRT_QUEUE_FULL);
    atomic_store(&sync_state, 0);
    sync_arg_t a = {&r[depth], 0, NRT_FAILURE};
    pthread_t th;
    ASSERT_TRUE(pthread_create(&th, NULL, sync_exec, &a) == 0);
    T_WAIT_UNTIL(atomic_load(&sync_state) == 1);
    usleep(20000); /* most likely inside nrt_execute, facing the full queue (not asserted) */
    ASSERT_TRUE(atomic_load(&sync_state) == 1);
    t_gate(sh, 1);
    pthread_join(th, NULL);
    ASSERT_OK(a.st);
    ASSERT_EQ_U64(t_stats(0, NRTA_XU_COMPUTE, 0).submitted, base + depth + 1);
    nrta_seq_t after;
    ASSERT_OK(nrta_execute_schedule(m0, r[depth + 1].in, r[depth + 1].out, 0, NULL, &after));
    ASSERT_SEQ(after, t_seq(0, NRTA_XU_COMPUTE, 0, base + depth + 2));
    t_wait(after);
    ASSERT_EQ_U64(atomic_load(&sh->nlog), depth + 2);
    for (uint64_t i = 0; i < depth + 2; i++)
        ASSERT_EQ_U64(atomic_load(&sh->log[i]), i + 1);
    for (uint64_t i = 0; i < depth + 2; i++)
        t_tm_req_free(&r[i]);
    free(r);
    free(sh);
}

/* Several threads: two calling nrt_execute / nrt_execute_repeat, one
 * scheduling async executions; every execution runs once, never two at a
 * time. */
static tm_shared_t *mt_sh;
static void *mt_sync(void *arg)
{
    int id = (int)(intptr_t)arg;
    t_tm_req_t r;
    t_tm_req_init(&r, 0, (t_tm_opts_t){.sh = mt_sh, .flags = TM_F_LOG, .tag = (uint64_t)id * 1000});
    for (int i = 0; i < 100; i++) {
        if (i % 10 == 0)
            ASSERT_OK(nrt_execute_repeat(m0, r.in, r.out, 3));
        else
            ASSERT_OK(nrt_execute(m0, r.in, r.out));
        t_tm_check_y(r.y, (uint64_t)id * 1000);
    }
    t_tm_req_free(&r);
    return NULL;
}

static void mixed_threads(void)
{
    mt_sh = t_shared_new();
    uint64_t base = t_stats(0, NRTA_XU_COMPUTE, 0).submitted;
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        ASSERT_TRUE(pthread_create(&th[i], NULL, mt_sync, (void *)(intptr_t)(i + 1)) == 0);
    t_tm_req_t r;
    t_tm_req_init(&r, 0, (t_tm_opts_t){.sh = mt_sh, .flags = TM_F_LOG, .tag = 3000});
    nrta_seq_t prev = 0, s = 0;
    for (int i = 0; i < 200; i++) {
        NRT_STATUS st;
        while ((st = nrta_execute_schedule(m0, r.in, r.out, 0, NULL, &s)) == NRT_QUEUE_FULL)
            sched_yield();
        ASSERT_OK(st);
        ASSERT_TRUE(s > prev);
        prev = s;
    }
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    t_wait(s);
    uint64_t total = 2 * (90 + 10 * 3) + 200;
    ASSERT_EQ_U64(t_stats(0, NRTA_XU_COMPUTE, 0).submitted, base + total);
    ASSERT_EQ_U64(t_completed(0, NRTA_XU_COMPUTE, 0), base + total);
    ASSERT_EQ_U64(atomic_load(&mt_sh->nlog), total);
    ASSERT_EQ_U64(atomic_load(&mt_sh->overlap), 0);
    uint64_t count[4] = {0};
    for (uint64_t i = 0; i < total; i++)
        count[atomic_load(&mt_sh->log[i]) / 1000]++;
    ASSERT_EQ_U64(count[1], 120);
    ASSERT_EQ_U64(count[2], 120);
    ASSERT_EQ_U64(count[3], 200);
    t_tm_check_y(r.y, 3000);
    t_tm_req_free(&r);
    free(mt_sh);
}

/* Synchronous tensor calls interleaved with async requests on the same
 * tensor, against a host shadow. Async requests are waited for before a
 * synchronous call touches the same bytes (the two are not ordered). */
static uint64_t rng = 0x1234567;
static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

#define TS 8192
static void tensor_ops_mixed(int lnc)
{
    nrt_tensor_t *t;
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, lnc, TS, "t", &t));
    static unsigned char shadow[TS], buf[TS], got[TS];
    memset(shadow, 0, sizeof shadow);
    nrta_error_tracker_t *et;
    ASSERT_OK(nrta_error_tracker_create((uint32_t)lnc, &et));
    int iters = T_SANITIZED ? 1000 : 5000;
    for (int it = 0; it < iters; it++) {
        uint32_t off = rnd(TS), len = 1 + rnd(TS - off);
        int q = (int)rnd(4);
        nrta_seq_t s;
        for (uint32_t i = 0; i < len; i++)
            buf[i] = (unsigned char)rnd(256);
        switch (rnd(6)) {
        case 0:
            ASSERT_OK(nrt_tensor_write(t, buf, off, len));
            memcpy(shadow + off, buf, len);
            break;
        case 1:
            ASSERT_OK(nrta_tensor_write(t, buf, off, len, q, et, &s));
            t_wait(s);
            memcpy(shadow + off, buf, len);
            break;
        case 2:
            ASSERT_OK(nrt_tensor_read(t, got, off, len));
            ASSERT_TRUE(memcmp(got, shadow + off, len) == 0);
            break;
        case 3:
            ASSERT_OK(nrta_tensor_read(got, t, off, len, q, et, &s));
            t_wait(s);
            ASSERT_TRUE(memcmp(got, shadow + off, len) == 0);
            break;
        case 4: {
            uint32_t dst = rnd(TS - len + 1);
            ASSERT_OK(nrt_tensor_copy(t, off, t, dst, len));
            memmove(shadow + dst, shadow + off, len);
            break;
        }
        case 5: {
            uint32_t dst = rnd(TS - len + 1);
            ASSERT_OK(nrta_tensor_copy(t, off, t, dst, len, q, et, &s));
            t_wait(s);
            memmove(shadow + dst, shadow + off, len);
            break;
        }
        }
    }
    ASSERT_OK(nrt_tensor_read(t, got, 0, TS));
    ASSERT_TRUE(memcmp(got, shadow, TS) == 0);
    nrta_error_t errs[2];
    ASSERT_EQ_U64(t_drain(et, errs, 2), 0);
    nrta_error_tracker_destroy(et);
    nrt_tensor_free(&t);
}

/* One thread uses the synchronous calls on one half of a tensor while
 * another uses async requests on the other half. */
static nrt_tensor_t *half_t;
static void *sync_half(void *arg)
{
    (void)arg;
    unsigned char in[TS / 2], out[TS / 2];
    for (int i = 0; i < 2000; i++) {
        memset(in, i & 0xff, sizeof in);
        ASSERT_OK(nrt_tensor_write(half_t, in, 0, sizeof in));
        ASSERT_OK(nrt_tensor_read(half_t, out, 0, sizeof out));
        ASSERT_TRUE(memcmp(in, out, sizeof in) == 0);
    }
    return NULL;
}

static void halves_in_parallel(void)
{
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 1, TS, "half", &half_t));
    pthread_t th;
    ASSERT_TRUE(pthread_create(&th, NULL, sync_half, NULL) == 0);
    unsigned char in[TS / 2], out[TS / 2];
    for (int i = 0; i < 2000; i++) {
        memset(in, (i * 7) & 0xff, sizeof in);
        nrta_seq_t w, r;
        ASSERT_OK(nrta_tensor_write(half_t, in, TS / 2, sizeof in, i % 4, NULL, &w));
        t_wait(w);
        ASSERT_OK(nrta_tensor_read(out, half_t, TS / 2, sizeof out, (i + 1) % 4, NULL, &r));
        t_wait(r);
        ASSERT_TRUE(memcmp(in, out, sizeof in) == 0);
    }
    pthread_join(th, NULL);
    nrt_tensor_free(&half_t);
}

int main(void)
{
    t_setenv("OPENNRT_QUEUE_DEPTH", NULL);
    t_init();
    m0 = t_tm_load(0);
    execute_ordered();
    execute_on_full_queue(64);
    mixed_threads();
    tensor_ops_mixed(0);
    tensor_ops_mixed(1);
    halves_in_parallel();
    ASSERT_OK(nrt_unload(m0));
    nrt_close();

    t_setenv("OPENNRT_QUEUE_DEPTH", "4");
    t_init();
    m0 = t_tm_load(0);
    execute_on_full_queue(4);
    execute_ordered();
    mixed_threads();
    ASSERT_OK(nrt_unload(m0));
    nrt_close();
    t_setenv("OPENNRT_QUEUE_DEPTH", NULL);
    printf("async_sync_mix ok\n");
    return 0;
}
