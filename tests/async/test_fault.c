/*
 * Fault injection (nrtx_fault_add and OPENNRT_FAULT): a rule hits exactly
 * the chosen request (core, unit, queue, sequence number) and no other;
 * probability + seed is deterministic (same seed, same failing sequence
 * numbers); degrade=1 degrades the unit (the failing request gets its
 * status, everything behind it NRT_EXEC_UNIT_UNRECOVERABLE, later
 * schedules are refused) while other units keep working.
 */
#include "async_util.h"

static nrtx_fault_t rule(int lnc, int xu, int q, uint64_t seq, NRT_STATUS st)
{
    nrtx_fault_t f = {lnc, xu, q, seq, 0.0, 0, st, false, 0};
    return f;
}

/* Traffic on every tensor queue of both cores (|per| requests each, each
 * to its own 64-byte slot); returns the failures, checks the data of every
 * request: present if it succeeded, absent if it failed. */
#define PER 10
typedef struct {
    nrta_seq_t seq;
    uint64_t code;
} fail_t;

static size_t tensor_traffic(fail_t *fails, size_t cap)
{
    nrta_error_tracker_t *et[2];
    nrt_tensor_t *t[2], *u[2];
    static unsigned char src[2][3][4][PER][64], rd[2][4][PER][64];
    nrta_seq_t seqs[2][3][4][PER];
    memset(rd, 0, sizeof rd);
    for (int c = 0; c < 2; c++) {
        ASSERT_OK(nrta_error_tracker_create((uint32_t)c, &et[c]));
        ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, c, 3 * 4 * PER * 64, "t", &t[c]));
        ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, c, 3 * 4 * PER * 64, "u", &u[c]));
        for (int x = 0; x < 3; x++)
            for (int q = 0; q < 4; q++)
                for (int i = 0; i < PER; i++)
                    memset(src[c][x][q][i], 1 + ((c * 3 + x) * 4 + q) * PER + i, 64);
        /* what reads and copies move: written synchronously beforehand */
        ASSERT_OK(nrt_tensor_write(t[c], src[c], 0, sizeof src[c]));
        ASSERT_OK(nrt_tensor_memset(u[c], 0, 0, sizeof src[c]));
    }
    nrt_tensor_t *w[2];
    for (int c = 0; c < 2; c++) {
        ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, c, 3 * 4 * PER * 64, "w", &w[c]));
        for (int q = 0; q < 4; q++)
            for (int i = 0; i < PER; i++) {
                uint64_t off = (uint64_t)((0 * 4 + q) * PER + i) * 64;
                ASSERT_OK(nrta_tensor_write(w[c], src[c][0][q][i], off, 64, q, et[c], &seqs[c][0][q][i]));
                off = (uint64_t)((1 * 4 + q) * PER + i) * 64;
                ASSERT_OK(nrta_tensor_read(rd[c][q][i], t[c], off, 64, q, et[c], &seqs[c][1][q][i]));
                off = (uint64_t)((2 * 4 + q) * PER + i) * 64;
                ASSERT_OK(nrta_tensor_copy(t[c], off, u[c], off, 64, q, et[c], &seqs[c][2][q][i]));
            }
    }
    size_t n = 0;
    for (int c = 0; c < 2; c++)
        for (int x = 0; x < 3; x++)
            for (int q = 0; q < 4; q++)
                t_wait(seqs[c][x][q][PER - 1]);
    nrta_error_t got[64];
    for (int c = 0; c < 2; c++) {
        size_t k = t_drain(et[c], got, 64);
        ASSERT_TRUE(k <= 64);
        for (size_t i = 0; i < k && n < cap; i++, n++) {
            fails[n].seq = got[i].seq_id;
            fails[n].code = got[i].error_code;
        }
    }
    /* data: present exactly for the requests that did not fail */
    for (int c = 0; c < 2; c++) {
        static unsigned char wb[3 * 4 * PER * 64], ub[3 * 4 * PER * 64];
        ASSERT_OK(nrt_tensor_read(w[c], wb, 0, sizeof wb));
        ASSERT_OK(nrt_tensor_read(u[c], ub, 0, sizeof ub));
        for (int x = 0; x < 3; x++)
            for (int q = 0; q < 4; q++)
                for (int i = 0; i < PER; i++) {
                    bool failed = false;
                    for (size_t k = 0; k < n; k++)
                        failed |= fails[k].seq == seqs[c][x][q][i];
                    const unsigned char *p = x == 0   ? wb + ((0 * 4 + q) * PER + i) * 64
                                             : x == 1 ? rd[c][q][i]
                                                      : ub + ((2 * 4 + q) * PER + i) * 64;
                    unsigned char want = failed ? 0 : src[c][x][q][i][0];
                    for (int j = 0; j < 64; j++)
                        ASSERT_EQ_U64(p[j], want);
                }
        nrta_error_tracker_destroy(et[c]);
        nrt_tensor_free(&t[c]);
        nrt_tensor_free(&u[c]);
        nrt_tensor_free(&w[c]);
    }
    return n;
}

