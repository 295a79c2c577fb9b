/*
 * Exec timeout (OPENNRT_EXEC_TIMEOUT_MS, or NEURON_RT_EXEC_TIMEOUT in
 * seconds): a hung execution completes with NRT_TIMEOUT in its tracker and
 * degrades the unit; the requests queued behind it complete with
 * NRT_EXEC_UNIT_UNRECOVERABLE (their fds become readable), later schedules
 * on that unit are refused with NRT_EXEC_UNIT_UNRECOVERABLE (no id
 * consumed), and the other units and cores keep working. The hung model is
 * released afterwards so that the process exits cleanly.
 */
#include "async_util.h"

static void other_units_work(nrt_model_t *m1)
{
    /* core 0's tensor units */
    nrt_tensor_t *a, *b;
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, 4096, "a", &a));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, 4096, "b", &b));
    static unsigned char in[4096], out[4096];
    for (int i = 0; i < 4096; i++)
        in[i] = (unsigned char)(i * 5 + 1);
    nrta_error_tracker_t *et;
    ASSERT_OK(nrta_error_tracker_create(0, &et));
    for (int q = 0; q < 4; q++) {
        nrta_seq_t s;
        memset(out, 0, sizeof out);
        ASSERT_OK(nrta_tensor_write(a, in, 0, sizeof in, q, et, &s));
        t_wait(s);
        ASSERT_OK(nrta_tensor_copy(a, 0, b, 0, sizeof in, q, et, &s));
        t_wait(s);
        ASSERT_OK(nrta_tensor_read(out, b, 0, sizeof out, q, et, &s));
        t_wait(s);
        ASSERT_TRUE(memcmp(in, out, sizeof in) == 0);
    }
    nrta_error_t got[2];
    ASSERT_EQ_U64(t_drain(et, got, 2), 0);
    nrta_error_tracker_destroy(et);
    nrt_tensor_free(&a);
    nrt_tensor_free(&b);
    ASSERT_TRUE(!t_stats(0, NRTA_XU_TENSOR_WRITE, 0).degraded);
    /* core 1's COMPUTE */
    ASSERT_OK(nrta_error_tracker_create(1, &et));
    t_tm_req_t r;
    t_tm_req_init(&r, 1, (t_tm_opts_t){.tag = 31});
    nrta_seq_t s;
    ASSERT_OK(nrta_execute_schedule(m1, r.in, r.out, 0, et, &s));
    t_wait(s);
    t_tm_check_y(r.y, 31);
    ASSERT_OK(nrt_execute(m1, r.in, r.out));
    ASSERT_EQ_U64(t_drain(et, got, 2), 0);
    ASSERT_TRUE(!t_stats(1, NRTA_XU_COMPUTE, 0).degraded);
    t_tm_req_free(&r);
    nrta_error_tracker_destroy(et);
}

#define BEHIND 3

static uint64_t mem_used(uint32_t lnc)
{
    nrt_vnc_memory_stats_t st;
    ASSERT_OK(nrt_get_vnc_memory_stats(lnc, &st, sizeof st, NULL));
    return st.bytes_used;
}

