/*
 * Timeouts follow CLOCK_MONOTONIC, never the wall clock (issue 11,
 * defect 3). Stepping the real system clock is not possible in a test, so
 * this program defines clock_gettime itself: the library (linked
 * dynamically) binds to it, and CLOCK_REALTIME readings get an offset the
 * test changes while requests run. The kernel's own idea of
 * CLOCK_REALTIME (absolute timed waits) stays the true one, so a library
 * deadline computed from a reading is off by the offset: exactly what a
 * clock step between the reading and the wait does.
 *
 *  - a kernel hangs; the wall clock steps back one hour: the exec timeout
 *    (300 ms) still fires;
 *  - nrt_close, with the hung kernel's worker still inside it and the
 *    wall clock one hour off, returns promptly (it gives such a worker a
 *    second; on the wall clock that second lasted an hour).
 */
#include "async_util.h"

#include <signal.h>
#include <sys/syscall.h>
#include <time.h>

static _Atomic int64_t realtime_offset_s;

/* Default visibility (the build hides symbols) and exported from the
 * executable (CMakeLists.txt), so the library binds to this one. */
__attribute__((visibility("default"))) int clock_gettime(clockid_t id, struct timespec *ts);
int clock_gettime(clockid_t id, struct timespec *ts)
{
    long r = syscall(SYS_clock_gettime, id, ts);
    if (r == 0 && id == CLOCK_REALTIME)
        ts->tv_sec += (time_t)atomic_load(&realtime_offset_s);
    return (int)r;
}

#define BOUND_S 20

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "timeout_clock: a wait followed the wall clock (no progress in 20 s)\n";
    if (write(2, msg, sizeof msg - 1) < 0) {
    }
    _exit(1);
}

int main(void)
{
    t_setenv("OPENNRT_EXEC_TIMEOUT_MS", "300");
    signal(SIGALRM, on_alarm);
    t_init();
    tm_shared_t *sh = t_shared_new();
    nrt_model_t *m = t_tm_load(0);
    nrta_error_tracker_t *et;
    ASSERT_OK(nrta_error_tracker_create(0, &et));
    t_tm_req_t held;
    t_tm_req_init(&held, 0, (t_tm_opts_t){.sh = sh, .flags = TM_F_WAIT_GATE, .tag = 1, .max_wait_ms = 100000});
    nrta_seq_t h;
    ASSERT_OK(nrta_execute_schedule(m, held.in, held.out, 0, et, &h));
    T_WAIT_UNTIL(atomic_load(&sh->started) == 1);

    /* The wall clock steps back one hour while the kernel runs. */
    atomic_store(&realtime_offset_s, -3600);
    alarm(BOUND_S);
    int fd;
    ASSERT_OK(nrta_get_completion_handle(h, &fd));
    t_fd_wait_done(fd, h);
    close(fd);
    alarm(0);
    nrta_error_t e[2];
    ASSERT_EQ_U64(t_drain(et, e, 2), 1);
    ASSERT_EQ_U64(e[0].error_code, NRT_TIMEOUT);
    ASSERT_EQ_U64(atomic_load(&sh->finished), 0);
    printf("timeout_clock: the exec timeout fired with the wall clock an hour back\n");

    /* nrt_close with the worker still inside the kernel, the wall clock
     * stepped the other way. */
    nrta_error_tracker_destroy(et);
    ASSERT_OK(nrt_unload(m));
    t_tm_req_free(&held);
    atomic_store(&realtime_offset_s, 3600);
    alarm(BOUND_S);
    nrt_close();
    alarm(0);
    printf("timeout_clock: nrt_close returned with a worker stuck and the wall clock an hour off\n");
    atomic_store(&realtime_offset_s, 0);

    t_gate(sh, 1);
    T_WAIT_UNTIL(atomic_load(&sh->finished) == 1);
    free(sh);
    printf("timeout_clock: ok\n");
    return 0;
}