/* Executions on core |lnc|: tags 1..n logged; returns failures. */
static size_t exec_traffic(int lnc, int n, fail_t *fails, size_t cap, tm_shared_t *sh)
{
    nrt_model_t *m = t_tm_load(lnc);
    nrta_error_tracker_t *et;
    ASSERT_OK(nrta_error_tracker_create((uint32_t)lnc, &et));
    t_tm_req_t *r = calloc((size_t)n, sizeof *r);
    nrta_seq_t last = 0;
    for (int i = 0; i < n; i++) {
        t_tm_req_init(&r[i], lnc, (t_tm_opts_t){.sh = sh, .flags = TM_F_LOG, .tag = (uint64_t)i + 1});
        ASSERT_OK(nrta_execute_schedule(m, r[i].in, r[i].out, 0, et, &last));
    }
    t_wait(last);
    nrta_error_t got[64];
    size_t k = t_drain(et, got, 64);
    for (size_t i = 0; i < k && i < cap; i++) {
        fails[i].seq = got[i].seq_id;
        fails[i].code = got[i].error_code;
    }
    for (int i = 0; i < n; i++)
        t_tm_req_free(&r[i]);
    free(r);
    nrta_error_tracker_destroy(et);
    ASSERT_OK(nrt_unload(m));
    return k;
}

static uint64_t hits(void)
{
    uint64_t h;
    ASSERT_OK(nrtx_fault_hits(&h));
    return h;
}

/* One rule, one request. */
static void exact(bool from_env)
{
    if (!from_env) {
        nrtx_fault_t f = rule(0, NRTA_XU_TENSOR_WRITE, 1, 5, NRT_EXEC_COMPLETED_WITH_ERR);
        ASSERT_OK(nrtx_fault_add(&f));
        f = rule(1, NRTA_XU_TENSOR_READ, 2, 3, NRT_EXEC_HW_ERR_DMA_ABORT);
        ASSERT_OK(nrtx_fault_add(&f));
        f = rule(1, NRTA_XU_COMPUTE, 0, 2, NRT_EXEC_OOB);
        ASSERT_OK(nrtx_fault_add(&f));
    }
    fail_t fails[16];
    size_t n = tensor_traffic(fails, 16);
    ASSERT_EQ_U64(n, 2);
    ASSERT_SEQ(fails[0].seq, t_seq(0, NRTA_XU_TENSOR_WRITE, 1, 5));
    ASSERT_EQ_U64(fails[0].code, NRT_EXEC_COMPLETED_WITH_ERR);
    ASSERT_SEQ(fails[1].seq, t_seq(1, NRTA_XU_TENSOR_READ, 2, 3));
    ASSERT_EQ_U64(fails[1].code, NRT_EXEC_HW_ERR_DMA_ABORT);
    ASSERT_EQ_U64(hits(), 2);
    /* executions: #2 on core 1 fails instead of running; core 0 is clean */
    tm_shared_t *sh = t_shared_new();
    n = exec_traffic(1, 4, fails, 16, sh);
    ASSERT_EQ_U64(n, 1);
    ASSERT_SEQ(fails[0].seq, t_seq(1, NRTA_XU_COMPUTE, 0, 2));
    ASSERT_EQ_U64(fails[0].code, NRT_EXEC_OOB);
    ASSERT_EQ_U64(atomic_load(&sh->nlog), 3);
    ASSERT_EQ_U64(atomic_load(&sh->log[0]), 1);
    ASSERT_EQ_U64(atomic_load(&sh->log[1]), 3);
    ASSERT_EQ_U64(atomic_load(&sh->log[2]), 4);
    free(sh);
    ASSERT_EQ_U64(exec_traffic(0, 4, fails, 16, NULL), 0);
    ASSERT_EQ_U64(hits(), 3);
    /* the rules hit their numbers once; more traffic is clean */
    ASSERT_EQ_U64(tensor_traffic(fails, 16), 0);
    ASSERT_EQ_U64(hits(), 3);
    ASSERT_OK(nrtx_fault_clear());
}

