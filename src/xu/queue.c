/*
 * src/xu/queue.c - execution-unit queues: setup, submit, the strand loop
 * that runs requests in order, and the one completion path.
 *
 * See xu.h for the strand states and op.h for the op contract. Memory
 * orders: the ring's slot sequence word carries the op from producer to
 * strand owner (release/acquire); the strand |state| carries ownership
 * between owners (the ready list and the CAS on |state| are acq_rel);
 * |completed| carries the request's results (tracker entry, output bytes)
 * to pollers (release/acquire). The "strand idle" and waiter handshakes
 * are Dekker-style (store my flag, load yours), so those accesses are
 * seq_cst.
 *
 * Locks: none on the hot path. Completion takes a tracker's lock only for
 * a failed request and the queue's fd_lock only when fd waiters exist; it
 * never takes the runtime lock (asserted).
 */
#include "xu/xu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"

const char *const nrt__xu_names[NRTA_XU_TYPE_NUM] = {"TENSOR_READ", "TENSOR_WRITE", "TENSOR_OP", "COMPUTE",
                                                     "COLLECTIVES"};

/*===------------------------------------------------------------------===*/
/* Setup and teardown                                                     */
/*===------------------------------------------------------------------===*/

NRT_STATUS nrt__units_create(uint32_t lnc, uint32_t depth, const uint32_t nqueues[NRTA_XU_TYPE_NUM],
                             const nrt__queue_cfg_t *cfg, nrt__unit_t units[NRTA_XU_TYPE_NUM])
{
    /* The ring needs two slots at least (with one, "published p" and "free
     * for p+1" are the same word); a depth of 1 runs on two slots and
     * submit caps it at one outstanding request. */
    uint64_t slots = depth < 2 ? 2 : depth;
    for (uint32_t xu = 0; xu < NRTA_XU_TYPE_NUM; xu++) {
        nrt__unit_t *u = &units[xu];
        atomic_init(&u->degraded, false);
        u->nqueues = nqueues[xu];
        u->queues = aligned_alloc(NRT__CACHELINE, u->nqueues * sizeof(nrt__queue_t));
        if (!u->queues) {
            LOG_ERROR("out of host memory creating queues of core %u", lnc);
            u->nqueues = 0;
            nrt__units_destroy(units);
            return NRT_FAIL_HOST_MEM_ALLOC;
        }
        memset(u->queues, 0, u->nqueues * sizeof(nrt__queue_t));
        for (uint32_t i = 0; i < u->nqueues; i++) {
            nrt__queue_t *q = &u->queues[i];
            /* The ring's slots come with the first request: a runtime of
             * 16 cores has 224 queues and most are never used. */
            q->ring_depth = slots;
            q->unit = u;
            q->cfg = *cfg;
            q->cfg.depth_one = depth == 1;
            q->lnc = lnc;
            q->xu = xu;
            q->index = i;
            q->xu_id = nrt__xu_id_make(lnc, xu, i);
            nrt__mutex_init(&q->fd_lock);
        }
    }
    return NRT_SUCCESS;
}

/* Queue arrays a teardown had to keep: a runner the watchdog took over may
 * still touch them when its kernel returns (nrt__units_reap frees them once
 * it has). Guarded by the runtime lock (init and close hold it). */
typedef struct grave {
    nrt__queue_t *queues;
    uint32_t nqueues;
    struct grave *next;
} grave_t;
static grave_t *graves;

/* Frees what is left of |q| (its ring and lock). */
static void queue_free(nrt__queue_t *q)
{
    if (atomic_load_explicit(&q->ring_ready, memory_order_acquire))
        nrt__ring_deinit(&q->ring);
    nrt__mutex_destroy(&q->fd_lock);
}

/* True while a runner that outlived its request may still touch |q|. */
static bool queue_in_use(nrt__queue_t *q)
{
    /* Acquire: pairs with the abandoned runner's last touch of |q| (a
     * worker's; an application thread that ran the request inline or
     * helped still returns through a wait on |q|, but then nrt_close or
     * nrt_init runs concurrently with its call: a caller error). */
    return q->pinned || (q->leaked && atomic_load_explicit(&q->abandoned, memory_order_acquire) != 0);
}

/* Frees the kept arrays whose abandoned runners have all returned. Returns
 * the number of arrays still kept. */
