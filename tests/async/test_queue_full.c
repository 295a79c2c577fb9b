/*
 * Bounded queues: OPENNRT_QUEUE_DEPTH slots per queue, rounded up to a
 * power of two. With the unit busy, filling a queue gives NRT_QUEUE_FULL,
 * and a refused request leaves no trace: no id consumed (the next accepted
 * id is exactly one more than the last), no tracker entry, no side effect
 * (its data never moves), no reference kept.
 */
#include "async_util.h"

static uint64_t pow2_at_least(uint64_t v)
{
    uint64_t p = 1;
    while (p < v)
        p <<= 1;
    return p;
}

/* COMPUTE with the first execution held: exactly |depth| are accepted. */
static void compute_full(uint64_t depth)
{
    tm_shared_t *sh = t_shared_new();
    nrt_model_t *m = t_tm_load(1);
    nrta_error_tracker_t *et;
    ASSERT_OK(nrta_error_tracker_create(1, &et));
    t_tm_req_t *r = calloc(depth + 1, sizeof *r);
    nrta_seq_t *s = calloc(depth + 1, sizeof *s);
    ASSERT_TRUE(r && s);
    for (uint64_t i = 0; i < depth; i++)
        t_tm_req_init(&r[i], 1,
                      (t_tm_opts_t){.sh = sh, .flags = TM_F_LOG | (i == 0 ? TM_F_WAIT_GATE : 0), .tag = i + 1});
    /* the refused request would fail loudly and leave marks if it ran */
    t_tm_req_t rej;
    t_tm_req_init(&rej, 1,
                  (t_tm_opts_t){.sh = sh, .flags = TM_F_LOG, .tag = 999, .status = NRT_EXEC_COMPLETED_WITH_ERR});
    for (uint64_t i = 0; i < depth; i++) {
        ASSERT_OK(nrta_execute_schedule(m, r[i].in, r[i].out, 0, et, &s[i]));
        ASSERT_SEQ(s[i], t_seq(1, NRTA_XU_COMPUTE, 0, i + 1));
    }
    T_WAIT_UNTIL(atomic_load(&sh->started) == 1);
    for (int k = 0; k < 10; k++) {
        nrta_seq_t x = 0;
        ASSERT_ST(nrta_execute_schedule(m, rej.in, rej.out, 0, et, &x), NRT_QUEUE_FULL);
        ASSERT_ST(nrta_execute_schedule(m, r[0].in, r[0].out, 0, NULL, &x), NRT_QUEUE_FULL);
    }
    /* nothing of the refused requests exists */
    bool d;
    ASSERT_ST(nrta_is_completed(t_seq(1, NRTA_XU_COMPUTE, 0, depth + 1), &d), NRT_INVALID);
    ASSERT_EQ_U64(t_stats(1, NRTA_XU_COMPUTE, 0).submitted, depth);
    /* the synchronous API is not refused: it waits for room (from a
     * thread, since the queue only drains once the gate opens) -- checked
     * in async_sync_mix; here only the async calls */
    t_gate(sh, 1);
    t_wait(s[depth - 1]);
    nrta_seq_t next;
    ASSERT_OK(nrta_execute_schedule(m, r[0].in, r[0].out, 0, et, &next));
    ASSERT_SEQ(next, t_seq(1, NRTA_XU_COMPUTE, 0, depth + 1));
    t_wait(next);
    nrta_error_t errs[4];
    ASSERT_EQ_U64(t_drain(et, errs, 4), 0);
    ASSERT_EQ_U64(atomic_load(&sh->nlog), depth + 1);
    for (uint64_t i = 0; i < depth; i++)
        ASSERT_EQ_U64(atomic_load(&sh->log[i]), i + 1);
    ASSERT_EQ_U64(atomic_load(&sh->log[depth]), 1);
    ASSERT_TRUE(t_zero(rej.y, TM_N * 4));
    for (uint64_t i = 0; i < depth; i++)
        t_tm_check_y(r[i].y, i + 1);
    nrtx_queue_stats_t st = t_stats(1, NRTA_XU_COMPUTE, 0);
    ASSERT_EQ_U64(st.submitted, depth + 1);
    ASSERT_EQ_U64(st.completed, depth + 1);
    ASSERT_EQ_U64(st.errors, 0);
    for (uint64_t i = 0; i < depth; i++)
        t_tm_req_free(&r[i]);
    t_tm_req_free(&rej);
    free(r);
    free(s);
    nrta_error_tracker_destroy(et);
    ASSERT_OK(nrt_unload(m));
    free(sh);
}

/* Tensor units cannot be held, so a backlog of large requests fills the
 * queue; whenever a small canary request is refused, it must leave no
 * trace. Every acceptance on the queue must be exactly one more than the
 * previous one. */
enum kind { K_WRITE, K_READ, K_COPY };
#define BIG (8u << 20)
#define CANARIES 64

