/*
 * A replacement worker that cannot start must not leave requests hanging
 * (issue 11, defect 2). One worker (OPENNRT_WORKERS=1) is stuck in a kernel
 * past the exec timeout; every later thread creation fails (this test
 * links the static archive with -Wl,--wrap=pthread_create, so the
 * library's own pthread_create calls come here). The requests queued
 * behind the hung one must still complete with NRT_EXEC_UNIT_UNRECOVERABLE
 * and their completion fds become readable; then the kernel returns and
 * nrt_close is clean.
 *
 * Public API only, apart from the wrapped pthread_create.
 */
#include "async_util.h"

static _Atomic bool refuse_threads;
static _Atomic unsigned refused;

int __real_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg);

int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg);
int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg)
{
    if (atomic_load(&refuse_threads)) {
        atomic_fetch_add(&refused, 1);
        return EAGAIN;
    }
    return __real_pthread_create(t, a, fn, arg);
}

#define BEHIND 3
#define BOUND_MS 30000

/* Waits at most BOUND_MS for the completion handle |fd| of |seq|. */
static void fd_wait_bounded(int fd, nrta_seq_t seq)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r;
    do
        r = poll(&p, 1, BOUND_MS);
    while (r < 0 && errno == EINTR);
    if (r != 1) {
        fprintf(stderr, "request 0x%016llx did not complete within %d ms\n", (unsigned long long)seq, BOUND_MS);
        abort();
    }
    ASSERT_TRUE(t_done(seq));
}

int main(void)
{
    t_setenv("OPENNRT_WORKERS", "1");
    t_setenv("OPENNRT_EXEC_TIMEOUT_MS", "200");
    t_setenv("OPENNRT_HELP_US", "0"); /* waiters never run requests themselves */
    t_init();
    tm_shared_t *sh = t_shared_new();
    nrt_model_t *m = t_tm_load(0);
    nrta_error_tracker_t *et;
    ASSERT_OK(nrta_error_tracker_create(0, &et));

    /* Start the pool (its worker and monitor) while threads can start. */
    t_tm_req_t warm;
    t_tm_req_init(&warm, 0, (t_tm_opts_t){.tag = 7});
    nrta_seq_t s;
    ASSERT_OK(nrta_execute_schedule(m, warm.in, warm.out, 0, et, &s));
    t_wait(s);
    t_tm_check_y(warm.y, 7);

    /* From now on no thread starts. */
    atomic_store(&refuse_threads, true);
    t_tm_req_t held, behind[BEHIND];
    /* Held well past the bound of the waits below (a hang must fail the
     * test, not end when the model gives up on its gate). */
    t_tm_req_init(&held, 0, (t_tm_opts_t){.sh = sh, .flags = TM_F_WAIT_GATE, .tag = 1, .max_wait_ms = 100000});
    for (int i = 0; i < BEHIND; i++)
        t_tm_req_init(&behind[i], 0, (t_tm_opts_t){.sh = sh, .tag = (uint64_t)i + 2});
    nrta_seq_t h, b[BEHIND];
    int fd_h, fd_b[BEHIND];
    ASSERT_OK(nrta_execute_schedule(m, held.in, held.out, 0, et, &h));
    ASSERT_OK(nrta_get_completion_handle(h, &fd_h));
    for (int i = 0; i < BEHIND; i++) {
        ASSERT_OK(nrta_execute_schedule(m, behind[i].in, behind[i].out, 0, et, &b[i]));
        ASSERT_OK(nrta_get_completion_handle(b[i], &fd_b[i]));
    }
    T_WAIT_UNTIL(atomic_load(&sh->started) == 1);

    /* The only worker is stuck; a replacement cannot start. Everything
     * still completes (bounded waits: a hang aborts the test). */
    fd_wait_bounded(fd_h, h);
    for (int i = 0; i < BEHIND; i++)
        fd_wait_bounded(fd_b[i], b[i]);
    ASSERT_EQ_U64(atomic_load(&sh->started), 1);
    nrta_error_t got[8];
    ASSERT_EQ_U64(t_drain(et, got, 8), 1 + BEHIND);
    ASSERT_SEQ(got[0].seq_id, h);
    ASSERT_EQ_U64(got[0].error_code, NRT_TIMEOUT);
    for (int i = 0; i < BEHIND; i++) {
        ASSERT_SEQ(got[1 + i].seq_id, b[i]);
        ASSERT_EQ_U64(got[1 + i].error_code, NRT_EXEC_UNIT_UNRECOVERABLE);
        ASSERT_TRUE(t_zero(behind[i].y, TM_N * 4));
    }
    ASSERT_TRUE(atomic_load(&refuse_threads));
    printf("spawn_fail: %u thread starts refused; all %d requests completed\n", atomic_load(&refused),
           1 + BEHIND);
    for (int i = 0; i < BEHIND; i++)
        close(fd_b[i]);
    close(fd_h);

    /* Let the kernel return and threads start again; close cleanly. */
    atomic_store(&refuse_threads, false);
    t_gate(sh, 1);
    T_WAIT_UNTIL(atomic_load(&sh->finished) == 1);
    t_tm_req_free(&held);
    for (int i = 0; i < BEHIND; i++)
        t_tm_req_free(&behind[i]);
    t_tm_req_free(&warm);
    nrta_error_tracker_destroy(et);
    ASSERT_OK(nrt_unload(m));
    nrt_close();
    free(sh);
    printf("spawn_fail: ok\n");
    return 0;
}