static unsigned reap(void)
{
    unsigned kept = 0;
    for (grave_t **pp = &graves; *pp;) {
        grave_t *g = *pp;
        bool busy = false;
        for (uint32_t i = 0; i < g->nqueues; i++) {
            nrt__queue_t *q = &g->queues[i];
            if (q->leaked && !queue_in_use(q)) {
                queue_free(q);
                q->leaked = false;
            }
            busy |= q->leaked;
        }
        if (busy) {
            kept++;
            pp = &g->next;
        } else {
            *pp = g->next;
            free(g->queues);
            free(g);
        }
    }
    return kept;
}

void nrt__units_reap(void)
{
    unsigned before = 0;
    for (grave_t *g = graves; g; g = g->next)
        before++;
    unsigned kept = reap();
    if (kept < before)
        LOG_INFO("freed the queues of %u unit(s) whose hung request has returned since", before - kept);
}

void nrt__units_destroy(nrt__unit_t units[NRTA_XU_TYPE_NUM])
{
    for (uint32_t xu = 0; xu < NRTA_XU_TYPE_NUM; xu++) {
        nrt__unit_t *u = &units[xu];
        bool kept = false;
        for (uint32_t i = 0; i < u->nqueues; i++) {
            nrt__queue_t *q = &u->queues[i];
            /* A request still running (no timeout took it over: disabled,
             * or a copy inside one chunk) touches the queue in ways no
             * count tracks when it returns: keep the queue for good. */
            if ((atomic_load_explicit(&q->run_token, memory_order_acquire) & 3) == NRT__RUN_RUNNING)
                q->pinned = q->leaked = true;
            nrt__queue_fds_flush(q);
            nrt__trace_free(q);
            if (q->leaked && !queue_in_use(q))
                q->leaked = false;
            if (q->leaked)
                kept = true;
            else
                queue_free(q);
        }
        grave_t *g = kept ? malloc(sizeof *g) : NULL;
        if (g) {
            *g = (grave_t){u->queues, u->nqueues, graves};
            graves = g;
            LOG_WARN("keeping the queues of core %u unit %s until its request that hung past the timeout returns",
                     u->nqueues ? u->queues[0].lnc : 0, nrt__xu_names[xu]);
        } else if (kept) {
            LOG_WARN("keeping the queues of a unit whose request hung past the timeout (out of memory to track "
                     "them: they stay allocated)");
        } else {
            free(u->queues);
        }
        u->queues = NULL;
        u->nqueues = 0;
    }
    reap();
}

static bool queue_idle(nrt__queue_t *q)
{
    return atomic_load_explicit(&q->completed, memory_order_acquire) == nrt__ring_tail(&q->ring) &&
           atomic_load_explicit(&q->state, memory_order_acquire) != NRT__STRAND_QUEUED;
}

static bool units_idle(nrt__unit_t units[NRTA_XU_TYPE_NUM])
{
    for (uint32_t xu = 0; xu < NRTA_XU_TYPE_NUM; xu++)
        for (uint32_t i = 0; i < units[xu].nqueues; i++)
            if (!queue_idle(&units[xu].queues[i]))
                return false;
    return true;
}

void nrt__units_quiesce(nrt__unit_t units[NRTA_XU_TYPE_NUM], uint64_t deadline_ns)
{
    while (!units_idle(units)) {
        uint64_t now = nrt__now_ns();
        if (now >= deadline_ns) {
            LOG_ERROR("requests still in flight at nrt_close after the exec timeout; flushing them");
            for (uint32_t xu = 0; xu < NRTA_XU_TYPE_NUM; xu++)
                atomic_store_explicit(&units[xu].degraded, true, memory_order_relaxed);
            /* Flushing is quick unless a runner is stuck in a kernel. */
            uint64_t end = now + 1000000000ull;
            while (!units_idle(units) && nrt__now_ns() < end)
                usleep(1000);
            return;
        }
        usleep(100);
    }
}

NRT_STATUS nrt__queue_get(uint32_t lnc, nrta_xu_t xu, int queue, const char *func, nrt__queue_t **out)
{
    if (NRT__UNLIKELY((unsigned)xu >= NRTA_XU_TYPE_NUM)) {
        NRT__LOG(NRT__LOG_ERROR, "%s: unknown execution unit %d", func, (int)xu);
        return NRT_INVALID;
    }
    nrt__unit_t *u = &nrt__rt.cores[lnc].units[xu];
    if (NRT__UNLIKELY(queue < 0 || (uint32_t)queue >= u->nqueues)) {
        NRT__LOG(NRT__LOG_ERROR, "%s: queue %d does not exist on unit %s (it has %u; OPENNRT_QUEUES)", func, queue,
                 nrt__xu_names[xu], u->nqueues);
        return NRT_INVALID;
    }
    *out = &u->queues[queue];
    return NRT_SUCCESS;
}

