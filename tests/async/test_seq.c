/*
 * Sequence ids: top 16 bits are the XU id (core << 8 | unit << 5 | queue),
 * the low 48 bits count the accepted requests of that queue from 1, by 1.
 * nrta_get_sequence returns the last completed id (number 0 with the
 * queue's XU id before any completion); nrta_is_completed works from the id
 * alone and is NRT_INVALID for an id that was never issued.
 */
#include "async_util.h"

static void expect_invalid(nrta_seq_t seq)
{
    bool done = true;
    ASSERT_ST(nrta_is_completed(seq, &done), NRT_INVALID);
    ASSERT_TRUE(!done);
    int fd = 1234;
    ASSERT_ST(nrta_get_completion_handle(seq, &fd), NRT_INVALID);
    ASSERT_TRUE(fd == -1);
}

static uint32_t nq(uint32_t xu)
{
    return xu <= NRTA_XU_TENSOR_OP ? 4 : 1;
}

int main(void)
{
    t_init();
    /* the encoding macros agree with the documented layout */
    nrta_seq_t x = t_seq(1, NRTA_XU_TENSOR_OP, 3, 77);
    ASSERT_SEQ(x, 0x0143000000000000ull | 77);
    ASSERT_EQ_U64(NRTA_SEQ_GET_XU_ID(x), 0x0143);
    ASSERT_EQ_U64(NRTA_SEQ_GET_SEQ_NUM(x), 77);
    ASSERT_EQ_U64(NRTA_SEQ_NUM_MAX, (1ull << 48) - 1);

    /* before anything: number 0 everywhere, and nothing is issued */
    for (uint32_t lnc = 0; lnc < 2; lnc++)
        for (uint32_t xu = 0; xu < NRTA_XU_TYPE_NUM; xu++)
            for (uint32_t q = 0; q < nq(xu); q++) {
                nrta_seq_t s = 99;
                ASSERT_OK(nrta_get_sequence(lnc, (nrta_xu_t)xu, (int)q, &s));
                ASSERT_SEQ(s, t_seq(lnc, xu, q, 0));
                expect_invalid(t_seq(lnc, xu, q, 0));
                expect_invalid(t_seq(lnc, xu, q, 1));
            }

    /* numbering: per queue, from 1, by 1, independent of other queues,
     * units and cores */
    nrt_tensor_t *t0, *t1;
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, 1 << 12, "t0", &t0));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 1, 1 << 12, "t1", &t1));
    static unsigned char buf[1 << 12];
    nrta_seq_t s;
    for (uint64_t i = 1; i <= 50; i++) {
        for (int q = 0; q < 4; q++) {
            if ((uint64_t)q <= i % 4) { /* uneven counts per queue */
                ASSERT_OK(nrta_tensor_write(t0, buf, 0, 64, q, NULL, &s));
                ASSERT_EQ_U64(NRTA_SEQ_GET_XU_ID(s), t_xu_id(0, NRTA_XU_TENSOR_WRITE, (uint32_t)q));
                ASSERT_EQ_U64(NRTA_SEQ_GET_SEQ_NUM(s), t_stats(0, NRTA_XU_TENSOR_WRITE, q).submitted);
                t_wait(s);
            }
        }
        ASSERT_OK(nrta_tensor_read(buf, t1, 0, 64, 2, NULL, &s));
        ASSERT_SEQ(s, t_seq(1, NRTA_XU_TENSOR_READ, 2, i));
        t_wait(s);
        ASSERT_OK(nrta_tensor_copy(t1, 0, t1, 64, 64, 1, NULL, &s));
        ASSERT_SEQ(s, t_seq(1, NRTA_XU_TENSOR_OP, 1, i));
        t_wait(s);
    }
    uint64_t wcount[4];
    for (int q = 0; q < 4; q++) {
        wcount[q] = 0;
        for (uint64_t i = 1; i <= 50; i++)
            wcount[q] += (uint64_t)q <= i % 4;
        ASSERT_EQ_U64(t_stats(0, NRTA_XU_TENSOR_WRITE, q).submitted, wcount[q]);
        /* last completed = last issued */
        ASSERT_SEQ(t_seq(0, NRTA_XU_TENSOR_WRITE, (uint32_t)q, t_completed(0, NRTA_XU_TENSOR_WRITE, q)),
                   t_seq(0, NRTA_XU_TENSOR_WRITE, (uint32_t)q, wcount[q]));
        /* every issued id is valid and complete; the next one is not issued */
        for (uint64_t n = 1; n <= wcount[q]; n++)
            ASSERT_TRUE(t_done(t_seq(0, NRTA_XU_TENSOR_WRITE, (uint32_t)q, n)));
        expect_invalid(t_seq(0, NRTA_XU_TENSOR_WRITE, (uint32_t)q, wcount[q] + 1));
        expect_invalid(t_seq(0, NRTA_XU_TENSOR_WRITE, (uint32_t)q, 0));
    }
    /* untouched queues still have nothing */
    ASSERT_EQ_U64(t_completed(1, NRTA_XU_TENSOR_READ, 0), 0);
    ASSERT_EQ_U64(t_completed(1, NRTA_XU_TENSOR_WRITE, 2), 0);
    expect_invalid(t_seq(1, NRTA_XU_TENSOR_WRITE, 2, 1));

    /* rejected schedules consume no number */
    ASSERT_ST(nrta_tensor_write(t0, buf, 1 << 12, 1, 0, NULL, &s), NRT_INVALID);
    ASSERT_ST(nrta_tensor_write(t0, buf, 0, 0, 0, NULL, &s), NRT_INVALID);
    ASSERT_OK(nrta_tensor_write(t0, buf, 0, 64, 0, NULL, &s));
    ASSERT_SEQ(s, t_seq(0, NRTA_XU_TENSOR_WRITE, 0, wcount[0] + 1));
    t_wait(s);

    /* ids that name no queue */
    uint64_t n1 = 1;
    expect_invalid(t_seq(2, NRTA_XU_TENSOR_WRITE, 0, n1));   /* core 2 of 2 */
    expect_invalid(t_seq(255, NRTA_XU_TENSOR_WRITE, 0, n1)); /* core 255 */
    expect_invalid(t_seq(0, 5, 0, n1));                      /* unit 5..7 */
    expect_invalid(t_seq(0, 6, 0, n1));
    expect_invalid(t_seq(0, 7, 0, n1));
    for (uint32_t q = 4; q < 32; q++)
        expect_invalid(t_seq(0, NRTA_XU_TENSOR_WRITE, q, n1)); /* queue 4..31 */
    for (uint32_t q = 1; q < 32; q++) {
        expect_invalid(t_seq(0, NRTA_XU_COMPUTE, q, n1));
        expect_invalid(t_seq(0, NRTA_XU_COLLECTIVES, q, n1));
    }
    expect_invalid(t_seq(0, NRTA_XU_TENSOR_WRITE, 0, NRTA_SEQ_NUM_MAX));
    expect_invalid(UINT64_MAX);
    ASSERT_ST(nrta_is_completed(t_seq(0, NRTA_XU_TENSOR_WRITE, 0, 1), NULL), NRT_INVALID);

    /* nrta_get_sequence moves one completion at a time; nrta_is_completed
     * sees exactly the completed prefix */
    tm_shared_t *sh = t_shared_new();
    nrt_model_t *m = t_tm_load(1);
    enum { K = 5 };
    t_tm_req_t r[K];
    nrta_seq_t e[K];
    for (int i = 0; i < K; i++) {
        t_tm_req_init(&r[i], 1,
                      (t_tm_opts_t){.sh = sh, .flags = TM_F_WAIT_GATE, .ticket = (uint64_t)i + 1, .tag = (uint64_t)i});
        ASSERT_OK(nrta_execute_schedule(m, r[i].in, r[i].out, 0, NULL, &e[i]));
        ASSERT_SEQ(e[i], t_seq(1, NRTA_XU_COMPUTE, 0, (uint64_t)i + 1));
    }
    T_WAIT_UNTIL(atomic_load(&sh->started) == 1);
    for (int step = 0; step <= K; step++) {
        /* |step| executions released and completed */
        if (step > 0) {
            t_gate(sh, (uint64_t)step);
            T_WAIT_UNTIL(t_completed(1, NRTA_XU_COMPUTE, 0) == (uint64_t)step);
        }
        nrta_seq_t got;
        ASSERT_OK(nrta_get_sequence(1, NRTA_XU_COMPUTE, 0, &got));
        ASSERT_SEQ(got, t_seq(1, NRTA_XU_COMPUTE, 0, (uint64_t)step));
        if (step < K)
            T_WAIT_UNTIL(atomic_load(&sh->started) == (uint32_t)step + 1);
        ASSERT_EQ_U64(atomic_load(&sh->finished), step);
        for (int i = 0; i < K; i++) {
            bool d = !(i < step);
            ASSERT_OK(nrta_is_completed(e[i], &d));
            ASSERT_TRUE(d == (i < step));
        }
        expect_invalid(t_seq(1, NRTA_XU_COMPUTE, 0, K + 1));
    }
    for (int i = 0; i < K; i++) {
        t_tm_check_y(r[i].y, (uint64_t)i);
        t_tm_req_free(&r[i]);
    }
    ASSERT_OK(nrt_unload(m));
    nrt_tensor_free(&t0);
    nrt_tensor_free(&t1);
    nrt_close();

    /* after nrt_close the queries report the closed runtime; a new
     * nrt_init starts every queue from number 1 again */
    bool d;
    ASSERT_ST(nrta_is_completed(e[0], &d), NRT_CLOSED);
    ASSERT_ST(nrta_get_sequence(0, NRTA_XU_COMPUTE, 0, &s), NRT_CLOSED);
    t_init();
    ASSERT_EQ_U64(t_completed(1, NRTA_XU_COMPUTE, 0), 0);
    expect_invalid(e[0]);
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, 64, "t0", &t0));
    ASSERT_OK(nrta_tensor_write(t0, buf, 0, 64, 0, NULL, &s));
    ASSERT_SEQ(s, t_seq(0, NRTA_XU_TENSOR_WRITE, 0, 1));
    t_wait(s);
    nrt_tensor_free(&t0);
    nrt_close();
    free(sh);
    printf("async_seq ok\n");
    return 0;
}
