/*
 * Lifetime: freeing a tensor, unloading a model or destroying a tensor set
 * while requests that use them are queued is safe (no use after free under
 * ASan) and the requests complete with correct data; the tensors a set
 * holds at schedule time are the ones used. nrt_close with requests in
 * flight lets them finish, then releases everything.
 */
#include "async_util.h"

static uint64_t mem_used(uint32_t lnc)
{
    nrt_vnc_memory_stats_t st;
    ASSERT_OK(nrt_get_vnc_memory_stats(lnc, &st, sizeof st, NULL));
    return st.bytes_used;
}

/* Everything an execution uses goes away while it waits behind a held one. */
static void exec_resources_released_early(void)
{
    uint64_t base = mem_used(0);
    tm_shared_t *sh = t_shared_new();
    nrt_model_t *m = t_tm_load(0), *mheld = t_tm_load(0);
    t_tm_req_t held;
    t_tm_req_init(&held, 0, (t_tm_opts_t){.sh = sh, .flags = TM_F_WAIT_GATE | TM_F_LOG, .tag = 1});
    enum { K = 8 };
    t_tm_req_t r[K];
    nrt_tensor_t *view[K];
    nrta_seq_t s[K], h;
    ASSERT_OK(nrta_execute_schedule(mheld, held.in, held.out, 0, NULL, &h));
    for (int i = 0; i < K; i++) {
        t_tm_req_init(&r[i], 0, (t_tm_opts_t){.sh = sh, .flags = TM_F_LOG, .tag = (uint64_t)i + 2});
        /* a slice keeps the output's storage reachable for the check */
        ASSERT_OK(nrt_tensor_allocate_slice(r[i].y, 0, TM_N * 4, "view", &view[i]));
        ASSERT_OK(nrta_execute_schedule(m, r[i].in, r[i].out, 0, NULL, &s[i]));
    }
    T_WAIT_UNTIL(atomic_load(&sh->started) == 1);
    /* drop everything: tensors, sets, both models (one of them running) */
    for (int i = 0; i < K; i++)
        t_tm_req_free(&r[i]);
    ASSERT_OK(nrt_unload(m));
    ASSERT_OK(nrt_unload(mheld));
    t_tm_req_free(&held);
    t_gate(sh, 1);
    t_wait(s[K - 1]);
    ASSERT_TRUE(t_done(h));
    ASSERT_EQ_U64(atomic_load(&sh->nlog), K + 1);
    for (int i = 0; i <= K; i++)
        ASSERT_EQ_U64(atomic_load(&sh->log[i]), i + 1);
    for (int i = 0; i < K; i++) {
        t_tm_check_y(view[i], (uint64_t)i + 2);
        nrt_tensor_free(&view[i]);
    }
    /* once the requests are done, their references are gone too */
    T_WAIT_UNTIL(mem_used(0) == base);
    free(sh);
}

/* The set's tensors at schedule time are used, even if the set changes
 * before the execution runs. */
static void set_changed_after_schedule(void)
{
    tm_shared_t *sh = t_shared_new();
    nrt_model_t *m = t_tm_load(1);
    t_tm_req_t held, r;
    t_tm_req_init(&held, 1, (t_tm_opts_t){.sh = sh, .flags = TM_F_WAIT_GATE});
    t_tm_req_init(&r, 1, (t_tm_opts_t){.tag = 6});
    nrt_tensor_t *y2, *x2;
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 1, TM_N * 4, "y2", &y2));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 1, TM_N * 4, "x2", &x2));
    float big[TM_N];
    for (int i = 0; i < TM_N; i++)
        big[i] = 1000.0f;
    ASSERT_OK(nrt_tensor_write(x2, big, 0, sizeof big));
    nrta_seq_t h, s;
    ASSERT_OK(nrta_execute_schedule(m, held.in, held.out, 0, NULL, &h));
    ASSERT_OK(nrta_execute_schedule(m, r.in, r.out, 0, NULL, &s));
    ASSERT_OK(nrt_add_tensor_to_tensor_set(r.out, "y", y2));
    ASSERT_OK(nrt_add_tensor_to_tensor_set(r.in, "x", x2));
    t_gate(sh, 1);
    t_wait(s);
    t_tm_check_y(r.y, 6);
    ASSERT_TRUE(t_zero(y2, TM_N * 4));
    /* a new schedule uses the new ones */
    ASSERT_OK(nrta_execute_schedule(m, r.in, r.out, 0, NULL, &s));
    t_wait(s);
    float v[TM_N];
    ASSERT_OK(nrt_tensor_read(y2, v, 0, sizeof v));
    for (int i = 0; i < TM_N; i++)
        ASSERT_TRUE(v[i] == 1006.0f);
    nrt_tensor_free(&y2);
    nrt_tensor_free(&x2);
    t_tm_req_free(&held);
    t_tm_req_free(&r);
    ASSERT_OK(nrt_unload(m));
    free(sh);
}