static void hang(bool full_checks)
{
    uint64_t base = mem_used(0);
    tm_shared_t *sh = t_shared_new();
    nrt_model_t *m0 = t_tm_load(0), *m1 = t_tm_load(1);
    nrta_error_tracker_t *et;
    ASSERT_OK(nrta_error_tracker_create(0, &et));
    t_tm_req_t held, behind[BEHIND];
    /* held until the test opens the gate (long after the timeout) */
    t_tm_req_init(&held, 0, (t_tm_opts_t){.sh = sh, .flags = TM_F_WAIT_GATE | TM_F_LOG, .tag = 1});
    for (int i = 0; i < BEHIND; i++)
        t_tm_req_init(&behind[i], 0,
                      (t_tm_opts_t){.sh = sh, .flags = TM_F_LOG, .tag = (uint64_t)i + 2,
                                    .status = i == 1 ? NRT_EXEC_COMPLETED_WITH_ERR : NRT_SUCCESS});
    nrta_seq_t h, b[BEHIND];
    int fd_h, fd_b[BEHIND];
    ASSERT_OK(nrta_execute_schedule(m0, held.in, held.out, 0, et, &h));
    for (int i = 0; i < BEHIND; i++) {
        ASSERT_OK(nrta_execute_schedule(m0, behind[i].in, behind[i].out, 0, et, &b[i]));
        ASSERT_OK(nrta_get_completion_handle(b[i], &fd_b[i]));
    }
    ASSERT_OK(nrta_get_completion_handle(h, &fd_h));
    T_WAIT_UNTIL(atomic_load(&sh->started) == 1);

    /* the watchdog completes the hung request... */
    t_fd_wait(fd_h);
    ASSERT_TRUE(t_done(h));
    for (int i = 0; i < BEHIND; i++) {
        t_fd_wait(fd_b[i]);
        ASSERT_TRUE(t_done(b[i]));
    }
    /* ...while the model is still inside: nothing behind it ran */
    ASSERT_EQ_U64(atomic_load(&sh->started), 1);
    ASSERT_EQ_U64(atomic_load(&sh->finished), 0);
    nrta_error_t got[8];
    ASSERT_EQ_U64(t_drain(et, got, 8), 1 + BEHIND);
    ASSERT_SEQ(got[0].seq_id, h);
    ASSERT_EQ_U64(got[0].error_code, NRT_TIMEOUT);
    for (int i = 0; i < BEHIND; i++) {
        ASSERT_SEQ(got[1 + i].seq_id, b[i]);
        ASSERT_EQ_U64(got[1 + i].error_code, NRT_EXEC_UNIT_UNRECOVERABLE);
        ASSERT_TRUE(t_zero(behind[i].y, TM_N * 4));
    }
    ASSERT_EQ_U64(t_completed(0, NRTA_XU_COMPUTE, 0), 1 + BEHIND);
    nrtx_queue_stats_t st = t_stats(0, NRTA_XU_COMPUTE, 0);
    ASSERT_TRUE(st.degraded);
    ASSERT_EQ_U64(st.submitted, 1 + BEHIND);

    /* the unit refuses new work, consuming no id */
    nrta_seq_t s = 0;
    for (int i = 0; i < 3; i++)
        ASSERT_ST(nrta_execute_schedule(m0, behind[0].in, behind[0].out, 0, et, &s), NRT_EXEC_UNIT_UNRECOVERABLE);
    ASSERT_ST(nrt_execute(m0, behind[0].in, behind[0].out), NRT_EXEC_UNIT_UNRECOVERABLE);
    ASSERT_EQ_U64(t_stats(0, NRTA_XU_COMPUTE, 0).submitted, 1 + BEHIND);
    bool d;
    ASSERT_ST(nrta_is_completed(t_seq(0, NRTA_XU_COMPUTE, 0, 2 + BEHIND), &d), NRT_INVALID);
    ASSERT_EQ_U64(t_drain(et, got, 8), 0);
    /* completion queries on the degraded unit still work */
    ASSERT_SEQ(t_seq(0, NRTA_XU_COMPUTE, 0, t_completed(0, NRTA_XU_COMPUTE, 0)), b[BEHIND - 1]);
    int fd;
    ASSERT_OK(nrta_get_completion_handle(h, &fd));
    ASSERT_TRUE(t_fd_ready(fd));
    close(fd);

    if (full_checks)
        other_units_work(m1);

    /* release the hung model and let it return before closing */
    t_gate(sh, 1);
    T_WAIT_UNTIL(atomic_load(&sh->finished) == 1);
    ASSERT_EQ_U64(atomic_load(&sh->gave_up), 0);
    ASSERT_EQ_U64(atomic_load(&sh->started), 1);
    /* still degraded: terminal */
    ASSERT_ST(nrta_execute_schedule(m0, behind[0].in, behind[0].out, 0, et, &s), NRT_EXEC_UNIT_UNRECOVERABLE);
    if (full_checks)
        other_units_work(m1);
    close(fd_h);
    for (int i = 0; i < BEHIND; i++)
        close(fd_b[i]);
    t_tm_req_free(&held);
    for (int i = 0; i < BEHIND; i++)
        t_tm_req_free(&behind[i]);
    nrta_error_tracker_destroy(et);
    ASSERT_OK(nrt_unload(m0));
    ASSERT_OK(nrt_unload(m1));
    /* the abandoned worker dropped the hung request's references: it is
     * gone, and nrt_close can release everything (no leak under ASan) */
    T_WAIT_UNTIL(mem_used(0) == base);
    free(sh);
}

int main(void)
{
    t_setenv("NEURON_RT_EXEC_TIMEOUT", NULL);
    t_setenv("OPENNRT_EXEC_TIMEOUT_MS", "200");
    t_init();
    hang(true);
    nrt_close();

    /* a new runtime starts with healthy units */
    t_setenv("OPENNRT_EXEC_TIMEOUT_MS", NULL);
    t_setenv("NEURON_RT_EXEC_TIMEOUT", "1");
    t_init();
    nrtx_config_t cfg;
    ASSERT_OK(nrtx_get_config(&cfg));
    ASSERT_EQ_U64(cfg.exec_timeout_s, 1);
    ASSERT_TRUE(!t_stats(0, NRTA_XU_COMPUTE, 0).degraded);
    hang(false);
    nrt_close();
    t_setenv("NEURON_RT_EXEC_TIMEOUT", NULL);
    printf("async_timeout ok\n");
    return 0;
}
