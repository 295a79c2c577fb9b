/*
 * src/xu/queue.c - execution-unit queues and their workers.
 *
 * See xu.h for the ring protocol. This file holds the worker loop (spin,
 * then sleep on a futex), request execution, the completion path (tracker
 * record -> release references -> free slot -> publish completed -> wake
 * waiters), blocking waits for synchronous callers, completion fds, and the
 * exec-timeout watchdog that takes a queue over from a hung worker.
 *
 * Memory orders: the slot sequence word carries the request from producer
 * to worker (release/acquire); |completed| carries the request's results
 * (tracker entry, output bytes) to pollers (release/acquire). The
 * sleeping-worker and waiter handshakes are Dekker-style (store my flag,
 * load yours), so those accesses are seq_cst.
 *
 * Lock order: nrt__rt.lock, then queue fd_lock, then tracker lock.
 */
#include "xu/xu.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/core.h"

const char *const nrt__req_kind_names[NRT__REQ_KIND_NUM] = {"read", "write", "copy", "execute", "collective"};
static const char *const xu_short[NRTA_XU_TYPE_NUM] = {"RD", "WR", "OP", "EX", "CC"};
static const char *const xu_names[NRTA_XU_TYPE_NUM] = {"TENSOR_READ", "TENSOR_WRITE", "TENSOR_OP", "COMPUTE",
                                                       "COLLECTIVES"};

#define SYNC_WAITER (1ull << 32)
#define FD_WAITER_MASK 0xffffffffull

static void *worker_main(void *arg);

/*===------------------------------------------------------------------===*/
/* Setup and teardown                                                     */
/*===------------------------------------------------------------------===*/

static uint64_t next_pow2(uint64_t v)
{
    uint64_t p = 1;
    while (p < v)
        p <<= 1;
    return p;
}

NRT_STATUS nrt__units_create(uint32_t lnc, nrt__unit_t units[NRTA_XU_TYPE_NUM])
{
    /* The ring protocol needs two slots at least (with one, "published
     * p" and "free for p+1" are the same word); a depth of 1 runs on two
     * slots and nrt__queue_submit caps it at one outstanding request. */
    uint64_t depth = next_pow2(nrt__rt.cfg.queue_depth < 2 ? 2 : nrt__rt.cfg.queue_depth);
    for (uint32_t xu = 0; xu < NRTA_XU_TYPE_NUM; xu++) {
        nrt__unit_t *u = &units[xu];
        atomic_init(&u->degraded, false);
        u->nqueues = nrt__rt.cfg.queues[xu];
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
            q->slots = calloc(depth, sizeof(nrt__slot_t));
            if (!q->slots) {
                LOG_ERROR("out of host memory creating queues of core %u", lnc);
                u->nqueues = i;
                nrt__units_destroy(units);
                return NRT_FAIL_HOST_MEM_ALLOC;
            }
            for (uint64_t s = 0; s < depth; s++)
                atomic_init(&q->slots[s].seq, s);
            q->depth = depth;
            q->mask = depth - 1;
            q->unit = u;
            q->lnc = lnc;
            q->xu = xu;
            q->index = i;
            q->xu_id = nrt__xu_id_make(lnc, xu, i);
            pthread_mutex_init(&q->fd_lock, NULL);
        }
    }
    return NRT_SUCCESS;
}

static void queue_stop(nrt__queue_t *q)
{
    if (!atomic_load_explicit(&q->started, memory_order_acquire))
        return;
    atomic_store_explicit(&q->stop, 1, memory_order_seq_cst);
    atomic_store_explicit(&q->sleeping, 0, memory_order_seq_cst);
    nrt__futex_wake_all(&q->sleeping);
    /* A worker stuck in a kernel past the timeout was detached by the
     * watchdog; |thread| is its replacement, which never runs user code. */
    pthread_join(q->thread, NULL);
    atomic_store_explicit(&q->started, false, memory_order_relaxed);
}