/* Tensor requests whose tensors are freed right after scheduling. */
static void tensor_requests_outlive_tensors(void)
{
    uint64_t base = mem_used(1);
    const size_t big = 4u << 20;
    unsigned char *src = malloc(big), *dst = malloc(big);
    ASSERT_TRUE(src && dst);
    for (size_t i = 0; i < big; i++)
        src[i] = (unsigned char)(i * 13 + 7);
    for (int round = 0; round < 10; round++) {
        int q = round % 4;
        nrt_tensor_t *a, *b, *va, *vb;
        ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 1, big, "a", &a));
        ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 1, big, "b", &b));
        ASSERT_OK(nrt_tensor_allocate_slice(a, big - 4096, 4096, "va", &va));
        ASSERT_OK(nrt_tensor_allocate_slice(b, big - 4096, 4096, "vb", &vb));
        nrta_seq_t w, c, r;
        /* write a, free a; copy a -> b (queued on another unit: ordered by
         * waiting), free b; read b, freeing the slice used to read */
        ASSERT_OK(nrta_tensor_write(a, src, 0, big, q, NULL, &w));
        nrt_tensor_t *a_keep;
        ASSERT_OK(nrt_tensor_allocate_slice(a, 0, big, "a_keep", &a_keep));
        nrt_tensor_free(&a);
        t_wait(w);
        ASSERT_OK(nrta_tensor_copy(a_keep, 0, b, 0, big, q, NULL, &c));
        nrt_tensor_free(&a_keep);
        nrt_tensor_t *b_keep;
        ASSERT_OK(nrt_tensor_allocate_slice(b, 0, big, "b_keep", &b_keep));
        nrt_tensor_free(&b);
        t_wait(c);
        memset(dst, 0, big);
        ASSERT_OK(nrta_tensor_read(dst, b_keep, 0, big, q, NULL, &r));
        nrt_tensor_free(&b_keep);
        t_wait(r);
        ASSERT_TRUE(memcmp(src, dst, big) == 0);
        unsigned char tail[4096];
        ASSERT_OK(nrt_tensor_read(va, tail, 0, sizeof tail));
        ASSERT_TRUE(memcmp(tail, src + big - 4096, 4096) == 0);
        ASSERT_OK(nrt_tensor_read(vb, tail, 0, sizeof tail));
        ASSERT_TRUE(memcmp(tail, src + big - 4096, 4096) == 0);
        nrt_tensor_free(&va);
        nrt_tensor_free(&vb);
    }
    /* many small writes to a tensor freed right away; a slice checks them */
    nrt_tensor_t *t, *v;
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 1, 64 * 256, "t", &t));
    ASSERT_OK(nrt_tensor_allocate_slice(t, 0, 64 * 256, "v", &v));
    nrta_seq_t last[4] = {0};
    for (int i = 0; i < 256; i++) {
        NRT_STATUS st;
        while ((st = nrta_tensor_write(t, src + i * 64, (uint64_t)i * 64, 64, i % 4, NULL, &last[i % 4])) ==
               NRT_QUEUE_FULL)
            sched_yield();
        ASSERT_OK(st);
    }
    nrt_tensor_free(&t);
    for (int q = 0; q < 4; q++)
        t_wait(last[q]);
    ASSERT_OK(nrt_tensor_read(v, dst, 0, 64 * 256));
    ASSERT_TRUE(memcmp(dst, src, 64 * 256) == 0);
    nrt_tensor_free(&v);
    T_WAIT_UNTIL(mem_used(1) == base);
    free(src);
    free(dst);
}