/* Sequence numbers hit by a probability rule on core 0 WRITE queue 2 over
 * 400 writes (other queues run alongside and must stay clean). */
static size_t prob_run(uint64_t *nums, size_t cap)
{
    nrta_error_tracker_t *et;
    ASSERT_OK(nrta_error_tracker_create(0, &et));
    nrt_tensor_t *t;
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, 4096, "t", &t));
    unsigned char buf[64] = {3};
    nrta_seq_t last2 = 0, last3 = 0;
    for (int i = 0; i < 400; i++) {
        NRT_STATUS st;
        while ((st = nrta_tensor_write(t, buf, 0, 64, 2, et, &last2)) == NRT_QUEUE_FULL)
            sched_yield();
        ASSERT_OK(st);
        while ((st = nrta_tensor_write(t, buf, 64, 64, 3, et, &last3)) == NRT_QUEUE_FULL)
            sched_yield();
        ASSERT_OK(st);
    }
    t_wait(last2);
    t_wait(last3);
    static nrta_error_t got[401];
    size_t n = t_drain(et, got, 401);
    ASSERT_TRUE(n <= cap);
    for (size_t i = 0; i < n; i++) {
        ASSERT_EQ_U64(NRTA_SEQ_GET_XU_ID(got[i].seq_id), t_xu_id(0, NRTA_XU_TENSOR_WRITE, 2));
        ASSERT_EQ_U64(got[i].error_code, NRT_EXEC_HW_ERR_REPAIRABLE_HBM_UE);
        nums[i] = NRTA_SEQ_GET_SEQ_NUM(got[i].seq_id);
        ASSERT_TRUE(i == 0 || nums[i] > nums[i - 1]);
    }
    ASSERT_EQ_U64(hits(), n);
    nrt_tensor_free(&t);
    nrta_error_tracker_destroy(et);
    return n;
}

/* degrade=1 on COMPUTE of core 0 at request base+2, with #1 held so that
 * #3 and #4 are queued behind the fatal one. */
static void degrade_compute(void)
{
    tm_shared_t *sh = t_shared_new();
    nrt_model_t *m0 = t_tm_load(0), *m1 = t_tm_load(1);
    uint64_t base = t_stats(0, NRTA_XU_COMPUTE, 0).submitted;
    nrtx_fault_t f = rule(0, NRTA_XU_COMPUTE, 0, base + 2, NRT_SUCCESS);
    f.degrade = true; /* status defaults to NRT_EXEC_HW_ERR_NC_UE */
    ASSERT_OK(nrtx_fault_add(&f));
    nrta_error_tracker_t *et;
    ASSERT_OK(nrta_error_tracker_create(0, &et));
    t_tm_req_t r[4];
    nrta_seq_t s[4];
    for (int i = 0; i < 4; i++) {
        t_tm_req_init(&r[i], 0,
                      (t_tm_opts_t){.sh = sh, .flags = TM_F_LOG | (i == 0 ? TM_F_WAIT_GATE : 0), .tag = (uint64_t)i + 1});
        ASSERT_OK(nrta_execute_schedule(m0, r[i].in, r[i].out, 0, et, &s[i]));
    }
    T_WAIT_UNTIL(atomic_load(&sh->started) == 1);
    t_gate(sh, 1);
    t_wait(s[3]);
    nrta_error_t got[8];
    ASSERT_EQ_U64(t_drain(et, got, 8), 3);
    ASSERT_SEQ(got[0].seq_id, s[1]);
    ASSERT_EQ_U64(got[0].error_code, NRT_EXEC_HW_ERR_NC_UE);
    ASSERT_SEQ(got[1].seq_id, s[2]);
    ASSERT_EQ_U64(got[1].error_code, NRT_EXEC_UNIT_UNRECOVERABLE);
    ASSERT_SEQ(got[2].seq_id, s[3]);
    ASSERT_EQ_U64(got[2].error_code, NRT_EXEC_UNIT_UNRECOVERABLE);
    ASSERT_EQ_U64(atomic_load(&sh->nlog), 1); /* only #1 ran */
    t_tm_check_y(r[0].y, 1);
    ASSERT_TRUE(t_stats(0, NRTA_XU_COMPUTE, 0).degraded);
    nrta_seq_t x;
    ASSERT_ST(nrta_execute_schedule(m0, r[0].in, r[0].out, 0, et, &x), NRT_EXEC_UNIT_UNRECOVERABLE);
    ASSERT_ST(nrt_execute(m0, r[0].in, r[0].out), NRT_EXEC_UNIT_UNRECOVERABLE);
    ASSERT_EQ_U64(t_stats(0, NRTA_XU_COMPUTE, 0).submitted, base + 4);
    /* other units and the other core are fine */
    fail_t fails[8];
    ASSERT_EQ_U64(tensor_traffic(fails, 8), 0);
    ASSERT_EQ_U64(exec_traffic(1, 3, fails, 8, NULL), 0);
    ASSERT_TRUE(!t_stats(1, NRTA_XU_COMPUTE, 0).degraded);
    for (int i = 0; i < 4; i++)
        t_tm_req_free(&r[i]);
    nrta_error_tracker_destroy(et);
    ASSERT_OK(nrt_unload(m0));
    ASSERT_OK(nrt_unload(m1));
    free(sh);
}