static void tensor_full(enum kind kind, int q)
{
    nrt_tensor_t *big, *big2, *can;
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, BIG, "big", &big));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, BIG, "big2", &big2));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, CANARIES * 64, "canary", &can));
    unsigned char *host = malloc(BIG);
    ASSERT_TRUE(host);
    memset(host, 0x11, BIG);
    static unsigned char can_src[CANARIES * 64], can_host[CANARIES * 64];
    memset(can_src, 0xee, sizeof can_src);
    memset(can_host, 0, sizeof can_host);
    ASSERT_OK(nrt_tensor_memset(can, 0, kind == K_READ ? 0xee : 0, CANARIES * 64));
    nrt_tensor_t *can_src_t = NULL;
    if (kind == K_COPY) {
        ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, CANARIES * 64, "cansrc", &can_src_t));
        ASSERT_OK(nrt_tensor_memset(can_src_t, 0, 0xee, CANARIES * 64));
    }
    nrta_error_tracker_t *et;
    ASSERT_OK(nrta_error_tracker_create(0, &et));
    nrta_xu_t xu = kind == K_WRITE ? NRTA_XU_TENSOR_WRITE : kind == K_READ ? NRTA_XU_TENSOR_READ : NRTA_XU_TENSOR_OP;
    uint64_t last = t_stats(0, xu, q).submitted;
    bool accepted_canary[CANARIES] = {false};
    int refused = 0, c = 0;
    for (long it = 0; it < 1000000 && c < CANARIES; it++) {
        nrta_seq_t s = 0;
        NRT_STATUS st = kind == K_WRITE  ? nrta_tensor_write(big, host, 0, BIG, q, et, &s)
                        : kind == K_READ ? nrta_tensor_read(host, big, 0, BIG, q, et, &s)
                                         : nrta_tensor_copy(big, 0, big2, 0, BIG, q, et, &s);
        if (st == NRT_SUCCESS) {
            ASSERT_SEQ(s, t_seq(0, (uint32_t)xu, (uint32_t)q, last + 1));
            last++;
            continue;
        }
        ASSERT_ST(st, NRT_QUEUE_FULL);
        /* full: try a canary now */
        uint64_t off = (uint64_t)c * 64;
        st = kind == K_WRITE  ? nrta_tensor_write(can, can_src + off, off, 64, q, et, &s)
             : kind == K_READ ? nrta_tensor_read(can_host + off, can, off, 64, q, et, &s)
                              : nrta_tensor_copy(can_src_t, off, can, off, 64, q, et, &s);
        if (st == NRT_SUCCESS) { /* room appeared in between: fine, it counts */
            ASSERT_SEQ(s, t_seq(0, (uint32_t)xu, (uint32_t)q, last + 1));
            last++;
            accepted_canary[c] = true;
        } else {
            ASSERT_ST(st, NRT_QUEUE_FULL);
            bool d;
            ASSERT_ST(nrta_is_completed(t_seq(0, (uint32_t)xu, (uint32_t)q, last + 1), &d), NRT_INVALID);
            refused++;
        }
        c++;
    }
    ASSERT_TRUE(refused > 0);
    T_WAIT_UNTIL(t_completed(0, xu, q) == last);
    ASSERT_EQ_U64(t_stats(0, xu, q).submitted, last);
    nrta_error_t errs[4];
    ASSERT_EQ_U64(t_drain(et, errs, 4), 0);
    unsigned char got[CANARIES * 64];
    ASSERT_OK(nrt_tensor_read(can, got, 0, sizeof got));
    for (int i = 0; i < c; i++) {
        const unsigned char *p = kind == K_READ ? can_host + i * 64 : got + i * 64;
        for (int j = 0; j < 64; j++)
            ASSERT_EQ_U64(p[j], accepted_canary[i] ? 0xee : 0);
    }
    fprintf(stderr, "%s queue %d: %d canaries refused, %d accepted\n",
            kind == K_WRITE ? "write" : kind == K_READ ? "read" : "copy", q, refused, c - refused);
    nrta_error_tracker_destroy(et);
    nrt_tensor_free(&big);
    nrt_tensor_free(&big2);
    nrt_tensor_free(&can);
    if (can_src_t)
        nrt_tensor_free(&can_src_t);
    free(host);
}

int main(void)
{
    static const char *const depths[] = {"5", "1", "2", "3", "16", "17"};
    for (size_t i = 0; i < sizeof depths / sizeof depths[0]; i++) {
        t_setenv("OPENNRT_QUEUE_DEPTH", depths[i]);
        t_init();
        uint64_t want = pow2_at_least(strtoull(depths[i], NULL, 10));
        compute_full(want);
        if (want <= 8) {
            tensor_full(K_WRITE, 0);
            tensor_full(K_WRITE, 3);
            tensor_full(K_READ, 1);
            tensor_full(K_COPY, 2);
        }
        nrt_close();
    }
    /* out of range depths: nrt_init refuses */
    t_setenv("OPENNRT_QUEUE_DEPTH", "0");
    ASSERT_ST(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""), NRT_INVALID);
    t_setenv("OPENNRT_QUEUE_DEPTH", "x");
    ASSERT_ST(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""), NRT_INVALID);
    t_setenv("OPENNRT_QUEUE_DEPTH", NULL);
    printf("async_queue_full ok\n");
    return 0;
}
