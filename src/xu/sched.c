/*
 * src/xu/sched.c - the worker pool that runs queues as serial strands (the
 * model of libdispatch serial queues and IREE's task executor).
 *
 * Design, and why:
 *  - Workers are few: one per CPU by default (OPENNRT_WORKERS), started
 *    lazily when work first arrives, so a process that only makes
 *    synchronous calls (which run inline, see nrt__queue_submit_inline)
 *    starts none. A queue is not a thread: an idle queue costs nothing.
 *  - Ready strands wait on one bounded MPMC ring of queue pointers
 *    (Vyukov). A strand is on it at most once (its state guards that), so
 *    it never fills.
 *  - At most one idle worker spins, for the spin window, before it sleeps
 *    on a futex: on a 2-CPU machine several spinners would steal the CPU
 *    the work needs. A producer hands work to the spinner with no syscall;
 *    it wakes a sleeper (one futex wake) only when nobody spins. A spinner
 *    that finds work wakes another worker if more is waiting.
 *  - Independence of queues: a kernel that blocks (on another queue, or on
 *    something outside the process) occupies a worker. A monitor thread
 *    watches while every worker is busy; when ready strands make no
 *    progress for two ticks (2 ms each), it adds a worker. So a long or
 *    blocked kernel on COMPUTE never holds up a read on TENSOR_READ, and
 *    the pool grows only by the number of requests that block at once.
 *
 * Locks: none. Worker threads never take the runtime lock.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "xu/xu.h"

#define MAX_WORKERS 256
#define STRAND_BUDGET 64          /* requests per turn before yielding */
#define LINGER_NS 3000ull
/* A sleeping worker looks again this often even unwoken: a defence in
 * depth against a lost wake-up, at a negligible idle cost. */
#define IDLE_RECHECK_NS 200000000ull
#define MONITOR_TICK_NS 2000000ull
#define MONITOR_STALL_TICKS 2
#define MONITOR_LINGER_TICKS 50   /* all-busy-free ticks before it sleeps */

typedef struct cell {
    _Atomic uint64_t seq;
    nrt__queue_t *q;
} cell_t;

typedef struct worker {
    pthread_t thread;
    uint32_t id, gen;
    /* The generation of the worker that left its loop last (nrt__pool_stop
     * joins only one of its own generation that did). */
    _Atomic uint32_t exited_gen;
} worker_t;

static struct pool {
    /* Ready list (MPMC): producer and consumer indices on their own lines. */
    _Alignas(NRT__CACHELINE) _Atomic uint64_t enq;
    _Alignas(NRT__CACHELINE) _Atomic uint64_t deq;
    _Alignas(NRT__CACHELINE) cell_t *cells;
    uint64_t mask;
    uint64_t spin_ns;
    uint64_t linger_ns; /* a worker keeps an emptied strand this long */
    uint32_t base; /* workers wanted when all are needed */
    uint32_t ncpu; /* online CPUs */
    _Atomic uint32_t gen;
    /* Idle-worker handshake. */
    _Alignas(NRT__CACHELINE) _Atomic uint32_t spinning; /* 0 or 1 */
    _Atomic uint32_t sleepers;
    _Atomic uint32_t waking;   /* a woken worker has not looked for work yet */
    _Atomic uint32_t wake_seq; /* futex */
    _Atomic uint32_t stop;
    /* Counts. */
    _Alignas(NRT__CACHELINE) _Atomic uint32_t nworkers; /* started (ids handed out) */
    _Atomic uint32_t nbusy;                              /* running a strand */
    _Atomic uint64_t progress;                           /* strands taken */
    /* Monitor. */
    _Alignas(NRT__CACHELINE) _Atomic uint32_t mon_word; /* futex: bumped to wake it */
    _Atomic uint32_t mon_sleeping;
    _Atomic bool mon_started;
    pthread_t mon_thread;
    nrt__mutex_t spawn_lock; /* serialises thread creation (cold) */
    bool spawn_failing;      /* the last start failed (under spawn_lock) */
    worker_t workers[MAX_WORKERS];
} pool = {.spawn_lock = NRT__MUTEX_INITIALIZER};

/*===------------------------------------------------------------------===*/
/* Ready list                                                             */
/*===------------------------------------------------------------------===*/

