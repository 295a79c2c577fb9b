/*
 * src/coll/coll_direct.c - collectives whose members are all cores of this
 * process: one-pass direct reduction in process memory.
 *
 * Every member publishes its run (descriptor and buffers) in its slot and
 * arrives at the group's gate; once all arrived, each member does its own
 * share, reading every input once and writing every output once:
 *   all-reduce      elements [E*r/n, E*(r+1)/n) of every input, reduced, to
 *                   that range of every output;
 *   all-gather      its input to block r of every output;
 *   reduce-scatter  block r of every input, reduced, to its own output.
 * Then it departs and waits for everyone to depart, so that no member's
 * buffers are touched after its collective completes.
 *
 * That is the parallel mode, for large ops with no more members than CPUs.
 * Otherwise (small ops, or more members than CPUs) a member that is not the
 * last to arrive returns at once (NRT__OP_PENDING: its worker is free), and
 * the last one does the whole collective and completes every member's
 * request (the engine lets any thread complete an op). Waiting members then
 * burn no CPU, and no worker blocks on another.
 *
 * Gates are one atomic word, (op number << 16) | members that arrived. The
 * last arriver compares every member's descriptor and publishes a verdict;
 * a mismatch (another op, dtype, size or group at the same op number) fails
 * every member with one log line each, and nothing is read. A member told
 * to stop (exec timeout; for pending members the timer thread below) before
 * everyone arrived takes its arrival back with a CAS and leaves; once the
 * count reached n the collective is committed and runs to the end (bounded
 * memory work).
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "coll/coll.h"
#include "core/core.h"
#include "xu/xu.h"

#define GATE(seq, c) (((uint64_t)(seq) << 16) | (c))
#define BLOCK (64 * 1024)
#define PAR_MIN (256 * 1024) /* parallel mode from this many bytes */
#define VERDICT_OK 1
#define VERDICT_MISMATCH 2

bool nrt__cc_cancelled(const nrt__cc_run_t *run)
{
    return run->q && nrt__queue_cancelled(run->q, run->pos);
}

static void backoff(unsigned *i)
{
    unsigned k = (*i)++;
    if (k < 4096)
        nrt__cpu_relax();
    else if (k < 8192)
        sched_yield();
    else
        nanosleep(&(struct timespec){0, 50000}, NULL);
}

static void warn_missing(const nrt__cc_run_t *run, const char *phase, uint64_t t0)
{
    const nrt__cc_group_t *g = run->g;
    char who[256];
    size_t o = 0;
    who[0] = 0;
    for (uint32_t j = 0; j < g->n && o + 16 < sizeof who; j++) {
        if (atomic_load_explicit(&g->slots[j].seq, memory_order_relaxed) != run->seq)
            o += (size_t)snprintf(who + o, sizeof who - o, "%s%u (global id %u)", o ? ", " : "", j, g->gids[j]);
    }
    LOG_WARN("core %u: %s #%llu (rank %u of %u) waiting %.1f s %s; ranks not there yet: %s", run->m->vnc,
             nrt__cc_ccop_name(run->d.cc_op), (unsigned long long)run->seq, run->rank, g->n,
             (double)(nrt__now_ns() - t0) / 1e9, phase, o ? who : "(arriving)");
}

/* Publishes our run and arrives at the entry gate; returns how many
 * members had arrived with us. */
static uint32_t gate_arrive(nrt__cc_run_t *run)
{
    nrt__cc_group_t *g = run->g;
    uint64_t seq = run->seq;
    atomic_store_explicit(&g->slots[run->rank].run, run, memory_order_relaxed);
    atomic_store_explicit(&g->slots[run->rank].seq, seq, memory_order_relaxed);
    uint64_t v = atomic_load_explicit(&g->gate_in, memory_order_relaxed);
    for (;;) {
        uint64_t nv = (v >> 16) == seq ? v + 1 : GATE(seq, 1);
        /* acq_rel: our slot is published; the others' are visible to us. */
        if (atomic_compare_exchange_weak_explicit(&g->gate_in, &v, nv, memory_order_acq_rel, memory_order_relaxed))
            return (uint32_t)(nv & 0xffff);
    }
}

/* Takes our arrival back unless everyone arrived. True: taken back. */
static bool gate_retract(nrt__cc_run_t *run)
{
    nrt__cc_group_t *g = run->g;
    uint64_t v = atomic_load_explicit(&g->gate_in, memory_order_acquire);
    while ((v >> 16) == run->seq && (v & 0xffff) < g->n)
        if (atomic_compare_exchange_weak_explicit(&g->gate_in, &v, v - 1, memory_order_acq_rel,
                                                  memory_order_acquire))
            return true;
    return false;
}

/* Parallel mode, not the last: waits for the last arriver's verdict.
 * Returns the verdict, or 0 when cancelled before everyone arrived. */
