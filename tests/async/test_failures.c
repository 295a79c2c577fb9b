/*
 * Failures after acceptance: an execution whose model returns an error
 * puts (seq, that status) in the tracker; with OPENNRT_NAN_CHECK=1 an
 * output holding NaN/Inf completes with NRT_EXEC_COMPLETED_WITH_NUM_ERR
 * (and with the check off, no error). Neither degrades the unit.
 */
#include "async_util.h"

#include <math.h>

static nrta_seq_t sched(nrt_model_t *m, t_tm_req_t *r, nrta_error_tracker_t *et)
{
    nrta_seq_t s;
    ASSERT_OK(nrta_execute_schedule(m, r->in, r->out, 0, et, &s));
    return s;
}

static void model_errors(void)
{
    nrt_model_t *m = t_tm_load(1);
    nrta_error_tracker_t *et;
    ASSERT_OK(nrta_error_tracker_create(1, &et));
    static const NRT_STATUS codes[] = {NRT_EXEC_COMPLETED_WITH_ERR, NRT_EXEC_OOB, NRT_FAILURE,
                                       NRT_EXEC_HW_ERR_HBM_UE, NRT_TIMEOUT, NRT_EXEC_COMPLETED_WITH_NUM_ERR};
    enum { NC = sizeof codes / sizeof codes[0] };
    t_tm_req_t r[NC], ok;
    nrta_seq_t s[NC], okseq[NC];
    t_tm_req_init(&ok, 1, (t_tm_opts_t){.tag = 50});
    for (int i = 0; i < NC; i++) {
        t_tm_req_init(&r[i], 1, (t_tm_opts_t){.status = (uint64_t)codes[i], .tag = (uint64_t)i});
        s[i] = sched(m, &r[i], et);
        okseq[i] = sched(m, &ok, et); /* the unit goes on */
    }
    t_wait(okseq[NC - 1]);
    nrta_error_t got[NC + 1];
    ASSERT_EQ_U64(t_drain(et, got, NC + 1), NC);
    for (int i = 0; i < NC; i++) {
        ASSERT_SEQ(got[i].seq_id, s[i]);
        ASSERT_EQ_U64(got[i].error_code, codes[i]);
        t_tm_check_y(r[i].y, (uint64_t)i); /* it ran */
    }
    t_tm_check_y(ok.y, 50);
    nrtx_queue_stats_t st = t_stats(1, NRTA_XU_COMPUTE, 0);
    ASSERT_EQ_U64(st.errors, NC);
    ASSERT_TRUE(!st.degraded);
    /* synchronous: the status is the return value, no tracker involved */
    ASSERT_ST(nrt_execute(m, r[1].in, r[1].out), NRT_EXEC_OOB);
    ASSERT_OK(nrt_execute(m, ok.in, ok.out));
    ASSERT_EQ_U64(t_drain(et, got, NC + 1), 0);
    for (int i = 0; i < NC; i++)
        t_tm_req_free(&r[i]);
    t_tm_req_free(&ok);
    nrta_error_tracker_destroy(et);
    ASSERT_OK(nrt_unload(m));
}