/* degrade=1 on core 1 TENSOR_WRITE queue 0 (from OPENNRT_FAULT): the whole
 * unit is degraded, every queue of it; TENSOR_READ of core 1 and core 0's
 * TENSOR_WRITE still work. */
static void degrade_write_from_env(void)
{
    nrt_tensor_t *t1, *t0;
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 1, 256, "t1", &t1));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, 256, "t0", &t0));
    nrta_error_tracker_t *et;
    ASSERT_OK(nrta_error_tracker_create(1, &et));
    unsigned char buf[64];
    memset(buf, 9, sizeof buf);
    nrta_seq_t s;
    ASSERT_OK(nrta_tensor_write(t1, buf, 0, 64, 0, et, &s));
    t_wait(s);
    nrta_error_t got[4];
    ASSERT_EQ_U64(t_drain(et, got, 4), 1);
    ASSERT_SEQ(got[0].seq_id, t_seq(1, NRTA_XU_TENSOR_WRITE, 0, 1));
    ASSERT_EQ_U64(got[0].error_code, NRT_EXEC_HW_ERR_HBM_UE);
    ASSERT_TRUE(t_zero(t1, 256));
    for (int q = 0; q < 4; q++) {
        ASSERT_ST(nrta_tensor_write(t1, buf, 0, 64, q, et, &s), NRT_EXEC_UNIT_UNRECOVERABLE);
        ASSERT_TRUE(t_stats(1, NRTA_XU_TENSOR_WRITE, q).degraded);
    }
    ASSERT_OK(nrta_tensor_read(buf, t1, 0, 64, 0, et, &s));
    t_wait(s);
    ASSERT_OK(nrta_tensor_copy(t1, 0, t1, 64, 64, 0, et, &s));
    t_wait(s);
    ASSERT_OK(nrta_tensor_write(t0, buf, 0, 64, 0, NULL, &s));
    t_wait(s);
    ASSERT_EQ_U64(t_drain(et, got, 4), 0);
    /* the synchronous tensor API does not go through the units */
    ASSERT_OK(nrt_tensor_write(t1, buf, 0, 64));
    nrta_error_tracker_destroy(et);
    nrt_tensor_free(&t1);
    nrt_tensor_free(&t0);
}