/*===------------------------------------------------------------------===*/
/* Completion                                                             */
/*===------------------------------------------------------------------===*/

void nrt__op_release(nrt__op_t *op)
{
    if (op->vtbl->release)
        op->vtbl->release(op);
    if (op->tracker)
        nrt__tracker_release(op->tracker);
}

void nrt__queue_record(nrt__queue_t *q, uint64_t pos, const nrt__op_t *op, NRT_STATUS st)
{
    if (st != NRT_SUCCESS) {
        atomic_fetch_add_explicit(&q->errors, 1, memory_order_relaxed);
        nrta_seq_t seq = nrt__seq_make(q->xu_id, pos + 1);
        if (op->tracker)
            nrt__tracker_record(op->tracker, seq, st);
        else if (!op->sync_status)
            LOG_ERROR("request 0x%016llx (%s on core %u) failed with %s and has no error tracker",
                      (unsigned long long)seq, op->vtbl->name, q->lnc, nrt_get_status_as_str(st));
    }
    if (op->sync_status)
        *op->sync_status = st;
}

void nrt__queue_publish(nrt__queue_t *q, uint64_t pos, bool free_slot)
{
    /* Free the slot first so that an application that saw completion
     * always finds room for a new request. */
    if (free_slot)
        nrt__ring_free(&q->ring, pos);
    atomic_store_explicit(&q->done_word, (uint32_t)(pos + 1), memory_order_relaxed);
    /* seq_cst: release for pollers, and ordered before the load of
     * |nwaiters| (Dekker with waiters registering). */
    atomic_store_explicit(&q->completed, pos + 1, memory_order_seq_cst);
    uint64_t w = atomic_load_explicit(&q->nwaiters, memory_order_seq_cst);
    if (NRT__UNLIKELY(w))
        nrt__queue_wake(q, pos + 1, w);
}

void nrt__queue_degrade(nrt__queue_t *q, NRT_STATUS why, uint64_t num)
{
    bool was = atomic_exchange_explicit(&q->unit->degraded, true, memory_order_relaxed);
    if (!was)
        LOG_ERROR("core %u unit %s degraded by a fatal error (%s) in request %llu of queue %u; every later "
                  "request on it fails with NRT_EXEC_UNIT_UNRECOVERABLE",
                  q->lnc, nrt__xu_names[q->xu], nrt_get_status_as_str(why), (unsigned long long)num, q->index);
}

/* The one completion path: tracker entry, references, slot, publish,
 * wake; in that order. */
/* Strand-owner only (relaxed): an average over the last ~8 requests of the
 * time their run() took, that pollers read to decide whether to help. */
static void note_run_time(nrt__queue_t *q, uint64_t ns)
{
    uint64_t avg = atomic_load_explicit(&q->avg_run_ns, memory_order_relaxed);
    atomic_store_explicit(&q->avg_run_ns, avg ? avg - avg / 8 + ns / 8 : ns | 1, memory_order_relaxed);
}

/* |ran_ns|: how long run() took, when this is the strand owner finishing
 * what it ran (0: an op that finished later; its run() time was noted). */
static void finish(nrt__queue_t *q, uint64_t pos, nrt__op_t *op, NRT_STATUS st, uint64_t t0, bool fatal,
                   bool owner)
{
    NRT__ASSERT_NOT_HELD(&nrt__rt.lock);
    uint64_t t1 = nrt__now_ns();
    atomic_fetch_add_explicit(&q->busy_ns, t1 - t0, memory_order_relaxed);
    if (owner)
        note_run_time(q, t1 - t0);
    if (fatal)
        nrt__queue_degrade(q, st, pos + 1);
    if (NRT__UNLIKELY(atomic_load_explicit(&nrt__trace_on, memory_order_relaxed)))
        nrt__trace_record(q, op, pos + 1, t0, t1, st);
    nrt__queue_record(q, pos, op, st);
    nrt__op_release(op);
    nrt__queue_publish(q, pos, true);
}