static void ready_push(nrt__queue_t *q)
{
    uint64_t pos = atomic_load_explicit(&pool.enq, memory_order_relaxed);
    for (;;) {
        cell_t *c = &pool.cells[pos & pool.mask];
        uint64_t s = atomic_load_explicit(&c->seq, memory_order_acquire);
        int64_t diff = (int64_t)(s - pos);
        if (diff == 0) {
            if (atomic_compare_exchange_weak_explicit(&pool.enq, &pos, pos + 1, memory_order_relaxed,
                                                      memory_order_relaxed)) {
                c->q = q;
                /* seq_cst: publishes |q| and orders it before the loads of
                 * |spinning| / |sleepers| in the caller (Dekker). */
                atomic_store_explicit(&c->seq, pos + 1, memory_order_seq_cst);
                return;
            }
        } else if (diff < 0) {
            /* Every strand is on the list at most once, and the list holds
             * them all: a full list is a broken invariant. */
            fprintf(stderr, "libnrt: ready list overflow\n");
            abort();
        } else {
            pos = atomic_load_explicit(&pool.enq, memory_order_relaxed);
        }
    }
}

static nrt__queue_t *ready_pop(void)
{
    uint64_t pos = atomic_load_explicit(&pool.deq, memory_order_relaxed);
    for (;;) {
        cell_t *c = &pool.cells[pos & pool.mask];
        /* Acquire: pairs with the push; the strand's ownership (and
         * everything its last owner did) comes with it. */
        uint64_t s = atomic_load_explicit(&c->seq, memory_order_acquire);
        int64_t diff = (int64_t)(s - (pos + 1));
        if (diff == 0) {
            if (atomic_compare_exchange_weak_explicit(&pool.deq, &pos, pos + 1, memory_order_relaxed,
                                                      memory_order_relaxed)) {
                nrt__queue_t *q = c->q;
                atomic_store_explicit(&c->seq, pos + pool.mask + 1, memory_order_release);
                return q;
            }
        } else if (diff < 0) {
            return NULL;
        } else {
            pos = atomic_load_explicit(&pool.deq, memory_order_relaxed);
        }
    }
}

static bool ready_nonempty_sc(void)
{
    uint64_t pos = atomic_load_explicit(&pool.deq, memory_order_seq_cst);
    cell_t *c = &pool.cells[pos & pool.mask];
    return atomic_load_explicit(&c->seq, memory_order_seq_cst) == pos + 1;
}

/*===------------------------------------------------------------------===*/
/* Workers                                                                */
/*===------------------------------------------------------------------===*/

static void *worker_main(void *arg);
static void *monitor_main(void *arg);

/* Starts one more worker (at most MAX_WORKERS). */
static bool spawn_worker(void)
{
    nrt__mutex_lock(&pool.spawn_lock);
    uint32_t n = atomic_load_explicit(&pool.nworkers, memory_order_relaxed);
    bool ok = false;
    if (n < MAX_WORKERS && !atomic_load_explicit(&pool.stop, memory_order_relaxed)) {
        worker_t *w = &pool.workers[n];
        w->id = n;
        w->gen = atomic_load_explicit(&pool.gen, memory_order_relaxed);
        atomic_store_explicit(&w->exited_gen, w->gen - 1, memory_order_relaxed);
        int e = pthread_create(&w->thread, NULL, worker_main, w);
        if (e) {
            /* The monitor retries every few ms: say it once per streak. */
            if (!pool.spawn_failing)
                LOG_ERROR("cannot start worker %u: %s (retrying quietly)", n, strerror(e));
            pool.spawn_failing = true;
        } else {
            if (pool.spawn_failing)
                LOG_INFO("worker %u started after earlier failures", n);
            pool.spawn_failing = false;
            char name[16];
            snprintf(name, sizeof name, "nrt-w%u", n);
            pthread_setname_np(w->thread, name);
            atomic_store_explicit(&pool.nworkers, n + 1, memory_order_release);
            ok = true;
        }
    }
    if (ok && !atomic_load_explicit(&pool.mon_started, memory_order_relaxed)) {
        if (pthread_create(&pool.mon_thread, NULL, monitor_main, NULL) == 0) {
            pthread_setname_np(pool.mon_thread, "nrt-monitor");
            atomic_store_explicit(&pool.mon_started, true, memory_order_release);
        } else {
            LOG_WARN("cannot start the pool monitor: blocked kernels may hold up other queues");
        }
    }
    nrt__mutex_unlock(&pool.spawn_lock);
    return ok;
}

/* Wakes a sleeper unless a wake-up is already on its way. */
static void wake_one_coalesced(void)
{
    uint32_t zero = 0;
    if (atomic_compare_exchange_strong_explicit(&pool.waking, &zero, 1, memory_order_seq_cst,
                                                memory_order_relaxed)) {
        atomic_fetch_add_explicit(&pool.wake_seq, 1, memory_order_seq_cst);
        nrt__futex_wake_one(&pool.wake_seq);
    }
}

