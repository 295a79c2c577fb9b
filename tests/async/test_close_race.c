/*
 * nrt_close racing the last release: a queued execution holds the only
 * remaining references to its model (unloaded), its tensors' storage
 * (freed) and its error tracker (destroyed). nrt_close runs on another
 * thread while the kernel is still blocked; when the test opens the gate,
 * the worker completes the request and releases those last references
 * while nrt_close is waiting for the queues. Neither may wait for the
 * other (nrt_close drops the runtime lock while queues drain).
 */
#include "async_util.h"

static _Atomic int closed;

static void *closer(void *arg)
{
    (void)arg;
    nrt_close();
    atomic_store(&closed, 1);
    return NULL;
}

int main(void)
{
    for (int round = 0; round < 3; round++) {
        atomic_store(&closed, 0);
        t_init();
        tm_shared_t *sh = t_shared_new();
        nrt_model_t *m = t_tm_load(0);
        t_tm_req_t r;
        t_tm_req_init(&r, 0, (t_tm_opts_t){.sh = sh, .flags = TM_F_WAIT_GATE, .tag = 3, .ticket = 1});
        nrta_error_tracker_t *et;
        ASSERT_OK(nrta_error_tracker_create(0, &et));
        nrta_seq_t seq;
        ASSERT_OK(nrta_execute_schedule(m, r.in, r.out, 0, et, &seq));
        T_WAIT_UNTIL(atomic_load(&sh->started) == 1);
        /* Drop every application reference: the request holds the rest. */
        ASSERT_OK(nrt_unload(m));
        nrta_error_tracker_destroy(et);
        t_tm_req_free(&r);

        pthread_t th;
        ASSERT_TRUE(pthread_create(&th, NULL, closer, NULL) == 0);
        /* Let nrt_close reach its wait (not required for correctness: the
         * test passes either way, it only makes the race likely). */
        usleep(round * 20000);
        ASSERT_TRUE(atomic_load(&closed) == 0);
        t_gate(sh, 1);
        T_WAIT_UNTIL(atomic_load(&closed) == 1);
        ASSERT_TRUE(pthread_join(th, NULL) == 0);
        ASSERT_EQ_U64(atomic_load(&sh->finished), 1);
        free(sh);
    }
    printf("close_race: ok\n");
    return 0;
}
