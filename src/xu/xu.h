/*
 * src/xu/xu.h - execution units: request queues run as serial strands on a
 * small worker pool, ops, the one completion path, waits, completion fds,
 * error trackers, fault injection, timeline traces and the exec-timeout
 * watchdog (private).
 *
 * A queue is a bounded MPSC ring (common/ring.h) of ops. Producers reserve
 * a position with one CAS, fill the op and publish it; the position + 1 is
 * the request's sequence number, so sequence order is execution order.
 *
 * A queue is also a strand: at most one thread runs its requests at a time,
 * one after another, and the next starts only after the previous one
 * completed. |state| says who owns the strand:
 *   IDLE     nobody; a producer that publishes moves it to QUEUED and puts
 *            the queue on the pool's ready list (sched.c);
 *   QUEUED   on the ready list; a pool worker takes it and moves it to
 *   RUNNING  owned by one thread: a pool worker, a synchronous caller
 *            running its own request inline, the watchdog taking over a
 *            hung request, or the completer of an op that finished later.
 * The owner runs requests while they are published, then stores IDLE and
 * re-checks the ring (Dekker with the producer's publish).
 *
 * An op (op.h) may finish later (NRT__OP_PENDING): the strand then waits,
 * owned by that op, until someone calls nrt__queue_complete for it (any
 * thread), which completes it and lets the strand go on.
 *
 * Completion (one path, nrt__queue_finish): tracker entry -> release the
 * op's references -> free the slot -> publish |completed| -> wake waiters.
 */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/common.h"
#include "common/lock.h"
#include "common/ring.h"
#include "nrt/nrt_async.h"
#include "nrt/nrt_ext.h"
#include "xu/op.h"

#define NRT__MAX_QUEUES 32

/* What a waiter on a queue's completions is for (wait.c). */
enum {
    NRT__FDW_HANDLE = 0, /* nrta_get_completion_handle: once, at |num| */
    NRT__FDW_EVENT,      /* nrta_event_register_seq_id_completion: once, at |num| */
    NRT__FDW_EVERY       /* nrta_event_register_xu_completion: every completion; |num| = last signalled */
};

typedef struct nrt__fd_waiter {
    uint64_t num; /* sequence number awaited */
    int fd;       /* our dup of the eventfd */
    int kind;     /* NRT__FDW_* */
    struct nrt__fd_waiter *next;
} nrt__fd_waiter_t;

typedef struct nrt__trace_rec {
    uint64_t seq_num, size, enq_ns, start_ns, end_ns;
    const char *name;
    uint32_t status;
} nrt__trace_rec_t;

#define NRT__TRACE_CHUNK 4096
#define NRT__TRACE_MAX_CHUNKS 4096

enum { NRT__STRAND_IDLE = 0, NRT__STRAND_QUEUED, NRT__STRAND_RUNNING };
/* Watchdog handshake on the running request: token = pos * 8 + one of
 * these, plus NRT__RUN_CANCELLABLE when the op stops on request. */
enum { NRT__RUN_IDLE = 0, NRT__RUN_RUNNING, NRT__RUN_TIMED_OUT, NRT__RUN_TAKEN };
#define NRT__RUN_CANCELLABLE 4u
#define NRT__RUN_TOKEN(pos, state, canc) ((pos) * 8 + (state) + ((canc) ? NRT__RUN_CANCELLABLE : 0))
/* Pending-op rendezvous (|pend|): who got there first. */
enum { NRT__PEND_NONE = 0, NRT__PEND_RUNNER_LEFT, NRT__PEND_COMPLETED };

struct nrt__unit;

/* Settings a queue copies at creation, so the hot path reads no global
 * configuration. */
typedef struct nrt__queue_cfg {
    uint64_t spin_ns;   /* waiters' spin window */
    uint64_t help_ns;   /* pollers run queued requests shorter than this (0: never) */
    bool depth_one;     /* OPENNRT_QUEUE_DEPTH=1: one outstanding request */
    bool nan_check;
} nrt__queue_cfg_t;