/* All workers busy: make sure the monitor watches. */
static void monitor_poke(void)
{
    if (atomic_load_explicit(&pool.mon_sleeping, memory_order_seq_cst) &&
        atomic_exchange_explicit(&pool.mon_sleeping, 0, memory_order_seq_cst)) {
        atomic_fetch_add_explicit(&pool.mon_word, 1, memory_order_seq_cst);
        nrt__futex_wake_one(&pool.mon_word);
    }
}

void nrt__pool_push(nrt__queue_t *q)
{
    /* A runner that outlived nrt_close (stuck past every timeout) comes
     * back to a stopped pool: nothing will run the strand again. */
    if (NRT__UNLIKELY(atomic_load_explicit(&pool.stop, memory_order_acquire)))
        return;
    /* seq_cst: see run_strand. An entry still on the list (left stale by a
     * poller that ran the strand, nrt__queue_help) serves again. */
    if (atomic_exchange_explicit(&q->in_ready, true, memory_order_seq_cst))
        return;
    ready_push(q);
    /* seq_cst loads: after the push (Dekker with a worker going idle). */
    if (atomic_load_explicit(&pool.spinning, memory_order_seq_cst))
        return; /* the spinner takes it, no syscall */
    uint32_t n = atomic_load_explicit(&pool.nworkers, memory_order_seq_cst);
    if (atomic_load_explicit(&pool.sleepers, memory_order_seq_cst)) {
        /* One wake-up in flight at a time: the woken worker takes every
         * entry before it sleeps again, so N pushes cost one syscall. */
        wake_one_coalesced();
        return;
    }
    /* Nobody is idle. Start another worker while below the base size;
     * beyond it, the monitor decides. */
    if (atomic_load_explicit(&pool.nbusy, memory_order_seq_cst) >= n) {
        if (n < pool.base)
            spawn_worker();
        else
            monitor_poke();
    }
}

static void run_strand(nrt__queue_t *q, uint32_t gen)
{
    /* Clear the entry flag before claiming (both seq_cst): whoever queues
     * the strand after our claim failed sees the flag clear and pushes a
     * new entry, so a QUEUED strand always has one. */
    atomic_store_explicit(&q->in_ready, false, memory_order_seq_cst);
    uint32_t queued = NRT__STRAND_QUEUED;
    if (!atomic_compare_exchange_strong_explicit(&q->state, &queued, NRT__STRAND_RUNNING, memory_order_seq_cst,
                                                 memory_order_relaxed))
        return; /* a poller ran it meanwhile: the entry was stale */
    uint32_t busy = atomic_fetch_add_explicit(&pool.nbusy, 1, memory_order_seq_cst) + 1;
    atomic_fetch_add_explicit(&pool.progress, 1, memory_order_relaxed);
    if (busy >= atomic_load_explicit(&pool.nworkers, memory_order_relaxed) && ready_nonempty_sc())
        monitor_poke();
    nrt__strand_run(q, STRAND_BUDGET, pool.linger_ns);
    /* A worker that was stuck past the exec timeout may come back after a
     * new nrt_init reset the counts: it is not part of that pool. */
    if (atomic_load_explicit(&pool.gen, memory_order_relaxed) == gen)
        atomic_fetch_sub_explicit(&pool.nbusy, 1, memory_order_seq_cst);
}

static bool pool_current(uint32_t gen)
{
    return !atomic_load_explicit(&pool.stop, memory_order_acquire) &&
           atomic_load_explicit(&pool.gen, memory_order_relaxed) == gen;
}