void nrt__units_destroy(nrt__unit_t units[NRTA_XU_TYPE_NUM])
{
    for (uint32_t xu = 0; xu < NRTA_XU_TYPE_NUM; xu++) {
        nrt__unit_t *u = &units[xu];
        bool leaked = false;
        for (uint32_t i = 0; i < u->nqueues; i++) {
            nrt__queue_t *q = &u->queues[i];
            /* Acquire: pairs with the abandoned worker's last touch of |q|;
             * once it returned, nothing keeps the queue alive. */
            if (q->leaked && atomic_load_explicit(&q->abandoned, memory_order_acquire) == 0)
                q->leaked = false;
            queue_stop(q);
            /* Anything still waiting is released: nothing can complete. */
            for (nrt__fd_waiter_t *w = q->fd_waiters, *n; w; w = n) {
                n = w->next;
                eventfd_write(w->fd, 1);
                close(w->fd);
                free(w);
            }
            q->fd_waiters = NULL;
            nrt__trace_free(q);
            leaked |= q->leaked;
            if (!q->leaked) {
                free(q->slots);
                pthread_mutex_destroy(&q->fd_lock);
            }
        }
        if (!leaked)
            free(u->queues);
        else
            LOG_WARN("keeping the queues of a unit whose worker hung past the timeout");
        u->queues = NULL;
        u->nqueues = 0;
    }
}

static bool queue_idle(nrt__queue_t *q)
{
    return atomic_load_explicit(&q->completed, memory_order_acquire) ==
           atomic_load_explicit(&q->tail, memory_order_acquire);
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
            /* Flushing is quick unless a worker is stuck in a kernel. */
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
                 xu_names[xu], u->nqueues);
        return NRT_INVALID;
    }
    *out = &u->queues[queue];
    return NRT_SUCCESS;
}

static NRT_STATUS queue_start(nrt__queue_t *q)
{
    NRT_STATUS st = NRT_SUCCESS;
    pthread_mutex_lock(&q->fd_lock);
    if (!atomic_load_explicit(&q->started, memory_order_relaxed)) {
        atomic_store_explicit(&q->stop, 0, memory_order_relaxed);
        int e = pthread_create(&q->thread, NULL, worker_main, q);
        if (e) {
            LOG_ERROR("cannot start the worker of core %u unit %s queue %u: %s", q->lnc, xu_names[q->xu], q->index,
                      strerror(e));
            st = NRT_RESOURCE;
        } else {
            char name[16];
            snprintf(name, sizeof name, "nrt%u-%s%u", q->lnc, xu_short[q->xu], q->index);
            pthread_setname_np(q->thread, name);
            /* Release: pairs with the acquire in nrt__queue_submit. */
            atomic_store_explicit(&q->started, true, memory_order_release);
        }
    }
    pthread_mutex_unlock(&q->fd_lock);
    return st;
}

/*===------------------------------------------------------------------===*/
/* Submit                                                                 */
/*===------------------------------------------------------------------===*/

NRT_STATUS nrt__queue_submit(nrt__queue_t *q, const nrt__req_t *req, nrta_seq_t *out_seq)
{
    if (NRT__UNLIKELY(!atomic_load_explicit(&q->started, memory_order_acquire))) {
        NRT_STATUS st = queue_start(q);
        if (st != NRT_SUCCESS)
            return st;
    }
    if (NRT__UNLIKELY(atomic_load_explicit(&q->unit->degraded, memory_order_relaxed)))
        return NRT_EXEC_UNIT_UNRECOVERABLE;
    uint64_t pos = atomic_load_explicit(&q->tail, memory_order_relaxed);
    nrt__slot_t *slot;
    for (;;) {
        slot = &q->slots[pos & q->mask];
        /* Acquire: the worker freed this slot after it was done with it. */
        uint64_t s = atomic_load_explicit(&slot->seq, memory_order_acquire);
        int64_t diff = (int64_t)(s - pos);
        if (diff == 0) {
            if (NRT__UNLIKELY(nrt__rt.cfg.queue_depth == 1) &&
                pos != atomic_load_explicit(&q->completed, memory_order_acquire))
                return NRT_QUEUE_FULL; /* depth 1: see nrt__units_create */
            if (atomic_compare_exchange_weak_explicit(&q->tail, &pos, pos + 1, memory_order_relaxed,
                                                      memory_order_relaxed))
                break;
        } else if (diff < 0) {
            return NRT_QUEUE_FULL;
        } else {
            pos = atomic_load_explicit(&q->tail, memory_order_relaxed);
        }
    }
    slot->req = *req;
    /* seq_cst: publishes the request (release) and orders it before the
     * load of |sleeping| below (Dekker with the worker going to sleep). */
    atomic_store_explicit(&slot->seq, pos + 1, memory_order_seq_cst);
    if (atomic_load_explicit(&q->sleeping, memory_order_seq_cst)) {
        uint32_t one = 1;
        if (atomic_compare_exchange_strong_explicit(&q->sleeping, &one, 0, memory_order_seq_cst,
                                                    memory_order_relaxed))
            nrt__futex_wake_all(&q->sleeping);
    }
    *out_seq = nrt__seq_make(q->xu_id, pos + 1);
    return NRT_SUCCESS;
}

