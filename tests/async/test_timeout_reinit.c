/*
 * A worker abandoned by the exec timeout comes back after nrt_close and a
 * new nrt_init (issue 11, defect 11): it must not read or write anything
 * the new runtime set up (configuration, pool, queues, log level), and the
 * new runtime works meanwhile. The races are what ThreadSanitizer checks
 * in the TSan build; every build checks the behaviour:
 *
 *  - a kernel hangs past the timeout; nrt_close; nrt_init with other
 *    settings (queues, depth, workers, timeout, log level);
 *  - the kernel returns while the new runtime runs requests on every unit
 *    of the same core, and they all succeed;
 *  - nrt_init called while that runtime runs fails and changes nothing
 *    (not even the log level);
 *  - queue statistics never show more completed than submitted requests,
 *    sampled while requests complete.
 */
#include "async_util.h"

static tm_shared_t *sh;

static void first_runtime(void)
{
    t_setenv("OPENNRT_EXEC_TIMEOUT_MS", "200");
    t_setenv("NEURON_RT_LOG_LEVEL", "ERROR");
    t_init();
    nrt_model_t *m = t_tm_load(0);
    t_tm_req_t r;
    t_tm_req_init(&r, 0, (t_tm_opts_t){.sh = sh, .flags = TM_F_WAIT_GATE, .tag = 5, .max_wait_ms = 100000});
    nrta_seq_t s;
    ASSERT_OK(nrta_execute_schedule(m, r.in, r.out, 0, NULL, &s));
    t_wait(s);
    ASSERT_EQ_U64(atomic_load(&sh->finished), 0);
    ASSERT_OK(nrt_unload(m)); /* the hung execution keeps its own references */
    t_tm_req_free(&r);
    nrt_close();
}

typedef struct sampler {
    _Atomic bool stop;
    _Atomic uint64_t samples, bad;
} sampler_t;

static void *sample_stats(void *arg)
{
    sampler_t *sp = arg;
    while (!atomic_load(&sp->stop)) {
        nrtx_queue_stats_t st;
        ASSERT_OK(nrtx_get_queue_stats(0, NRTA_XU_TENSOR_WRITE, 1, &st));
        if (st.completed > st.submitted)
            atomic_fetch_add(&sp->bad, 1);
        atomic_fetch_add(&sp->samples, 1);
    }
    return NULL;
}

int main(void)
{
    sh = t_shared_new();
    first_runtime();

    /* A new runtime with other settings, the old kernel still inside. */
    t_setenv("OPENNRT_EXEC_TIMEOUT_MS", "30000");
    t_setenv("OPENNRT_QUEUES", "2");
    t_setenv("OPENNRT_QUEUE_DEPTH", "16");
    t_setenv("OPENNRT_WORKERS", "2");
    t_setenv("NEURON_RT_LOG_LEVEL", "WARN");
    t_init();
    nrtx_config_t cfg;
    ASSERT_OK(nrtx_get_config(&cfg));
    ASSERT_EQ_U64(cfg.log_level, 2); /* WARN */
    ASSERT_EQ_U64(cfg.queue_depth, 16);

    /* nrt_init while running: refused, and nothing changes. */
    t_setenv("NEURON_RT_LOG_LEVEL", "TRACE");
    t_setenv("OPENNRT_QUEUE_DEPTH", "64");
    ASSERT_ST(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""), NRT_FAILURE);
    nrtx_config_t again;
    ASSERT_OK(nrtx_get_config(&again));
    ASSERT_EQ_U64(again.log_level, 2);
    ASSERT_EQ_U64(again.queue_depth, 16);

    nrt_model_t *m = t_tm_load(0);
    nrt_tensor_t *t;
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, 4096, "t", &t));
    static unsigned char in[4096], out[4096];
    for (int i = 0; i < 4096; i++)
        in[i] = (unsigned char)(i * 7 + 3);
    sampler_t sp = {0};
    pthread_t th;
    ASSERT_TRUE(pthread_create(&th, NULL, sample_stats, &sp) == 0);

    /* The old kernel returns now, while this runtime works. */
    t_gate(sh, 1);
    t_tm_req_t r;
    t_tm_req_init(&r, 0, (t_tm_opts_t){.tag = 9});
    for (int i = 0; i < 200; i++) {
        nrta_seq_t w, rd, x;
        ASSERT_OK(nrta_tensor_write(t, in, 0, sizeof in, 1, NULL, &w));
        ASSERT_OK(nrta_execute_schedule(m, r.in, r.out, 0, NULL, &x));
        t_wait(w);
        ASSERT_OK(nrta_tensor_read(out, t, 0, sizeof out, 0, NULL, &rd));
        t_wait(rd);
        t_wait(x);
        ASSERT_TRUE(memcmp(in, out, sizeof in) == 0);
    }
    T_WAIT_UNTIL(atomic_load(&sh->finished) == 1);
    t_tm_check_y(r.y, 9);
    atomic_store(&sp.stop, true);
    pthread_join(th, NULL);
    printf("timeout_reinit: %llu stats samples, %llu with completed > submitted\n",
           (unsigned long long)atomic_load(&sp.samples), (unsigned long long)atomic_load(&sp.bad));
    ASSERT_EQ_U64(atomic_load(&sp.bad), 0);
    for (uint32_t xu = 0; xu < NRTA_XU_TYPE_NUM; xu++)
        ASSERT_TRUE(!t_stats(0, (nrta_xu_t)xu, 0).degraded);

    t_tm_req_free(&r);
    nrt_tensor_free(&t);
    ASSERT_OK(nrt_unload(m));
    nrt_close();
    free(sh);
    printf("timeout_reinit: ok\n");
    return 0;
}