static void *worker_main(void *arg)
{
    /* Copy what we need: a later pool may reuse this worker's entry (a
     * worker stuck past nrt_close comes back to it with an old gen). */
    worker_t *self = arg;
    const uint32_t gen = self->gen;
    while (pool_current(gen)) {
        nrt__queue_t *q = ready_pop();
        if (q) {
            run_strand(q, gen);
            continue;
        }
        /* Idle: spin if nobody else does and a CPU is free for it: the
         * application's thread needs one, each busy worker one more. */
        uint32_t zero = 0;
        if (pool.spin_ns &&
            atomic_load_explicit(&pool.nbusy, memory_order_relaxed) + 1 < pool.ncpu &&
            atomic_compare_exchange_strong_explicit(&pool.spinning, &zero, 1, memory_order_seq_cst,
                                                    memory_order_relaxed)) {
            uint64_t until = nrt__now_ns() + pool.spin_ns;
            for (unsigned i = 0;; i++) {
                q = ready_pop();
                if (q)
                    break;
                if ((i & 63) == 63) {
                    if (nrt__now_ns() >= until || !pool_current(gen))
                        break;
                    /* Spin politely: when threads outnumber CPUs (the
                     * application's own thread, a busy worker) the thread
                     * that has work must not wait for our time slice. */
                    sched_yield();
                }
                nrt__cpu_relax();
            }
            atomic_store_explicit(&pool.spinning, 0, memory_order_seq_cst);
            if (q) {
                /* More waiting and nobody to take it: hand the spin on. */
                if (ready_nonempty_sc() && atomic_load_explicit(&pool.sleepers, memory_order_seq_cst))
                    wake_one_coalesced();
                run_strand(q, gen);
                continue;
            }
        }
        /* Sleep until a producer wakes us (eventcount on wake_seq). */
        uint32_t key = atomic_load_explicit(&pool.wake_seq, memory_order_seq_cst);
        atomic_fetch_add_explicit(&pool.sleepers, 1, memory_order_seq_cst);
        /* A wake-up counted as "in flight" may have found nobody (its
         * target saw work and never slept): whoever goes to sleep clears
         * the flag before its last look at the list, so a producer whose
         * CAS still saw the flag set pushed before that look. */
        atomic_store_explicit(&pool.waking, 0, memory_order_seq_cst);
        if (!ready_nonempty_sc() && pool_current(gen))
            nrt__futex_wait(&pool.wake_seq, key, IDLE_RECHECK_NS);
        atomic_fetch_sub_explicit(&pool.sleepers, 1, memory_order_seq_cst);
        /* seq_cst, before we pop again: a producer that still saw a wake
         * in flight relies on our next pop seeing its entry. */
        atomic_store_explicit(&pool.waking, 0, memory_order_seq_cst);
    }
    /* Release: what this worker did happens before its joiner's frees. */
    atomic_store_explicit(&self->exited_gen, gen, memory_order_release);
    return NULL;
}

/*===------------------------------------------------------------------===*/
/* Monitor                                                                */
/*===------------------------------------------------------------------===*/

static void *monitor_main(void *arg)
{
    (void)arg;
    uint64_t last = atomic_load_explicit(&pool.progress, memory_order_relaxed);
    unsigned stalls = 0, calm = 0;
    while (!atomic_load_explicit(&pool.stop, memory_order_acquire)) {
        uint32_t n = atomic_load_explicit(&pool.nworkers, memory_order_acquire);
        bool all_busy = atomic_load_explicit(&pool.nbusy, memory_order_relaxed) >= n;
        uint64_t now = atomic_load_explicit(&pool.progress, memory_order_relaxed);
        if (all_busy && ready_nonempty_sc()) {
            calm = 0;
            stalls = now == last ? stalls + 1 : 0;
            if (stalls >= MONITOR_STALL_TICKS) {
                LOG_DEBUG("every worker is busy and ready queues wait: adding worker %u", n);
                spawn_worker();
                stalls = 0;
            }
        } else if (++calm >= MONITOR_LINGER_TICKS) {
            /* Nothing to watch: sleep until a worker pokes us. */
            uint32_t key = atomic_load_explicit(&pool.mon_word, memory_order_seq_cst);
            atomic_store_explicit(&pool.mon_sleeping, 1, memory_order_seq_cst);
            bool busy_now = atomic_load_explicit(&pool.nbusy, memory_order_seq_cst) >=
                                atomic_load_explicit(&pool.nworkers, memory_order_seq_cst) &&
                            ready_nonempty_sc();
            if (!busy_now && !atomic_load_explicit(&pool.stop, memory_order_seq_cst))
                nrt__futex_wait(&pool.mon_word, key, 0);
            atomic_store_explicit(&pool.mon_sleeping, 0, memory_order_seq_cst);
            calm = 0;
            stalls = 0;
        }
        last = now;
        if (calm || stalls || all_busy) {
            struct timespec ts = {0, (long)MONITOR_TICK_NS};
            nanosleep(&ts, NULL);
        }
    }
    return NULL;
}

/*===------------------------------------------------------------------===*/
/* Start and stop                                                         */
/*===------------------------------------------------------------------===*/