void nrt__strand_release(nrt__queue_t *q)
{
    /* Read |head| while the strand is still ours: once IDLE, an inline
     * caller may take it and move on. */
    uint64_t head = q->head;
    /* seq_cst: ordered before the re-check below (Dekker with the
     * producer's publish followed by its load of |state|). */
    atomic_store_explicit(&q->state, NRT__STRAND_IDLE, memory_order_seq_cst);
    if (!nrt__ring_ready_sc(&q->ring, head))
        return;
    uint32_t idle = NRT__STRAND_IDLE;
    if (atomic_compare_exchange_strong_explicit(&q->state, &idle, NRT__STRAND_QUEUED, memory_order_seq_cst,
                                                memory_order_relaxed))
        nrt__pool_push(q);
    /* else a producer (or an inline caller) took it meanwhile */
}

/* Runs request |pos| (the strand owner). Returns false when the strand is
 * no longer ours: the op finishes later, or the watchdog took it over. */
static bool run_one(nrt__queue_t *q, uint64_t pos, nrt__op_t *op)
{
    uint64_t num = pos + 1;
    uint64_t t0 = nrt__now_ns();
    NRT_STATUS st, fst;
    bool fatal = false;
    if (atomic_load_explicit(&q->unit->degraded, memory_order_relaxed)) {
        st = NRT_EXEC_UNIT_UNRECOVERABLE;
    } else if (NRT__UNLIKELY(nrt__fault_match(q->lnc, q->xu, q->index, num, &fst, &fatal))) {
        st = fst;
    } else {
        bool canc = op->vtbl->cancellable;
        uint64_t running = NRT__RUN_TOKEN(pos, NRT__RUN_RUNNING, canc);
        atomic_store_explicit(&q->pend, NRT__PEND_NONE, memory_order_relaxed);
        atomic_store_explicit(&q->run_start_ns, t0, memory_order_relaxed);
        /* Release: the watchdog reading the token also sees the start. */
        atomic_store_explicit(&q->run_token, running, memory_order_release);
        st = op->vtbl->run(op, q, pos);
        uint64_t tok = running;
        if (!atomic_compare_exchange_strong_explicit(&q->run_token, &tok, NRT__RUN_TOKEN(pos, NRT__RUN_IDLE, canc),
                                                     memory_order_acq_rel, memory_order_acquire)) {
            if (!canc) {
                /* The watchdog takes this request over: wait until it is
                 * done with the tracker, then drop the references (the
                 * kernel no longer runs), free the slot and let go. */
                uint64_t timed_out = NRT__RUN_TOKEN(pos, NRT__RUN_TIMED_OUT, false);
                while (atomic_load_explicit(&q->run_token, memory_order_acquire) == timed_out)
                    usleep(100);
                nrt__op_release(op);
                nrt__ring_free(&q->ring, pos);
                /* Release: our last touch of |q| (see nrt__units_destroy). */
                atomic_fetch_sub_explicit(&q->abandoned, 1, memory_order_release);
                return false;
            }
            /* The op stopped at a cancellation point (or finished as the
             * timeout fired): report the timeout ourselves. From here on
             * the caller's memory is no longer touched. */
            atomic_store_explicit(&q->run_token, NRT__RUN_TOKEN(pos, NRT__RUN_IDLE, canc), memory_order_relaxed);
            if (st != NRT__OP_PENDING)
                st = NRT_TIMEOUT;
            fatal = true;
        }
        if (st == NRT__OP_PENDING) {
            /* What helping pollers care about is how long run() holds the
             * strand's thread, not how long the op takes to finish. */
            note_run_time(q, nrt__now_ns() - t0);
            q->head = pos + 1;
            /* acq_rel: rendezvous with nrt__queue_complete; whoever comes
             * second continues the strand. */
            if (atomic_exchange_explicit(&q->pend, NRT__PEND_RUNNER_LEFT, memory_order_acq_rel) ==
                NRT__PEND_COMPLETED)
                return true;
            return false;
        }
    }
    finish(q, pos, op, st, t0, fatal, true);
    q->head = pos + 1;
    return true;
}

void nrt__queue_complete(nrt__queue_t *q, uint64_t num, NRT_STATUS status)
{
    uint64_t pos = num - 1;
    finish(q, pos, nrt__queue_op(q, pos), status, atomic_load_explicit(&q->run_start_ns, memory_order_relaxed),
           false, false);
    if (atomic_exchange_explicit(&q->pend, NRT__PEND_COMPLETED, memory_order_acq_rel) == NRT__PEND_RUNNER_LEFT)
        nrt__strand_release(q); /* the runner left: the strand is ours */
}