typedef struct nrt__queue {
    nrt__ring_t ring; /* producer line + read-mostly line; slots from first use */
    /* Strand state: read by every submit, written once per burst. */
    _Alignas(NRT__CACHELINE) _Atomic uint32_t state;
    /* Completion side. */
    _Alignas(NRT__CACHELINE) _Atomic uint64_t completed; /* last completed number */
    _Atomic uint32_t done_word;                          /* futex: low bits of completed */
    _Atomic uint64_t nwaiters;                           /* sync waiters << 32 | fd waiters */
    /* Read-mostly. */
    _Alignas(NRT__CACHELINE) struct nrt__unit *unit;
    nrt__queue_cfg_t cfg;
    uint32_t lnc, xu, index;
    nrta_xu_id_t xu_id;
    /* On the pool's ready list (at most one entry per strand, sched.c). */
    _Atomic bool in_ready;
    /* Strand-owner written, per request. */
    _Alignas(NRT__CACHELINE) uint64_t head; /* next position to run */
    _Atomic uint32_t pend;
    _Atomic uint64_t run_token;
    _Atomic uint64_t run_start_ns;
    _Atomic uint64_t busy_ns, errors;
    _Atomic uint64_t avg_run_ns; /* moving average of run times (helping) */
    _Atomic uint64_t trace_count;
    nrt__trace_rec_t **trace_chunks; /* single writer: the strand owner */
    /* Cold. */
    _Alignas(NRT__CACHELINE) _Atomic bool ring_ready; /* slots allocated (first submit) */
    uint64_t ring_depth;                                  /* slots it gets */
    _Atomic uint32_t abandoned; /* runners taken over that have not returned */
    bool leaked;                                         /* an abandoned runner may still touch it */
    bool pinned;                                         /* running at teardown: kept for good */
    nrt__mutex_t fd_lock;
    nrt__fd_waiter_t *fd_waiters;
} nrt__queue_t;

typedef struct nrt__unit {
    _Atomic bool degraded;
    uint32_t nqueues;
    nrt__queue_t *queues;
} nrt__unit_t;

/*===------------------------------------------------------------------===*/
/* Queues (queue.c)                                                       */
/*===------------------------------------------------------------------===*/

/* Sets the units of core |lnc| up / tears them down (no requests may be in
 * flight: quiesce first). */
NRT_STATUS nrt__units_create(uint32_t lnc, uint32_t depth, const uint32_t nqueues[NRTA_XU_TYPE_NUM],
                             const nrt__queue_cfg_t *cfg, nrt__unit_t units[NRTA_XU_TYPE_NUM]);
void nrt__units_destroy(nrt__unit_t units[NRTA_XU_TYPE_NUM]);
/* Frees queues a teardown kept for a runner the watchdog took over, once
 * that runner has returned (nrt_init; the runtime lock held). */
void nrt__units_reap(void);
/* Waits until every queue is idle or |deadline_ns| passes; then degrades
 * the units and gives the rest one more second to flush. */
void nrt__units_quiesce(nrt__unit_t units[NRTA_XU_TYPE_NUM], uint64_t deadline_ns);

/* Looks up the queue (logs + NRT_INVALID on a bad xu/queue). */
NRT_STATUS nrt__queue_get(uint32_t lnc, nrta_xu_t xu, int queue, const char *func, nrt__queue_t **out);

/* Submits |op| (references already taken; on failure the caller releases
 * them with nrt__op_release). Returns NRT_SUCCESS, NRT_QUEUE_FULL or
 * NRT_EXEC_UNIT_UNRECOVERABLE. */
NRT_STATUS nrt__queue_submit(nrt__queue_t *q, const nrt__op_t *op, nrta_seq_t *out_seq);
/* Submits |op| and, when the strand is idle, runs it (and only the
 * requests ahead of it) on the calling thread. Returns as
 * nrt__queue_submit; on success the request has completed when
 * *out_ran_inline is true, else the caller waits for it. */
NRT_STATUS nrt__queue_submit_inline(nrt__queue_t *q, const nrt__op_t *op, nrta_seq_t *out_seq,
                                    bool *out_ran_inline);

/* A poller waiting for request |num| runs the strand's queued requests up
 * to |num| on its own thread, when they are known to be short (see
 * nrt__queue_cfg_t.help_ns) and no worker has taken the strand yet.
 * Returns true when it ran something. */