/* nrt_close while requests are in flight: a helper opens the gate only
 * once nrt_close has begun (the API then reports NRT_CLOSED), so the held
 * execution and everything queued behind it finish inside nrt_close. */
static tm_shared_t *close_sh;

static void *open_gate_when_closing(void *arg)
{
    (void)arg;
    uint64_t h;
    T_WAIT_UNTIL(nrtx_fault_hits(&h) == NRT_CLOSED);
    t_gate(close_sh, 1);
    return NULL;
}

static void close_in_flight(void)
{
    close_sh = t_shared_new();
    nrt_model_t *m = t_tm_load(0);
    enum { K = 6 };
    t_tm_req_t r[K];
    nrta_seq_t s[K];
    int fds[K];
    nrta_error_tracker_t *et;
    ASSERT_OK(nrta_error_tracker_create(0, &et));
    for (int i = 0; i < K; i++) {
        t_tm_req_init(&r[i], 0,
                      (t_tm_opts_t){.sh = close_sh, .flags = TM_F_LOG | (i == 0 ? TM_F_WAIT_GATE : 0),
                                    .tag = (uint64_t)i + 1,
                                    .status = i == 3 ? NRT_EXEC_COMPLETED_WITH_ERR : NRT_SUCCESS});
        ASSERT_OK(nrta_execute_schedule(m, r[i].in, r[i].out, 0, et, &s[i]));
        ASSERT_OK(nrta_get_completion_handle(s[i], &fds[i]));
    }
    /* reads on core 1, queued, into host memory */
    const size_t big = 1u << 20;
    nrt_tensor_t *t;
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 1, big, "t", &t));
    unsigned char *pattern = malloc(big);
    for (size_t i = 0; i < big; i++)
        pattern[i] = (unsigned char)(i * 3 + 1);
    ASSERT_OK(nrt_tensor_write(t, pattern, 0, big));
    unsigned char *out[16];
    for (int i = 0; i < 16; i++) {
        out[i] = calloc(1, big);
        nrta_seq_t x;
        ASSERT_OK(nrta_tensor_read(out[i], t, 0, big, i % 4, NULL, &x));
    }
    T_WAIT_UNTIL(atomic_load(&close_sh->started) == 1);
    pthread_t th;
    ASSERT_TRUE(pthread_create(&th, NULL, open_gate_when_closing, NULL) == 0);
    /* nothing freed by the application: nrt_close releases it all */
    nrt_close();
    pthread_join(th, NULL);
    ASSERT_EQ_U64(atomic_load(&close_sh->finished), K);
    ASSERT_EQ_U64(atomic_load(&close_sh->nlog), K);
    for (int i = 0; i < K; i++) {
        ASSERT_EQ_U64(atomic_load(&close_sh->log[i]), i + 1);
        ASSERT_TRUE(t_fd_ready(fds[i]));
        close(fds[i]);
    }
    for (int i = 0; i < 16; i++) {
        ASSERT_TRUE(memcmp(out[i], pattern, big) == 0);
        free(out[i]);
    }
    free(pattern);
    bool d;
    ASSERT_ST(nrta_is_completed(s[0], &d), NRT_CLOSED);
    free(close_sh);
}

int main(void)
{
    t_init();
    exec_resources_released_early();
    set_changed_after_schedule();
    tensor_requests_outlive_tensors();
    nrt_close();

    t_init();
    close_in_flight();
    /* a fresh runtime afterwards: clean */
    t_init();
    ASSERT_EQ_U64(mem_used(0), 0);
    ASSERT_EQ_U64(mem_used(1), 0);
    ASSERT_EQ_U64(t_completed(0, NRTA_XU_COMPUTE, 0), 0);
    nrt_close();
    printf("async_lifetime ok\n");
    return 0;
}