/*===------------------------------------------------------------------===*/
/* Completion                                                             */
/*===------------------------------------------------------------------===*/

void nrt__req_release(nrt__req_t *req)
{
    switch (req->kind) {
    case NRT__REQ_READ:
    case NRT__REQ_WRITE:
        nrt__storage_release(req->u.io.st);
        break;
    case NRT__REQ_COPY:
        nrt__storage_release(req->u.copy.src);
        nrt__storage_release(req->u.copy.dst);
        break;
    case NRT__REQ_EXEC:
        if (req->u.exec.model) {
            uint32_t n = nrt__model_ntensors(req->u.exec.model);
            for (uint32_t i = 0; i < n; i++)
                nrt__storage_release(req->u.exec.sts[i]);
            free(req->u.exec.sts);
            nrt__model_release(req->u.exec.model);
        }
        break;
    case NRT__REQ_CC:
        if (req->u.cc.release)
            req->u.cc.release(req->u.cc.ctx);
        break;
    }
    if (req->tracker)
        nrt__tracker_release(req->tracker);
}

/* Signals every fd waiter whose request has completed. Caller holds
 * fd_lock. */
static void fd_waiters_signal_locked(nrt__queue_t *q, uint64_t completed)
{
    nrt__fd_waiter_t **pp = &q->fd_waiters;
    while (*pp) {
        nrt__fd_waiter_t *w = *pp;
        if (w->num <= completed) {
            eventfd_write(w->fd, 1);
            close(w->fd);
            *pp = w->next;
            free(w);
            atomic_fetch_sub_explicit(&q->nwaiters, 1, memory_order_relaxed);
        } else {
            pp = &w->next;
        }
    }
}

static void publish(nrt__queue_t *q, uint64_t pos)
{
    /* Free the slot first so that an application that saw completion
     * always finds room for a new request. */
    atomic_store_explicit(&q->slots[pos & q->mask].seq, pos + q->depth, memory_order_release);
    atomic_store_explicit(&q->done_word, (uint32_t)(pos + 1), memory_order_relaxed);
    /* seq_cst: release for pollers, and ordered before the load of
     * |nwaiters| (Dekker with waiters registering). */
    atomic_store_explicit(&q->completed, pos + 1, memory_order_seq_cst);
    uint64_t w = atomic_load_explicit(&q->nwaiters, memory_order_seq_cst);
    if (NRT__UNLIKELY(w)) {
        if (w >> 32)
            nrt__futex_wake_all(&q->done_word);
        if (w & FD_WAITER_MASK) {
            pthread_mutex_lock(&q->fd_lock);
            fd_waiters_signal_locked(q, pos + 1);
            pthread_mutex_unlock(&q->fd_lock);
        }
    }
}

static void record_result(nrt__queue_t *q, uint64_t pos, const nrt__req_t *req, NRT_STATUS st)
{
    if (st != NRT_SUCCESS) {
        atomic_fetch_add_explicit(&q->errors, 1, memory_order_relaxed);
        nrta_seq_t seq = nrt__seq_make(q->xu_id, pos + 1);
        if (req->tracker)
            nrt__tracker_record(req->tracker, seq, st);
        else if (!req->sync_status)
            LOG_ERROR("request 0x%016llx (%s on core %u) failed with %s and has no error tracker",
                      (unsigned long long)seq, nrt__req_kind_names[req->kind], q->lnc, nrt_get_status_as_str(st));
    }
    if (req->sync_status)
        *req->sync_status = st;
}

/*===------------------------------------------------------------------===*/
/* Running requests                                                       */
/*===------------------------------------------------------------------===*/

static bool is_bad_float(const void *p, size_t n, nrt_dtype_t dt)
{
    if (dt == NRT_DTYPE_FLOAT32 || dt == NRT_DTYPE_FP32R) {
        const uint32_t *w = p;
        for (size_t i = 0; i < n / 4; i++)
            if ((w[i] & 0x7f800000u) == 0x7f800000u)
                return true;
    } else if (dt == NRT_DTYPE_FLOAT16) {
        const uint16_t *h = p;
        for (size_t i = 0; i < n / 2; i++)
            if ((h[i] & 0x7c00u) == 0x7c00u)
                return true;
    } else if (dt == NRT_DTYPE_BFLOAT16) {
        const uint16_t *h = p;
        for (size_t i = 0; i < n / 2; i++)
            if ((h[i] & 0x7f80u) == 0x7f80u)
                return true;
    }
    return false;
}