bool nrt__queue_help(nrt__queue_t *q, uint64_t num);

/* A QUEUED strand of a degraded unit: claims it and completes its
 * published requests with NRT_EXEC_UNIT_UNRECOVERABLE on the calling
 * thread (none runs), so a degraded unit drains even when no worker is
 * free or can be started. Returns true when it claimed the strand. */
bool nrt__queue_flush_degraded(nrt__queue_t *q);

/* Completes request |num| of |q| that reported NRT__OP_PENDING, with
 * |status|. Any thread; once. The strand then goes on. */
void nrt__queue_complete(nrt__queue_t *q, uint64_t num, NRT_STATUS status);

/* The strand owner's loop: runs published requests of |q| (at most |budget|;
 * when the ring runs dry, waits up to |linger_ns| for more) and releases the
 * strand or re-queues it (sched.c calls this). */
void nrt__strand_run(nrt__queue_t *q, unsigned budget, uint64_t linger_ns);

/* Request accounting for the watchdog (watchdog.c). */
void nrt__queue_degrade(nrt__queue_t *q, NRT_STATUS why, uint64_t num);
void nrt__queue_record(nrt__queue_t *q, uint64_t pos, const nrt__op_t *op, NRT_STATUS st);
void nrt__queue_publish(nrt__queue_t *q, uint64_t pos, bool free_slot);
/* Strand owner lets go: IDLE, or back on the ready list when more work was
 * published meanwhile. */
void nrt__strand_release(nrt__queue_t *q);

/* True when request |pos| of |q| was asked to stop (timed out). */
static inline bool nrt__queue_cancelled(const nrt__queue_t *q, uint64_t pos)
{
    return atomic_load_explicit(&((nrt__queue_t *)q)->run_token, memory_order_relaxed) ==
           NRT__RUN_TOKEN(pos, NRT__RUN_TIMED_OUT, true);
}

static inline nrt__op_t *nrt__queue_op(const nrt__queue_t *q, uint64_t pos)
{
    return nrt__ring_payload(&q->ring, pos);
}

static inline nrta_seq_t nrt__seq_make(nrta_xu_id_t id, uint64_t num)
{
    return ((uint64_t)id << 48) | (num & NRTA_SEQ_NUM_MASK);
}

static inline nrta_xu_id_t nrt__xu_id_make(uint32_t lnc, uint32_t xu, uint32_t q)
{
    return (nrta_xu_id_t)((lnc << 8) | (xu << 5) | q);
}

extern const char *const nrt__xu_names[NRTA_XU_TYPE_NUM];

/* The unit (2.28 numbering, the engine's) that unit |xu3| of the async API
 * 3.0 names (0 TENSOR_OP, 1 COMPUTE, 2 COLLECTIVES); NRT_INVALID, logged,
 * for another value. */
NRT_STATUS nrt__xu_from_v3(int xu3, const char *func, nrta_xu_t *out);

/*===------------------------------------------------------------------===*/
/* Worker pool (sched.c)                                                  */
/*===------------------------------------------------------------------===*/

/* Sets the pool up for |max_strands| queues; it starts up to |nworkers|
 * workers (0: one per online CPU) as work arrives, more when they block.
 * nrt__pool_stop joins them (every queue must be idle). */
NRT_STATUS nrt__pool_start(uint32_t nworkers, uint64_t spin_ns, uint64_t max_strands);
void nrt__pool_stop(void);
/* Puts a QUEUED strand on the ready list (unless an entry of it is still
 * there) and makes sure a worker comes. */
void nrt__pool_push(nrt__queue_t *q);
/* True when strands wait on the ready list. */
bool nrt__pool_has_ready(void);

/*===------------------------------------------------------------------===*/
/* Waits and completion fds (wait.c)                                      */
/*===------------------------------------------------------------------===*/

/* Blocks until sequence number |num| of |q| has completed. */
void nrt__queue_wait(nrt__queue_t *q, uint64_t num);
/* Creates the eventfd behind nrta_get_completion_handle. */
NRT_STATUS nrt__queue_completion_fd(nrt__queue_t *q, uint64_t num, int *out_fd);
/* nrta_event_register_seq_id_completion on request |num| of |q| (efd < 0:
 * drop its registrations) and nrta_event_register_xu_completion on |q|. */