NRT_STATUS nrt__pool_start(uint32_t nworkers, uint64_t spin_ns, uint64_t max_strands)
{
    uint64_t cap = 2;
    while (cap < max_strands + 1)
        cap <<= 1;
    pool.cells = aligned_alloc(NRT__CACHELINE, (cap * sizeof(cell_t) + NRT__CACHELINE - 1) &
                                                   ~(size_t)(NRT__CACHELINE - 1));
    if (!pool.cells) {
        LOG_ERROR("out of host memory creating the worker pool");
        return NRT_FAIL_HOST_MEM_ALLOC;
    }
    for (uint64_t i = 0; i < cap; i++)
        atomic_init(&pool.cells[i].seq, i);
    pool.mask = cap - 1;
    atomic_store_explicit(&pool.enq, 0, memory_order_relaxed);
    atomic_store_explicit(&pool.deq, 0, memory_order_relaxed);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    pool.ncpu = cpus > 0 ? (uint32_t)cpus : 1;
    pool.base = nworkers ? nworkers : pool.ncpu;
    if (pool.base > MAX_WORKERS)
        pool.base = MAX_WORKERS;
    pool.spin_ns = spin_ns;
    /* A few hand-off times; never more than the spin window. */
    pool.linger_ns = spin_ns < LINGER_NS ? spin_ns : LINGER_NS;
    atomic_store_explicit(&pool.nworkers, 0, memory_order_relaxed);
    atomic_store_explicit(&pool.nbusy, 0, memory_order_relaxed);
    atomic_store_explicit(&pool.spinning, 0, memory_order_relaxed);
    atomic_store_explicit(&pool.sleepers, 0, memory_order_relaxed);
    atomic_store_explicit(&pool.waking, 0, memory_order_relaxed);
    atomic_store_explicit(&pool.mon_sleeping, 0, memory_order_relaxed);
    atomic_store_explicit(&pool.mon_started, false, memory_order_relaxed);
    atomic_fetch_add_explicit(&pool.gen, 1, memory_order_relaxed);
    /* Release: everything above is visible to the workers started later. */
    atomic_store_explicit(&pool.stop, 0, memory_order_release);
    return NRT_SUCCESS;
}

void nrt__pool_stop(void)
{
    nrt__mutex_lock(&pool.spawn_lock);
    atomic_store_explicit(&pool.stop, 1, memory_order_seq_cst);
    nrt__mutex_unlock(&pool.spawn_lock);
    atomic_fetch_add_explicit(&pool.wake_seq, 1, memory_order_seq_cst);
    nrt__futex_wake_all(&pool.wake_seq);
    atomic_fetch_add_explicit(&pool.mon_word, 1, memory_order_seq_cst);
    nrt__futex_wake_all(&pool.mon_word);
    uint32_t n = atomic_load_explicit(&pool.nworkers, memory_order_acquire);
    for (uint32_t i = 0; i < n; i++) {
        /* A worker stuck in a kernel past the exec timeout may never come
         * back: give each one a second, then leave it behind (it exits on
         * its own if the kernel ever returns: its generation is gone). */
        /* The second is measured on CLOCK_MONOTONIC (a wall-clock step
         * must not stretch it): wait for the worker to leave its loop, then
         * join it (it is returning). No absolute CLOCK_REALTIME deadline
         * (pthread_timedjoin_np), and no pthread_clockjoin_np, which
         * ThreadSanitizer does not know as a join. */
        worker_t *w = &pool.workers[i];
        uint64_t until = nrt__now_ns() + 1000000000ull;
        while (atomic_load_explicit(&w->exited_gen, memory_order_acquire) != w->gen && nrt__now_ns() < until)
            usleep(500);
        if (atomic_load_explicit(&w->exited_gen, memory_order_acquire) == w->gen) {
            pthread_join(w->thread, NULL);
        } else {
            LOG_WARN("worker %u is still inside a kernel that exceeded the exec timeout; leaving it behind", i);
            pthread_detach(w->thread);
        }
    }
    if (atomic_load_explicit(&pool.mon_started, memory_order_acquire))
        pthread_join(pool.mon_thread, NULL);
    atomic_store_explicit(&pool.mon_started, false, memory_order_relaxed);
    atomic_store_explicit(&pool.nworkers, 0, memory_order_relaxed);
    free(pool.cells);
    pool.cells = NULL;
}

void nrt__pool_after_fork(void)
{
    /* No worker or monitor exists in a forked child: forget them. */
    nrt__mutex_init(&pool.spawn_lock);
    atomic_store_explicit(&pool.nworkers, 0, memory_order_relaxed);
    atomic_store_explicit(&pool.mon_started, false, memory_order_relaxed);
    atomic_store_explicit(&pool.stop, 1, memory_order_relaxed);
    pool.cells = NULL; /* the parent's; left behind */
}

bool nrt__pool_has_ready(void)
{
    return ready_nonempty_sc();
}

