/*
 * src/xu/watchdog.c - the exec timeout.
 *
 * One thread scans the queues every min(timeout / 4, 100 ms) (1 ms at
 * least) on CLOCK_MONOTONIC. A request running longer than the timeout is
 * told to stop: a cancellable op (copies) notices at its next chunk and
 * completes itself with NRT_TIMEOUT; for any other op (a kernel, which
 * cannot be interrupted) the watchdog takes the request over: it records
 * NRT_TIMEOUT, degrades the unit, publishes the completion and flushes the
 * rest of the strand itself with NRT_EXEC_UNIT_UNRECOVERABLE (no worker
 * needed: the pool's may all be stuck and a replacement may not start);
 * each scan also flushes queued strands of degraded units. The hung
 * runner keeps the request's references and slot until its kernel returns
 * (so the kernel never sees freed memory), then lets go.
 *
 * Lock: wd.lock guards the watchdog's own start/stop; scanning takes none.
 */
#include <pthread.h>
#include <time.h>

#include "core/core.h"
#include "xu/xu.h"

static struct {
    pthread_t thread;
    bool running;
    bool stop;
    uint64_t timeout_ns;
    pthread_mutex_t lock;
    pthread_cond_t cond;
} wd = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void take_over(nrt__queue_t *q, uint64_t pos)
{
    nrt__op_t *op = nrt__queue_op(q, pos); /* references stay the runner's */
    LOG_ERROR("request %llu on core %u unit %s queue %u exceeded the exec timeout (%llu ms)",
              (unsigned long long)(pos + 1), q->lnc, nrt__xu_names[q->xu], q->index,
              (unsigned long long)(wd.timeout_ns / 1000000));
    nrt__queue_degrade(q, NRT_TIMEOUT, pos + 1);
    atomic_fetch_add_explicit(&q->busy_ns, nrt__now_ns() - atomic_load(&q->run_start_ns), memory_order_relaxed);
    nrt__queue_record(q, pos, op, NRT_TIMEOUT);
    q->leaked = true;
    atomic_fetch_add_explicit(&q->abandoned, 1, memory_order_relaxed);
    /* The strand is ours now. */
    q->head = pos + 1;
    /* Release: the runner may now drop its references and free the slot. */
    atomic_store_explicit(&q->run_token, NRT__RUN_TOKEN(pos, NRT__RUN_TAKEN, false), memory_order_release);
    nrt__queue_publish(q, pos, false);
    /* Flush what is queued behind right here (the unit is degraded: each
     * request completes at once without running) rather than hand the
     * strand to the pool: the pool's workers may all be stuck like this
     * one, and a replacement may fail to start. */
    nrt__strand_run(q, UINT32_MAX, 0);
}

static void scan(uint64_t timeout_ns)
{
    uint64_t now = nrt__now_ns();
    for (uint32_t c = 0; c < nrt__rt.cfg.num_cores; c++)
        for (uint32_t xu = 0; xu < NRTA_XU_TYPE_NUM; xu++) {
            nrt__unit_t *u = &nrt__rt.cores[c].units[xu];
            bool degraded = atomic_load_explicit(&u->degraded, memory_order_relaxed);
            for (uint32_t i = 0; i < u->nqueues; i++) {
                nrt__queue_t *q = &u->queues[i];
                /* Requests of a degraded unit need no worker to complete:
                 * strands still waiting for one (every worker busy or
                 * stuck, none startable) are flushed here. */
                if (degraded)
                    nrt__queue_flush_degraded(q);
                uint64_t tok = atomic_load_explicit(&q->run_token, memory_order_acquire);
                if ((tok & 3) != NRT__RUN_RUNNING)
                    continue;
                uint64_t start = atomic_load_explicit(&q->run_start_ns, memory_order_relaxed);
                if (now < start || now - start < timeout_ns)
                    continue;
                uint64_t pos = tok >> 3;
                bool cancellable = (tok & NRT__RUN_CANCELLABLE) != 0;
                if (!atomic_compare_exchange_strong_explicit(&q->run_token, &tok,
                                                             NRT__RUN_TOKEN(pos, NRT__RUN_TIMED_OUT, cancellable),
                                                             memory_order_acq_rel,
                                                             memory_order_relaxed))
                    continue;
                if (cancellable)
                    LOG_ERROR("request %llu on core %u unit %s queue %u exceeded the exec timeout (%llu ms); "
                              "stopping it",
                              (unsigned long long)(pos + 1), q->lnc, nrt__xu_names[q->xu], q->index,
                              (unsigned long long)(timeout_ns / 1000000));
                else
                    take_over(q, pos);
            }
        }
}

static void *watchdog_main(void *arg)
{
    (void)arg;
    uint64_t timeout = wd.timeout_ns;
    uint64_t period = timeout / 4;
    if (period > 100000000ull)
        period = 100000000ull;
    if (period < 1000000ull)
        period = 1000000ull;
    pthread_mutex_lock(&wd.lock);
    while (!wd.stop) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t ns = (uint64_t)ts.tv_nsec + period;
        ts.tv_sec += (time_t)(ns / 1000000000ull);
        ts.tv_nsec = (long)(ns % 1000000000ull);
        pthread_cond_timedwait(&wd.cond, &wd.lock, &ts);
        if (wd.stop)
            break;
        pthread_mutex_unlock(&wd.lock);
        scan(timeout);
        pthread_mutex_lock(&wd.lock);
    }
    pthread_mutex_unlock(&wd.lock);
    return NULL;
}

NRT_STATUS nrt__watchdog_start(uint64_t timeout_ns)
{
    if (!timeout_ns)
        return NRT_SUCCESS;
    wd.timeout_ns = timeout_ns;
    wd.stop = false;
    /* The condition waits on CLOCK_MONOTONIC: a wall-clock step must not
     * stretch or shrink the timeout. */
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&wd.cond, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&wd.thread, NULL, watchdog_main, NULL) != 0) {
        pthread_cond_destroy(&wd.cond);
        LOG_ERROR("cannot start the exec-timeout watchdog");
        return NRT_RESOURCE;
    }
    pthread_setname_np(wd.thread, "nrt-watchdog");
    wd.running = true;
    return NRT_SUCCESS;
}

void nrt__watchdog_stop(void)
{
    if (!wd.running)
        return;
    pthread_mutex_lock(&wd.lock);
    wd.stop = true;
    pthread_cond_signal(&wd.cond);
    pthread_mutex_unlock(&wd.lock);
    pthread_join(wd.thread, NULL);
    pthread_cond_destroy(&wd.cond);
    wd.running = false;
}

void nrt__watchdog_after_fork(void)
{
    /* The watchdog thread does not exist in a forked child. */
    pthread_mutex_init(&wd.lock, NULL);
    wd.running = false;
}