static uint32_t wait_verdict(nrt__cc_run_t *run)
{
    nrt__cc_group_t *g = run->g;
    uint64_t last = 0, t0 = 0;
    unsigned i = 0;
    for (;;) {
        uint64_t v = atomic_load_explicit(&g->verdict, memory_order_acquire);
        if ((v >> 16) == run->seq)
            return (uint32_t)(v & 0xffff);
        if ((i & 255) == 255) {
            if (nrt__cc_cancelled(run) && gate_retract(run)) {
                warn_missing(run, "to start and gave up (exec timeout)", t0);
                return 0;
            }
            if (!t0)
                t0 = nrt__now_ns();
            if (nrt__cc_warn_due(&last))
                warn_missing(run, "for the other members to start it", t0);
        }
        backoff(&i);
    }
}

static void depart(nrt__cc_run_t *run)
{
    nrt__cc_group_t *g = run->g;
    uint32_t n = g->n;
    uint64_t seq = run->seq;
    uint64_t v = atomic_load_explicit(&g->gate_out, memory_order_relaxed);
    for (;;) {
        uint64_t nv = (v >> 16) == seq ? v + 1 : GATE(seq, 1);
        if (atomic_compare_exchange_weak_explicit(&g->gate_out, &v, nv, memory_order_acq_rel, memory_order_relaxed))
            break;
    }
    /* Not cancellable: the others are threads of this process finishing
     * bounded memory work on our buffers. */
    unsigned i = 0;
    while (atomic_load_explicit(&g->gate_out, memory_order_acquire) != GATE(seq, n))
        backoff(&i);
}

/* Copies |len| bytes from |src| at |soff| to |dst| at |doff|. */
static void iov_copy(const nrt__cc_iov_t *dst, uint64_t doff, const nrt__cc_iov_t *src, uint64_t soff, uint64_t len)
{
    while (len) {
        uint64_t cd, cs;
        char *d = nrt__cc_iov_at(dst, doff, &cd);
        char *s = nrt__cc_iov_at(src, soff, &cs);
        if (!d || !s)
            return;
        uint64_t c = len < cd ? len : cd;
        c = c < cs ? c : cs;
        if (d != s)
            memmove(d, s, c);
        doff += c, soff += c, len -= c;
    }
}

/* Reduces bytes [ioff, ioff+len) of every member's input into |out| at
 * |ooff| of each of |outs| (|nouts| runs, or just |one|). */
static void reduce_range(nrt__cc_run_t *run, const nrt__cc_run_t *const *all, uint64_t ioff, uint64_t ooff,
                         uint64_t len, bool to_all)
{
    uint32_t n = run->g->n;
    size_t es = run->esize;
    const void *srcs[NRT__CC_MAX_WORLD];
    while (len) {
        uint64_t blen = len < BLOCK ? len : BLOCK, c;
        for (uint32_t j = 0; j < n; j++) {
            srcs[j] = nrt__cc_iov_at(all[j]->in, ioff, &c);
            if (c < blen)
                blen = c;
        }
        uint32_t first = to_all ? 0 : run->rank;
        char *dst = nrt__cc_iov_at(all[first]->out, ooff, &c);
        if (c < blen)
            blen = c;
        if (to_all)
            for (uint32_t j = 1; j < n; j++) {
                nrt__cc_iov_at(all[j]->out, ooff, &c);
                if (c < blen)
                    blen = c;
            }
        blen -= blen % es;
        if (!blen || !dst)
            return; /* cannot happen: pieces are whole elements (prepare checks) */
        /* Sources other than dst's own input must not be dst: reduce_n
         * handles dst == srcs[0] only, so put that source first. */
        if (dst == srcs[first] && first) {
            const void *t = srcs[0];
            srcs[0] = srcs[first];
            srcs[first] = t;
        }
        nrt__cc_reduce_n(dst, srcs, n, blen / es, run->d.dtype, run->d.op);
        if (to_all)
            for (uint32_t j = 0; j < n; j++) {
                if (j == first)
                    continue;
                char *o = nrt__cc_iov_at(all[j]->out, ooff, &c);
                memcpy(o, dst, blen);
            }
        ioff += blen, ooff += blen, len -= blen;
    }
}

/*===------------------------------------------------------------------===*/
/* Pending members and their timer                                        */
/*===------------------------------------------------------------------===*/

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t thr;
    bool started, stop;
    nrt__cc_run_t *head;
} T = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void pending_unlink(nrt__cc_run_t *run)
{
    for (nrt__cc_run_t **pp = &T.head; *pp; pp = &(*pp)->next_pending)
        if (*pp == run) {
            *pp = run->next_pending;
            run->pending = false;
            return;
        }
}

/* Completes a member's request from another thread (the last arriver or
 * the timer). |run| must not be touched afterwards. */