static NRT_STATUS run_exec(nrt__queue_t *q, nrt__req_t *req)
{
    nrt_model_t *m = req->u.exec.model;
    const nrt_kernel_descriptor_t *d = m->desc;
    nrt_kernel_args_t args = {
        .state = m->state,
        .inputs = (const void *const *)req->u.exec.ptrs,
        .outputs = req->u.exec.ptrs + d->num_inputs,
        .lnc = q->lnc,
    };
    NRT_STATUS st = d->execute(&args);
    if (st == NRT_SUCCESS && nrt__rt.cfg.nan_check) {
        for (uint32_t i = 0; i < d->num_outputs; i++)
            if (is_bad_float(args.outputs[i], d->outputs[i].size, d->outputs[i].dtype)) {
                LOG_DEBUG("model '%s' output '%s' holds NaN/Inf", d->name, d->outputs[i].name);
                st = NRT_EXEC_COMPLETED_WITH_NUM_ERR;
                break;
            }
    }
    return st;
}

static NRT_STATUS run_request(nrt__queue_t *q, nrt__req_t *req)
{
    switch (req->kind) {
    case NRT__REQ_READ:
        memcpy(req->u.io.host, req->u.io.dev, req->size);
        return NRT_SUCCESS;
    case NRT__REQ_WRITE:
        memcpy(req->u.io.dev, req->u.io.host, req->size);
        return NRT_SUCCESS;
    case NRT__REQ_COPY:
        memmove(req->u.copy.d, req->u.copy.s, req->size);
        return NRT_SUCCESS;
    case NRT__REQ_EXEC:
        return run_exec(q, req);
    case NRT__REQ_CC:
        return req->u.cc.run(req->u.cc.ctx);
    }
    return NRT_FAILURE;
}

static void degrade(nrt__queue_t *q, NRT_STATUS why, uint64_t num)
{
    bool was = atomic_exchange_explicit(&q->unit->degraded, true, memory_order_relaxed);
    if (!was)
        LOG_ERROR("core %u unit %s degraded by a fatal error (%s) in request %llu of queue %u; every later "
                  "request on it fails with NRT_EXEC_UNIT_UNRECOVERABLE",
                  q->lnc, xu_names[q->xu], nrt_get_status_as_str(why), (unsigned long long)num, q->index);
}

/* Returns false when the watchdog took the queue over while |req| ran:
 * the caller must then exit without touching the queue again. */
static bool process(nrt__queue_t *q, uint64_t pos, nrt__req_t *req)
{
    uint64_t num = pos + 1;
    uint64_t t0 = nrt__now_ns();
    NRT_STATUS st = NRT_SUCCESS, fst;
    bool fatal = false;
    if (atomic_load_explicit(&q->unit->degraded, memory_order_relaxed)) {
        st = NRT_EXEC_UNIT_UNRECOVERABLE;
    } else if (nrt__fault_match(q->lnc, q->xu, q->index, num, &fst, &fatal)) {
        st = fst;
    } else {
        uint64_t running = pos * 4 + NRT__RUN_RUNNING;
        atomic_store_explicit(&q->run_start_ns, t0, memory_order_relaxed);
        /* Release: the watchdog reading the token also sees the start. */
        atomic_store_explicit(&q->run_token, running, memory_order_release);
        st = run_request(q, req);
        if (!atomic_compare_exchange_strong_explicit(&q->run_token, &running, pos * 4 + NRT__RUN_IDLE,
                                                     memory_order_acq_rel, memory_order_acquire)) {
            /* Timed out: wait until the watchdog is done with our
             * request's tracker, then drop our references and leave. */
            while (atomic_load_explicit(&q->run_token, memory_order_acquire) == pos * 4 + NRT__RUN_TIMED_OUT)
                usleep(100);
            /* Release: our last touch of |q| (see nrt__units_destroy); the
             * references we still drop live in |req|, not in |q|. */
            atomic_fetch_sub_explicit(&q->abandoned, 1, memory_order_release);
            nrt__req_release(req);
            return false;
        }
    }
    uint64_t t1 = nrt__now_ns();
    atomic_fetch_add_explicit(&q->busy_ns, t1 - t0, memory_order_relaxed);
    if (fatal)
        degrade(q, st, num);
    if (atomic_load_explicit(&nrt__trace_on, memory_order_relaxed))
        nrt__trace_record(q, req, num, t0, t1, st);
    record_result(q, pos, req, st);
    nrt__req_release(req);
    publish(q, pos);
    return true;
}