/* |on|: OPENNRT_NAN_CHECK=1 is in effect. */
static void nan_outputs(bool on)
{
    nrtx_config_t cfg;
    ASSERT_OK(nrtx_get_config(&cfg));
    ASSERT_TRUE(cfg.nan_check == on);
    nrt_model_t *m = t_tm_load(0);
    nrta_error_tracker_t *et;
    ASSERT_OK(nrta_error_tracker_create(0, &et));
    t_tm_req_t clean, nan, inf, nan_err;
    t_tm_req_init(&clean, 0, (t_tm_opts_t){.tag = 1});
    t_tm_req_init(&nan, 0, (t_tm_opts_t){.flags = TM_F_NAN, .tag = 2});
    t_tm_req_init(&inf, 0, (t_tm_opts_t){.flags = TM_F_INF, .tag = 3});
    t_tm_req_init(&nan_err, 0, (t_tm_opts_t){.flags = TM_F_NAN, .status = NRT_EXEC_COMPLETED_WITH_ERR});
    nrta_seq_t a = sched(m, &clean, et), b = sched(m, &nan, et), c = sched(m, &inf, et), d = sched(m, &clean, et),
               e = sched(m, &nan_err, et);
    t_wait(e);
    nrta_error_t got[8];
    size_t n = t_drain(et, got, 8);
    if (on) {
        ASSERT_EQ_U64(n, 3);
        ASSERT_SEQ(got[0].seq_id, b);
        ASSERT_EQ_U64(got[0].error_code, NRT_EXEC_COMPLETED_WITH_NUM_ERR);
        ASSERT_SEQ(got[1].seq_id, c);
        ASSERT_EQ_U64(got[1].error_code, NRT_EXEC_COMPLETED_WITH_NUM_ERR);
        /* the model's own error is what is reported (one entry per request) */
        ASSERT_SEQ(got[2].seq_id, e);
        ASSERT_EQ_U64(got[2].error_code, NRT_EXEC_COMPLETED_WITH_ERR);
    } else {
        ASSERT_EQ_U64(n, 1);
        ASSERT_SEQ(got[0].seq_id, e);
        ASSERT_EQ_U64(got[0].error_code, NRT_EXEC_COMPLETED_WITH_ERR);
    }
    (void)a;
    (void)d;
    /* the outputs are there either way */
    float y[TM_N];
    ASSERT_OK(nrt_tensor_read(nan.y, y, 0, sizeof y));
    ASSERT_TRUE(y[3] != y[3] && y[0] == 2.0f);
    t_tm_check_y(clean.y, 1);
    ASSERT_TRUE(!t_stats(0, NRTA_XU_COMPUTE, 0).degraded);
    /* synchronous */
    ASSERT_ST(nrt_execute(m, nan.in, nan.out), on ? NRT_EXEC_COMPLETED_WITH_NUM_ERR : NRT_SUCCESS);
    ASSERT_OK(nrt_execute(m, clean.in, clean.out));

    /* a real model: vadd of inputs holding NaN */
    enum { N = 1024 * 1024 };
    nrt_model_t *v = t_load_model("vadd", 0);
    nrt_tensor_t *ta, *tb, *tc;
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, N * 4, "a", &ta));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, N * 4, "b", &tb));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, N * 4, "c", &tc));
    nrt_tensor_set_t *in, *out;
    ASSERT_OK(nrt_allocate_tensor_set(&in));
    ASSERT_OK(nrt_allocate_tensor_set(&out));
    ASSERT_OK(nrt_add_tensor_to_tensor_set(in, "a", ta));
    ASSERT_OK(nrt_add_tensor_to_tensor_set(in, "b", tb));
    ASSERT_OK(nrt_add_tensor_to_tensor_set(out, "c", tc));
    nrta_seq_t s1, s2, s3;
    ASSERT_OK(nrta_execute_schedule(v, in, out, 0, et, &s1)); /* zeros: clean */
    t_wait(s1); /* units are not ordered with each other */
    float bad = NAN;
    ASSERT_OK(nrta_tensor_write(ta, &bad, (N - 1) * 4, 4, 0, et, &s2));
    t_wait(s2);
    ASSERT_OK(nrta_execute_schedule(v, in, out, 0, et, &s3));
    t_wait(s3);
    n = t_drain(et, got, 8);
    if (on) {
        ASSERT_EQ_U64(n, 1);
        ASSERT_SEQ(got[0].seq_id, s3);
        ASSERT_EQ_U64(got[0].error_code, NRT_EXEC_COMPLETED_WITH_NUM_ERR);
    } else {
        ASSERT_EQ_U64(n, 0);
    }
    (void)s1;
    nrt_destroy_tensor_set(&in);
    nrt_destroy_tensor_set(&out);
    nrt_tensor_free(&ta);
    nrt_tensor_free(&tb);
    nrt_tensor_free(&tc);
    ASSERT_OK(nrt_unload(v));
    t_tm_req_free(&clean);
    t_tm_req_free(&nan);
    t_tm_req_free(&inf);
    t_tm_req_free(&nan_err);
    nrta_error_tracker_destroy(et);
    ASSERT_OK(nrt_unload(m));
}

int main(void)
{
    t_setenv("OPENNRT_NAN_CHECK", NULL);
    t_init();
    model_errors();
    nan_outputs(false); /* off by default */
    nrt_close();

    t_setenv("OPENNRT_NAN_CHECK", "1");
    t_init();
    nan_outputs(true);
    model_errors();
    nrt_close();

    t_setenv("OPENNRT_NAN_CHECK", "0");
    t_init();
    nan_outputs(false);
    nrt_close();

    t_setenv("OPENNRT_NAN_CHECK", "2");
    ASSERT_ST(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""), NRT_INVALID);
    t_setenv("OPENNRT_NAN_CHECK", NULL);
    printf("async_failures ok\n");
    return 0;
}