static void complete_member(nrt__cc_run_t *run, NRT_STATUS st)
{
    nrt__queue_t *q = run->q;
    uint64_t num = run->pos + 1;
    if (st == NRT_TIMEOUT)
        nrt__queue_degrade(q, st, num);
    nrt__cc_flight_end(run, st);
    nrt__queue_complete(q, num, st);
}

static void *timer_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&T.lock);
    while (!T.stop) {
        uint64_t now = nrt__now_ns(), next = now + (nrt__cc_cfg.warn_ns ? nrt__cc_cfg.warn_ns : 1000000000ull);
        nrt__cc_run_t *expired = NULL;
        for (nrt__cc_run_t **pp = &T.head; *pp;) {
            nrt__cc_run_t *r = *pp;
            if (r->deadline_ns && now >= r->deadline_ns && gate_retract(r)) {
                *pp = r->next_pending;
                r->pending = false;
                r->next_pending = expired;
                expired = r;
                continue;
            }
            if (now - r->last_warn_ns >= nrt__cc_cfg.warn_ns) {
                r->last_warn_ns = now;
                warn_missing(r, "for the other members to start it", r->t0_ns);
            }
            if (r->deadline_ns && r->deadline_ns < next)
                next = r->deadline_ns;
            pp = &r->next_pending;
        }
        if (expired) {
            pthread_mutex_unlock(&T.lock);
            while (expired) {
                nrt__cc_run_t *r = expired;
                expired = r->next_pending;
                LOG_ERROR("core %u: %s #%llu (rank %u of %u) exceeded the exec timeout waiting for the other "
                          "members", r->m->vnc, nrt__cc_ccop_name(r->d.cc_op), (unsigned long long)r->seq, r->rank,
                          r->g->n);
                warn_missing(r, "and gave up (exec timeout)", r->t0_ns);
                complete_member(r, NRT_TIMEOUT);
            }
            pthread_mutex_lock(&T.lock);
            continue;
        }
        struct timespec ts = {.tv_sec = (time_t)(next / 1000000000ull), .tv_nsec = (long)(next % 1000000000ull)};
        pthread_cond_timedwait(&T.cond, &T.lock, &ts);
    }
    pthread_mutex_unlock(&T.lock);
    return NULL;
}

/* Registers |run| as pending (before it arrives: the last arriver may
 * complete it at once). */
static NRT_STATUS pending_add(nrt__cc_run_t *run)
{
    pthread_mutex_lock(&T.lock);
    if (!T.started) {
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&T.cond, &ca);
        pthread_condattr_destroy(&ca);
        T.stop = false;
        if (pthread_create(&T.thr, NULL, timer_main, NULL) != 0) {
            pthread_mutex_unlock(&T.lock);
            LOG_ERROR("cannot start the collectives timer thread");
            return NRT_RESOURCE;
        }
        pthread_setname_np(T.thr, "nrt-cc-timer");
        T.started = true;
    }
    uint64_t now = nrt__now_ns();
    run->pending = true;
    run->t0_ns = now;
    run->last_warn_ns = now;
    run->deadline_ns = nrt__rt.exec_timeout_ns ? now + nrt__rt.exec_timeout_ns : 0;
    run->next_pending = T.head;
    T.head = run;
    if (run->deadline_ns)
        pthread_cond_signal(&T.cond);
    pthread_mutex_unlock(&T.lock);
    return NRT_SUCCESS;
}

void nrt__cc_direct_shutdown(void)
{
    pthread_mutex_lock(&T.lock);
    bool started = T.started;
    T.stop = true;
    if (started)
        pthread_cond_signal(&T.cond);
    pthread_mutex_unlock(&T.lock);
    if (started) {
        pthread_join(T.thr, NULL);
        pthread_cond_destroy(&T.cond);
    }
    /* Members still waiting (no exec timeout, the others never came). */
    pthread_mutex_lock(&T.lock);
    T.started = false;
    nrt__cc_run_t *left = NULL;
    while (T.head) {
        nrt__cc_run_t *r = T.head;
        T.head = r->next_pending;
        if (gate_retract(r)) {
            r->next_pending = left;
            left = r;
        }
    }
    pthread_mutex_unlock(&T.lock);
    while (left) {
        nrt__cc_run_t *r = left;
        left = r->next_pending;
        LOG_ERROR("core %u: %s #%llu never started: the runtime is closing", r->m->vnc,
                  nrt__cc_ccop_name(r->d.cc_op), (unsigned long long)r->seq);
        complete_member(r, NRT_EXEC_UNIT_UNRECOVERABLE);
    }
}

void nrt__cc_direct_after_fork(void)
{
    pthread_mutex_init(&T.lock, NULL);
    T.started = false;
    T.head = NULL;
}