int main(void)
{
    t_setenv("OPENNRT_FAULT", NULL);
    t_init();
    ASSERT_EQ_U64(hits(), 0);
    exact(false);
    /* bad rules */
    nrtx_fault_t f = rule(0, 5, 0, 1, NRT_FAILURE);
    ASSERT_ST(nrtx_fault_add(&f), NRT_INVALID);
    f = rule(0, NRTA_XU_TENSOR_WRITE, 32, 1, NRT_FAILURE);
    ASSERT_ST(nrtx_fault_add(&f), NRT_INVALID);
    f = rule(0, NRTA_XU_TENSOR_WRITE, 0, 0, NRT_FAILURE); /* neither seq nor probability */
    ASSERT_ST(nrtx_fault_add(&f), NRT_INVALID);
    f.probability = 1.5;
    ASSERT_ST(nrtx_fault_add(&f), NRT_INVALID);
    f = rule(0, NRTA_XU_TENSOR_WRITE, 0, 1, NRT_SUCCESS); /* injects nothing */
    ASSERT_ST(nrtx_fault_add(&f), NRT_INVALID);
    ASSERT_ST(nrtx_fault_add(NULL), NRT_INVALID);
    ASSERT_ST(nrtx_fault_hits(NULL), NRT_INVALID);
    f = rule(1, NRTA_XU_TENSOR_OP, 3, 1000000, NRT_FAILURE);
    for (int i = 0; i < 64; i++)
        ASSERT_OK(nrtx_fault_add(&f));
    ASSERT_ST(nrtx_fault_add(&f), NRT_RESOURCE);
    ASSERT_OK(nrtx_fault_clear());
    /* max_hits: probability 1, at most 2 */
    f = rule(1, NRTA_XU_TENSOR_OP, 3, 0, NRT_EXEC_COMPLETED_WITH_ERR);
    f.probability = 1.0;
    f.max_hits = 2;
    ASSERT_OK(nrtx_fault_add(&f));
    fail_t fails[16];
    uint64_t h0 = hits(), op3 = t_stats(1, NRTA_XU_TENSOR_OP, 3).submitted;
    ASSERT_EQ_U64(tensor_traffic(fails, 16), 2);
    ASSERT_SEQ(fails[0].seq, t_seq(1, NRTA_XU_TENSOR_OP, 3, op3 + 1));
    ASSERT_SEQ(fails[1].seq, t_seq(1, NRTA_XU_TENSOR_OP, 3, op3 + 2));
    ASSERT_EQ_U64(hits(), h0 + 2);
    ASSERT_OK(nrtx_fault_clear());
    degrade_compute();
    nrt_close();

    /* the same rules from the environment */
    t_setenv("OPENNRT_FAULT", "lnc=0,xu=write,queue=1,seq=5,status=1004;"
                              "xu=read,lnc=1,queue=2,seq=3,status=NRT_EXEC_HW_ERR_DMA_ABORT;"
                              "lnc=1,xu=compute,queue=0,seq=2,status=EXEC_OOB");
    t_init();
    exact(true);
    nrt_close();

    /* nrt_close dropped the rules; a runtime without OPENNRT_FAULT is clean */
    t_setenv("OPENNRT_FAULT", NULL);
    t_init();
    ASSERT_EQ_U64(tensor_traffic(fails, 16), 0);
    ASSERT_EQ_U64(hits(), 0);
    nrt_close();

    /* probability + seed: the same failing numbers, run after run, whether
     * the rule comes from the API or the environment */
    static uint64_t a[401], b[401], c[401];
    t_init();
    f = rule(0, NRTA_XU_TENSOR_WRITE, 2, 0, NRT_EXEC_HW_ERR_REPAIRABLE_HBM_UE);
    f.probability = 0.25;
    f.seed = 1234;
    ASSERT_OK(nrtx_fault_add(&f));
    size_t na = prob_run(a, 401);
    nrt_close();
    t_setenv("OPENNRT_FAULT", "lnc=0,xu=write,queue=2,prob=0.25,seed=1234,status=NRT_EXEC_HW_ERR_REPAIRABLE_HBM_UE");
    t_init();
    size_t nb = prob_run(b, 401);
    nrt_close();
    t_setenv("OPENNRT_FAULT", "lnc=0,xu=write,queue=2,prob=0.25,seed=99,status=1205");
    t_init();
    size_t nc = prob_run(c, 401);
    nrt_close();
    fprintf(stderr, "probability 0.25 over 400: seed 1234 hit %zu, seed 99 hit %zu\n", na, nc);
    ASSERT_TRUE(na > 0 && na < 400);
    ASSERT_EQ_U64(na, nb);
    ASSERT_TRUE(memcmp(a, b, na * sizeof a[0]) == 0);
    ASSERT_TRUE(nc > 0 && nc < 400);
    ASSERT_TRUE(na != nc || memcmp(a, c, na * sizeof a[0]) != 0);

    /* degrade from the environment */
    t_setenv("OPENNRT_FAULT", "lnc=1,xu=write,queue=0,seq=1,degrade=1,status=NRT_EXEC_HW_ERR_HBM_UE");
    t_init();
    degrade_write_from_env();
    nrt_close();

    /* malformed specs: nrt_init refuses */
    static const char *const bad[] = {"lnc=0,xu=nope,seq=1", "seq=1,status=NRT_NOPE", "prob=2",
                                      "xu=write", "lnc=0,seq", "queue=40,seq=1", "degrade=2,seq=1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        t_setenv("OPENNRT_FAULT", bad[i]);
        ASSERT_ST(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""), NRT_INVALID);
    }
    t_setenv("OPENNRT_FAULT", NULL);
    printf("async_fault ok\n");
    return 0;
}