/* The ring is empty: keep the strand a little longer (up to |linger_ns|)
 * in case its producer is about to publish, unless other strands wait. A
 * producer that finds the strand running publishes with no hand-off at
 * all; releasing and re-queueing costs both sides a round of cache misses. */
static nrt__op_t *linger(nrt__queue_t *q, uint64_t pos, uint64_t linger_ns)
{
    uint64_t until = 0;
    for (unsigned i = 0;; i++) {
        nrt__op_t *op = nrt__ring_peek(&q->ring, pos);
        if (op)
            return op;
        if ((i & 15) == 15) {
            uint64_t now = nrt__now_ns();
            if (!until)
                until = now + linger_ns;
            else if (now >= until || nrt__pool_has_ready())
                return NULL;
        }
        nrt__cpu_relax();
    }
}

void nrt__strand_run(nrt__queue_t *q, unsigned budget, uint64_t linger_ns)
{
    NRT__ASSERT_NOT_HELD(&nrt__rt.lock);
    for (unsigned n = 0; n < budget; n++) {
        uint64_t pos = q->head;
        nrt__op_t *op = nrt__ring_peek(&q->ring, pos);
        if (!op && linger_ns)
            op = linger(q, pos, linger_ns);
        if (!op) {
            nrt__strand_release(q);
            return;
        }
        if (!run_one(q, pos, op))
            return;
    }
    /* Budget spent: go to the back of the ready list so that other strands
     * get their turn. */
    /* seq_cst: whoever claims the strand next (a worker, or a poller
     * helping) sees |head| and everything the strand did (release), and
     * the store is ordered with the in_ready handshake of run_strand. */
    atomic_store_explicit(&q->state, NRT__STRAND_QUEUED, memory_order_seq_cst);
    nrt__pool_push(q);
}

/* The calling thread owns the strand (it claimed it from IDLE or QUEUED):
 * run its requests up to and including number |num|, never beyond (later
 * requests are the pool's), then let the strand go. Stops early when a
 * request ahead is reserved but not yet published, or when |num| already
 * ran elsewhere. Returns true when request |num| ran on this thread and
 * has completed. */
static bool run_until(nrt__queue_t *q, uint64_t num)
{
    for (;;) {
        uint64_t h = q->head;
        if (h >= num)
            break;
        nrt__op_t *op = nrt__ring_peek(&q->ring, h);
        if (!op)
            break;
        if (!run_one(q, h, op))
            return false; /* finishes later / taken over: no longer ours */
        if (h + 1 == num) {
            nrt__strand_release(q);
            return true;
        }
    }
    nrt__strand_release(q);
    return false;
}

bool nrt__queue_flush_degraded(nrt__queue_t *q)
{
    if (!atomic_load_explicit(&q->unit->degraded, memory_order_relaxed) ||
        atomic_load_explicit(&q->state, memory_order_relaxed) != NRT__STRAND_QUEUED)
        return false;
    uint32_t queued = NRT__STRAND_QUEUED;
    /* seq_cst: as in nrt__queue_help (a ready-list entry becomes stale). */
    if (!atomic_compare_exchange_strong_explicit(&q->state, &queued, NRT__STRAND_RUNNING, memory_order_seq_cst,
                                                 memory_order_relaxed))
        return false;
    /* The unit is degraded for good: every request completes at once with
     * NRT_EXEC_UNIT_UNRECOVERABLE, none runs. */
    nrt__strand_run(q, UINT32_MAX, 0);
    return true;
}

bool nrt__queue_help(nrt__queue_t *q, uint64_t num)
{
    if (!q->cfg.help_ns || atomic_load_explicit(&q->state, memory_order_relaxed) != NRT__STRAND_QUEUED)
        return false;
    uint64_t avg = atomic_load_explicit(&q->avg_run_ns, memory_order_relaxed);
    if (!avg || avg > q->cfg.help_ns)
        return false; /* unknown or long: leave it to the pool */
    uint32_t queued = NRT__STRAND_QUEUED;
    /* seq_cst: ownership passes to us (acquire) and the strand's ready-list
     * entry, if any, becomes stale (see sched.c). */
    if (!atomic_compare_exchange_strong_explicit(&q->state, &queued, NRT__STRAND_RUNNING, memory_order_seq_cst,
                                                 memory_order_relaxed))
        return false;
    run_until(q, num);
    return true;
}