static void *worker_main(void *arg)
{
    nrt__queue_t *q = arg;
    uint64_t spin_ns = nrt__rt.cfg.spin_ns;
    for (;;) {
        uint64_t pos = q->head;
        nrt__slot_t *slot = &q->slots[pos & q->mask];
        if (atomic_load_explicit(&slot->seq, memory_order_acquire) == pos + 1) {
            nrt__req_t req = slot->req;
            if (!process(q, pos, &req))
                return NULL;
            q->head = pos + 1;
            continue;
        }
        if (atomic_load_explicit(&q->stop, memory_order_acquire))
            return NULL;
        /* Idle: spin for the window, then sleep until a producer wakes us. */
        uint64_t until = nrt__now_ns() + spin_ns;
        bool ready = false;
        for (unsigned i = 0; !ready; i++) {
            ready = atomic_load_explicit(&slot->seq, memory_order_acquire) == pos + 1 ||
                    atomic_load_explicit(&q->stop, memory_order_relaxed);
            if ((i & 63) == 63 && nrt__now_ns() >= until)
                break;
            nrt__cpu_relax();
        }
        if (ready)
            continue;
        atomic_store_explicit(&q->sleeping, 1, memory_order_seq_cst);
        if (atomic_load_explicit(&slot->seq, memory_order_seq_cst) != pos + 1 &&
            !atomic_load_explicit(&q->stop, memory_order_seq_cst))
            nrt__futex_wait(&q->sleeping, 1, 0);
        atomic_store_explicit(&q->sleeping, 0, memory_order_relaxed);
    }
}

/*===------------------------------------------------------------------===*/
/* Waiting                                                                */
/*===------------------------------------------------------------------===*/

void nrt__queue_wait(nrt__queue_t *q, uint64_t num)
{
    uint64_t until = nrt__now_ns() + nrt__rt.cfg.spin_ns;
    for (unsigned i = 0; atomic_load_explicit(&q->completed, memory_order_acquire) < num; i++) {
        if ((i & 63) != 63 || nrt__now_ns() < until) {
            nrt__cpu_relax();
            continue;
        }
        atomic_fetch_add_explicit(&q->nwaiters, SYNC_WAITER, memory_order_seq_cst);
        for (;;) {
            uint32_t w = atomic_load_explicit(&q->done_word, memory_order_seq_cst);
            if (atomic_load_explicit(&q->completed, memory_order_seq_cst) >= num)
                break;
            nrt__futex_wait(&q->done_word, w, 0);
        }
        atomic_fetch_sub_explicit(&q->nwaiters, SYNC_WAITER, memory_order_relaxed);
        break;
    }
}

NRT_STATUS nrt__queue_completion_fd(nrt__queue_t *q, uint64_t num, int *out_fd)
{
    int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (efd < 0) {
        LOG_ERROR("eventfd failed: %s", strerror(errno));
        return NRT_RESOURCE;
    }
    if (atomic_load_explicit(&q->completed, memory_order_acquire) >= num) {
        eventfd_write(efd, 1);
        *out_fd = efd;
        return NRT_SUCCESS;
    }
    /* We keep our own descriptor of the same eventfd, so the caller may
     * close theirs at any time. */
    nrt__fd_waiter_t *w = malloc(sizeof *w);
    int mine = fcntl(efd, F_DUPFD_CLOEXEC, 0);
    if (!w || mine < 0) {
        LOG_ERROR("cannot create a completion handle: %s", w ? strerror(errno) : "out of memory");
        free(w);
        close(efd);
        if (mine >= 0)
            close(mine);
        return NRT_RESOURCE;
    }
    w->num = num;
    w->fd = mine;
    pthread_mutex_lock(&q->fd_lock);
    w->next = q->fd_waiters;
    q->fd_waiters = w;
    atomic_fetch_add_explicit(&q->nwaiters, 1, memory_order_seq_cst);
    /* The worker may have published before it could see us. */
    uint64_t done = atomic_load_explicit(&q->completed, memory_order_seq_cst);
    if (done >= num)
        fd_waiters_signal_locked(q, done);
    pthread_mutex_unlock(&q->fd_lock);
    *out_fd = efd;
    return NRT_SUCCESS;
}