/*===------------------------------------------------------------------===*/
/* The collective                                                         */
/*===------------------------------------------------------------------===*/

/* Does member |r|'s share (parallel mode) or every share (|all|). */
static void work(nrt__cc_run_t *run, const nrt__cc_run_t *const *all, uint32_t r, bool every)
{
    uint32_t n = run->g->n;
    uint64_t es = run->esize;
    for (uint32_t k = every ? 0 : r; k < (every ? n : r + 1); k++) {
        switch (run->d.cc_op) {
        case NRT_CC_ALLREDUCE: {
            uint64_t e = run->d.in_bytes / es;
            uint64_t lo = e * k / n * es, hi = e * (k + 1) / n * es;
            reduce_range(run, all, lo, lo, hi - lo, true);
            break;
        }
        case NRT_CC_ALLGATHER: {
            uint64_t m = run->d.in_bytes;
            for (uint32_t j = 0; j < n; j++) {
                uint32_t t = (k + j) % n; /* spread the writers over the outputs */
                iov_copy(all[t]->out, (uint64_t)k * m, all[k]->in, 0, m);
            }
            break;
        }
        case NRT_CC_REDUCESCATTER: {
            uint64_t m = run->d.out_bytes;
            nrt__cc_run_t as_k = *run;
            as_k.rank = k;
            reduce_range(&as_k, all, (uint64_t)k * m, 0, m, false);
            break;
        }
        default: break;
        }
    }
}

NRT_STATUS nrt__cc_direct(nrt__cc_run_t *run)
{
    nrt__cc_group_t *g = run->g;
    uint32_t n = g->n, r = run->rank;
    uint64_t bytes = run->d.in_bytes > run->d.out_bytes ? run->d.in_bytes : run->d.out_bytes;
    static long ncpu;
    if (!__atomic_load_n(&ncpu, __ATOMIC_RELAXED))
        __atomic_store_n(&ncpu, sysconf(_SC_NPROCESSORS_ONLN), __ATOMIC_RELAXED);
    bool parallel = bytes >= PAR_MIN && (long)n <= __atomic_load_n(&ncpu, __ATOMIC_RELAXED);
    if (!parallel) {
        NRT_STATUS st = pending_add(run);
        if (st != NRT_SUCCESS)
            return st;
    }
    const nrt__cc_run_t *all[NRT__CC_MAX_WORLD];
    if (gate_arrive(run) < n) {
        if (!parallel)
            return NRT__OP_PENDING; /* the last arriver (or the timer) completes us */
        uint32_t v = wait_verdict(run);
        if (v == 0)
            return NRT_TIMEOUT;
        if (v == VERDICT_MISMATCH)
            return NRT_INVALID; /* the last arriver logged it */
        for (uint32_t j = 0; j < n; j++)
            all[j] = atomic_load_explicit(&g->slots[j].run, memory_order_relaxed);
        work(run, all, r, false);
        depart(run);
        return NRT_SUCCESS;
    }
    /* The last to arrive: check, then run it (all of it, or our share). */
    NRT_STATUS st = NRT_SUCCESS;
    for (uint32_t j = 0; j < n; j++) {
        all[j] = atomic_load_explicit(&g->slots[j].run, memory_order_relaxed);
        if (st == NRT_SUCCESS && !nrt__cc_desc_equal(&all[j]->d, &run->d)) {
            char mine[200], theirs[200];
            nrt__cc_desc_describe(&run->d, mine, sizeof mine);
            nrt__cc_desc_describe(&all[j]->d, theirs, sizeof theirs);
            LOG_ERROR("collective #%llu mismatch: rank %u (core %u, global id %u) runs %s; rank %u (core %u, global "
                      "id %u) runs %s. Members must issue the same collectives in the same order; every member "
                      "of the group fails this one",
                      (unsigned long long)run->seq, r, run->m->vnc, run->m->gid, mine, j, all[j]->m->vnc,
                      g->gids[j], theirs);
            st = NRT_INVALID;
        }
    }
    atomic_store_explicit(&g->verdict, GATE(run->seq, st == NRT_SUCCESS ? VERDICT_OK : VERDICT_MISMATCH),
                          memory_order_release);
    bool pend[NRT__CC_MAX_WORLD];
    pthread_mutex_lock(&T.lock);
    for (uint32_t j = 0; j < n; j++) {
        pend[j] = all[j]->pending;
        if (pend[j])
            pending_unlink((nrt__cc_run_t *)all[j]);
    }
    pthread_mutex_unlock(&T.lock);
    if (st == NRT_SUCCESS) {
        work(run, all, r, !parallel);
        if (parallel)
            depart(run);
    }
    for (uint32_t j = 0; j < n; j++)
        if (pend[j] && j != r)
            complete_member((nrt__cc_run_t *)all[j], st);
    return st;
}