/*===------------------------------------------------------------------===*/
/* Submit                                                                 */
/*===------------------------------------------------------------------===*/

/* First request of a queue: allocate its ring (cold; under fd_lock). */
static NRT_STATUS ring_materialize(nrt__queue_t *q)
{
    NRT_STATUS st = NRT_SUCCESS;
    nrt__mutex_lock(&q->fd_lock);
    if (!atomic_load_explicit(&q->ring_ready, memory_order_relaxed)) {
        if (nrt__ring_init(&q->ring, q->ring_depth, sizeof(nrt__op_t)))
            /* Release: the ring's fields before anyone sees it ready. */
            atomic_store_explicit(&q->ring_ready, true, memory_order_release);
        else
            st = NRT_FAIL_HOST_MEM_ALLOC;
    }
    nrt__mutex_unlock(&q->fd_lock);
    if (st != NRT_SUCCESS)
        LOG_ERROR("out of host memory for the %llu slots of core %u unit %s queue %u (OPENNRT_QUEUE_DEPTH)",
                  (unsigned long long)q->ring_depth, q->lnc, nrt__xu_names[q->xu], q->index);
    return st;
}

static NRT_STATUS reserve(nrt__queue_t *q, const nrt__op_t *op, uint64_t *out_pos)
{
    if (NRT__UNLIKELY(!atomic_load_explicit(&q->ring_ready, memory_order_acquire))) {
        NRT_STATUS st = ring_materialize(q);
        if (st != NRT_SUCCESS)
            return st;
    }
    if (NRT__UNLIKELY(atomic_load_explicit(&q->unit->degraded, memory_order_relaxed)))
        return NRT_EXEC_UNIT_UNRECOVERABLE;
    uint64_t pos;
    nrt__op_t *slot;
    if (NRT__UNLIKELY(q->cfg.depth_one)) {
        /* Depth 1 (two slots, see nrt__units_create): claim exactly the
         * position after the last completed one, so that two producers
         * racing cannot both get a slot. */
        pos = atomic_load_explicit(&q->completed, memory_order_acquire);
        slot = nrt__ring_reserve_at(&q->ring, pos);
    } else {
        slot = nrt__ring_reserve(&q->ring, &pos);
    }
    if (NRT__UNLIKELY(!slot))
        return NRT_QUEUE_FULL;
    memcpy(slot, op, NRT__OP_USED_SIZE(op));
    nrt__ring_publish(&q->ring, pos);
    *out_pos = pos;
    return NRT_SUCCESS;
}

NRT_STATUS nrt__queue_submit(nrt__queue_t *q, const nrt__op_t *op, nrta_seq_t *out_seq)
{
    uint64_t pos;
    NRT_STATUS st = reserve(q, op, &pos);
    if (NRT__UNLIKELY(st != NRT_SUCCESS))
        return st;
    /* seq_cst: after the publish (Dekker with nrt__strand_release). */
    if (atomic_load_explicit(&q->state, memory_order_seq_cst) == NRT__STRAND_IDLE) {
        uint32_t idle = NRT__STRAND_IDLE;
        if (atomic_compare_exchange_strong_explicit(&q->state, &idle, NRT__STRAND_QUEUED, memory_order_seq_cst,
                                                    memory_order_relaxed))
            nrt__pool_push(q);
    }
    *out_seq = nrt__seq_make(q->xu_id, pos + 1);
    return NRT_SUCCESS;
}

NRT_STATUS nrt__queue_submit_inline(nrt__queue_t *q, const nrt__op_t *op, nrta_seq_t *out_seq,
                                    bool *out_ran_inline)
{
    *out_ran_inline = false;
    uint64_t pos;
    NRT_STATUS st = reserve(q, op, &pos);
    if (NRT__UNLIKELY(st != NRT_SUCCESS))
        return st;
    *out_seq = nrt__seq_make(q->xu_id, pos + 1);
    /* When the strand is idle, take it and run our request (and any
     * published ahead of it) right here; else its owner will run it. */
    uint32_t idle = NRT__STRAND_IDLE;
    if (atomic_compare_exchange_strong_explicit(&q->state, &idle, NRT__STRAND_RUNNING, memory_order_seq_cst,
                                                memory_order_relaxed))
        *out_ran_inline = run_until(q, pos + 1);
    return NRT_SUCCESS;
}