NRT_STATUS nrt__queue_event_seq(nrt__queue_t *q, uint64_t num, int efd, const char *func);
NRT_STATUS nrt__queue_event_every(nrt__queue_t *q, int efd, const char *func);
/* Wakes sync waiters and signals fd waiters up to |completed|. */
void nrt__queue_wake(nrt__queue_t *q, uint64_t completed, uint64_t waiters);
/* Signals and frees every fd waiter (teardown). */
void nrt__queue_fds_flush(nrt__queue_t *q);

#define NRT__SYNC_WAITER (1ull << 32)
#define NRT__FD_WAITER_MASK 0xffffffffull

/*===------------------------------------------------------------------===*/
/* Error trackers (tracker.c)                                             */
/*===------------------------------------------------------------------===*/

void nrt__tracker_retain(nrta_error_tracker_t *t);
void nrt__tracker_release(nrta_error_tracker_t *t);
void nrt__tracker_record(nrta_error_tracker_t *t, nrta_seq_t seq, NRT_STATUS status);
bool nrt__tracker_check(const nrta_error_tracker_t *t, const char *func);
void nrt__tracker_close_all(void);
uint32_t nrt__tracker_core(const nrta_error_tracker_t *t);

/*===------------------------------------------------------------------===*/
/* Fault injection (fault.c)                                              */
/*===------------------------------------------------------------------===*/

/* Returns true (and the status/degrade to apply) when a rule hits this
 * request. Cheap when no rule exists. */
bool nrt__fault_match(uint32_t lnc, uint32_t xu, uint32_t q, uint64_t num, NRT_STATUS *status, bool *degrade);
NRT_STATUS nrt__fault_parse_env(const char *spec);
void nrt__fault_reset(void);
/* A status name or number that is an NRT_STATUS (numbers checked before
 * any conversion). */
bool nrt__fault_parse_status(const char *v, NRT_STATUS *out);
bool nrt__fault_status_known(NRT_STATUS st);
/* "-1", "*" or "any": NRTX_ANY; else a number below |limit|. */
bool nrt__fault_parse_any(const char *v, uint64_t limit, int32_t *out);
/* The key=value loop of one OPENNRT_FAULT rule: calls |set| for each
 * ','-separated pair of |spec| (modified); a pair without '=' or one |set|
 * refuses is logged once ("bad <what>key or value") and NRT_INVALID. */
typedef bool (*nrt__fault_kv_fn)(void *rule, const char *key, const char *value);
NRT_STATUS nrt__fault_parse_kv(char *spec, const char *what, nrt__fault_kv_fn set, void *rule);
/* Network rules (src/sendrecv/sr_fault.c). */
NRT_STATUS nrt__sr_fault_parse(char *spec);
void nrt__sr_fault_reset(void);

/*===------------------------------------------------------------------===*/
/* Tracing (trace.c)                                                      */
/*===------------------------------------------------------------------===*/

extern _Atomic bool nrt__trace_on;
void nrt__trace_record(nrt__queue_t *q, const nrt__op_t *op, uint64_t num, uint64_t start, uint64_t end,
                       NRT_STATUS st);
void nrt__trace_free(nrt__queue_t *q);
NRT_STATUS nrt__trace_write_file(const char *path);
/* The trace's process id of core |lnc| (Perfetto treats pid 0 specially). */
static inline uint32_t nrt__trace_pid(uint32_t lnc)
{
    return lnc + 1;
}
/* Send/recv transfers (src/sendrecv/sr_trace.c). */
void nrt__sr_trace_min(uint64_t *t0);
void nrt__sr_trace_emit(FILE *f, uint64_t t0, bool *first);
void nrt__sr_trace_reset(void);

/*===------------------------------------------------------------------===*/
/* Watchdog (watchdog.c)                                                  */
/*===------------------------------------------------------------------===*/

NRT_STATUS nrt__watchdog_start(uint64_t timeout_ns);
void nrt__watchdog_stop(void);

/* fork() child handlers: forget the parent's threads and locks. */
void nrt__watchdog_after_fork(void);
void nrt__pool_after_fork(void);
void nrt__fault_after_fork(void);
