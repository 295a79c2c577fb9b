/*
 * Queue independence: a kernel that blocks on COMPUTE must not hold up
 * reads, writes and copies on the other units, whatever the size of the
 * worker pool. Deterministic: each blocked kernel waits on a gate that the
 * test opens only after every other request has completed; if the others
 * could not run while the kernels block, the bounded waits abort the test
 * (no timing is asserted).
 *
 * Runs with OPENNRT_WORKERS=1 (more blocked kernels than workers: the pool
 * must add workers), 2, and the default.
 */
#include "async_util.h"

#define NCORES 2

static void run_case(const char *workers)
{
    t_setenv("OPENNRT_WORKERS", workers);
    t_setenv("NEURON_RT_NUM_CORES", "2");
    t_init();
    tm_shared_t *sh = t_shared_new();
    nrt_model_t *m[NCORES];
    t_tm_req_t blocked[NCORES];
    nrta_seq_t exec_seq[NCORES];
    for (int c = 0; c < NCORES; c++) {
        m[c] = t_tm_load(c);
        t_tm_req_init(&blocked[c], c, (t_tm_opts_t){.sh = sh, .flags = TM_F_WAIT_GATE, .tag = 7, .ticket = 1});
        ASSERT_OK(nrta_execute_schedule(m[c], blocked[c].in, blocked[c].out, 0, NULL, &exec_seq[c]));
    }
    /* Both kernels are inside execute() now, occupying a worker each. */
    T_WAIT_UNTIL(atomic_load(&sh->started) == NCORES);

    /* Every other unit of both cores still works. */
    enum { N = 4096 };
    static unsigned char src[N], dst[N];
    for (int i = 0; i < N; i++)
        src[i] = (unsigned char)(i * 7 + 1);
    for (int c = 0; c < NCORES; c++) {
        nrt_tensor_t *a, *b;
        ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, c, N, "a", &a));
        ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, c, N, "b", &b));
        for (int q = 0; q < 2; q++) {
            nrta_seq_t w, cp, r;
            memset(dst, 0, sizeof dst);
            ASSERT_OK(nrta_tensor_write(a, src, 0, N, q, NULL, &w));
            t_wait(w);
            ASSERT_OK(nrta_tensor_copy(a, 0, b, 0, N, q, NULL, &cp));
            t_wait(cp);
            ASSERT_OK(nrta_tensor_read(dst, b, 0, N, q, NULL, &r));
            t_wait(r);
            ASSERT_TRUE(memcmp(src, dst, N) == 0);
        }
        nrt_tensor_free(&a);
        nrt_tensor_free(&b);
    }
    /* The kernels are still blocked: nothing above waited for them. */
    for (int c = 0; c < NCORES; c++)
        ASSERT_TRUE(!t_done(exec_seq[c]));
    ASSERT_EQ_U64(atomic_load(&sh->finished), 0);

    t_gate(sh, 1);
    for (int c = 0; c < NCORES; c++) {
        t_wait(exec_seq[c]);
        t_tm_check_y(blocked[c].y, 7);
        t_tm_req_free(&blocked[c]);
        ASSERT_OK(nrt_unload(m[c]));
    }
    ASSERT_EQ_U64(atomic_load(&sh->gave_up), 0);
    nrt_close();
    free(sh);
}

int main(void)
{
    run_case("1");
    run_case("2");
    run_case(NULL);
    printf("independence: ok\n");
    return 0;
}