/*===------------------------------------------------------------------===*/
/* Watchdog                                                               */
/*===------------------------------------------------------------------===*/

static struct {
    pthread_t thread;
    bool running;
    bool stop;
    pthread_mutex_t lock;
    pthread_cond_t cond;
} wd = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

/* The worker of |q| is stuck in request |pos|: complete it with
 * NRT_TIMEOUT, degrade the unit, and start a fresh worker that flushes the
 * rest of the queue. */
static void take_over(nrt__queue_t *q, uint64_t pos)
{
    nrt__req_t req = q->slots[pos & q->mask].req; /* references stay the old worker's */
    LOG_ERROR("request %llu on core %u unit %s queue %u exceeded the exec timeout (%llu ms)",
              (unsigned long long)(pos + 1), q->lnc, xu_names[q->xu], q->index,
              (unsigned long long)(nrt__rt.exec_timeout_ns / 1000000));
    degrade(q, NRT_TIMEOUT, pos + 1);
    atomic_fetch_add_explicit(&q->busy_ns, nrt__now_ns() - atomic_load(&q->run_start_ns), memory_order_relaxed);
    record_result(q, pos, &req, NRT_TIMEOUT);
    q->leaked = true;
    atomic_fetch_add_explicit(&q->abandoned, 1, memory_order_relaxed);
    pthread_detach(q->thread);
    q->head = pos + 1;
    /* Release the old worker: it may now drop its references. */
    atomic_store_explicit(&q->run_token, pos * 4 + NRT__RUN_TAKEN, memory_order_release);
    publish(q, pos);
    if (pthread_create(&q->thread, NULL, worker_main, q) != 0) {
        LOG_ERROR("cannot restart the worker of core %u unit %s queue %u", q->lnc, xu_names[q->xu], q->index);
        atomic_store_explicit(&q->started, false, memory_order_release);
    }
}

static void watchdog_scan(uint64_t timeout_ns)
{
    uint64_t now = nrt__now_ns();
    for (uint32_t c = 0; c < nrt__rt.cfg.num_cores; c++)
        for (uint32_t xu = 0; xu < NRTA_XU_TYPE_NUM; xu++) {
            nrt__unit_t *u = &nrt__rt.cores[c].units[xu];
            for (uint32_t i = 0; i < u->nqueues; i++) {
                nrt__queue_t *q = &u->queues[i];
                if (!atomic_load_explicit(&q->started, memory_order_acquire))
                    continue;
                uint64_t tok = atomic_load_explicit(&q->run_token, memory_order_acquire);
                if ((tok & 3) != NRT__RUN_RUNNING)
                    continue;
                uint64_t start = atomic_load_explicit(&q->run_start_ns, memory_order_relaxed);
                if (now < start || now - start < timeout_ns)
                    continue;
                if (atomic_compare_exchange_strong_explicit(&q->run_token, &tok, (tok & ~3ull) | NRT__RUN_TIMED_OUT,
                                                            memory_order_acq_rel, memory_order_relaxed))
                    take_over(q, tok >> 2);
            }
        }
}

static void *watchdog_main(void *arg)
{
    (void)arg;
    uint64_t timeout = nrt__rt.exec_timeout_ns;
    uint64_t period = timeout / 4;
    if (period > 100000000ull)
        period = 100000000ull;
    if (period < 1000000ull)
        period = 1000000ull;
    pthread_mutex_lock(&wd.lock);
    while (!wd.stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t ns = (uint64_t)ts.tv_nsec + period;
        ts.tv_sec += (time_t)(ns / 1000000000ull);
        ts.tv_nsec = (long)(ns % 1000000000ull);
        pthread_cond_timedwait(&wd.cond, &wd.lock, &ts);
        if (wd.stop)
            break;
        watchdog_scan(timeout);
    }
    pthread_mutex_unlock(&wd.lock);
    return NULL;
}

NRT_STATUS nrt__watchdog_start(void)
{
    if (!nrt__rt.exec_timeout_ns)
        return NRT_SUCCESS;
    wd.stop = false;
    if (pthread_create(&wd.thread, NULL, watchdog_main, NULL) != 0) {
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
    wd.running = false;
}
