/*
 * src/xu/xu.h - execution units: bounded MPSC request queues, one worker
 * thread per queue, sequence ids, completion waits, error trackers, fault
 * injection and timeline traces (private).
 *
 * Queue protocol (lock-free in the common case):
 *  - A queue is a ring of |depth| slots, each with an atomic sequence word
 *    (Vyukov's bounded queue). Producers reserve position p by CAS on
 *    |tail| when slot[p].seq == p, fill the slot and publish seq = p+1
 *    (release). Sequence number of that request: p+1.
 *  - The single worker consumes positions in order, runs the request,
 *    records any error in the tracker, releases references, frees the slot
 *    (seq = p+depth, release) and then publishes completed = p+1.
 *  - A full ring (slot not yet freed) is NRT_QUEUE_FULL: nothing reserved.
 *  - An idle worker spins for the configured window, then sleeps on a
 *    futex; producers wake it only if it announced it sleeps.
 */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/common.h"
#include "nrt/nrt_async.h"
#include "nrt/nrt_ext.h"
#include "tensor/tensor.h"
#include "model/model.h"

#define NRT__MAX_QUEUES 32
#define NRT__TRACKER_MAGIC 0x4b435254u /* "TRCK" */

enum nrt__req_kind {
    NRT__REQ_READ = 0,
    NRT__REQ_WRITE,
    NRT__REQ_COPY,
    NRT__REQ_EXEC,
    NRT__REQ_CC,
    NRT__REQ_KIND_NUM
};

extern const char *const nrt__req_kind_names[NRT__REQ_KIND_NUM];

typedef struct nrt__req {
    uint8_t kind;
    nrta_error_tracker_t *tracker; /* retained, may be NULL */
    uint64_t size;                 /* bytes moved (trace label) */
    uint64_t enq_ns;               /* only when tracing */
    NRT_STATUS *sync_status;       /* set for synchronous callers */
    union {
        struct {
            nrt__storage_t *st; /* retained */
            char *dev;
            char *host;
        } io;
        struct {
            nrt__storage_t *src, *dst; /* retained */
            char *s, *d;
        } copy;
        struct {
            nrt_model_t *model;   /* retained */
            nrt__storage_t **sts; /* num_inputs + num_outputs, retained */
            void **ptrs;          /* same count, into sts */
        } exec;
        struct {
            void *ctx;
            NRT_STATUS (*run)(void *ctx);
            void (*release)(void *ctx);
        } cc;
    } u;
} nrt__req_t;

typedef struct nrt__slot {
    _Atomic uint64_t seq;
    nrt__req_t req;
} nrt__slot_t;

typedef struct nrt__fd_waiter {
    uint64_t num; /* sequence number awaited */
    int fd;       /* our dup of the eventfd */
    struct nrt__fd_waiter *next;
} nrt__fd_waiter_t;

typedef struct nrt__trace_rec {
    uint64_t seq_num, size, enq_ns, start_ns, end_ns;
    uint32_t status;
    uint8_t kind;
} nrt__trace_rec_t;

#define NRT__TRACE_CHUNK 4096
#define NRT__TRACE_MAX_CHUNKS 4096

struct nrt__unit;

typedef struct nrt__queue {
    /* Producer side. */
    _Alignas(NRT__CACHELINE) _Atomic uint64_t tail; /* positions reserved */
    /* Consumer side. */
    _Alignas(NRT__CACHELINE) _Atomic uint64_t completed; /* last completed number */
    _Atomic uint32_t done_word;                          /* futex: low bits of completed */
    _Atomic uint64_t nwaiters; /* sync waiters << 32 | fd waiters */
    _Alignas(NRT__CACHELINE) _Atomic uint32_t sleeping;  /* futex: worker asleep */
    _Atomic uint32_t stop;
    /* Read-mostly: every submit reads these, nobody writes them per request. */
    _Alignas(NRT__CACHELINE) nrt__slot_t *slots;
    uint64_t mask, depth;
    struct nrt__unit *unit;
    uint32_t lnc, xu, index;
    nrta_xu_id_t xu_id;
    _Atomic bool started;
    pthread_t thread;
    bool leaked; /* an abandoned worker may still touch it */
    /* Worker-written per request: on its own line so that submits do not
     * miss on it (false sharing cost ~30 ns per schedule). */
    _Alignas(NRT__CACHELINE) uint64_t head; /* worker-only */
    /* Watchdog handshake for the running request: pos * 4 + NRT__RUN_*. */
    _Atomic uint64_t run_token;
    _Atomic uint64_t run_start_ns;
    _Atomic uint64_t busy_ns, errors;
    _Atomic uint64_t trace_count;
    nrt__trace_rec_t **trace_chunks; /* trace (single writer: the worker) */
    /* Cold. */
    _Alignas(NRT__CACHELINE) _Atomic uint32_t abandoned; /* workers taken over that have not returned yet */
    pthread_mutex_t fd_lock; /* lock order: after nrt__rt.lock */
    nrt__fd_waiter_t *fd_waiters;
} nrt__queue_t;

enum { NRT__RUN_IDLE = 0, NRT__RUN_RUNNING, NRT__RUN_TIMED_OUT, NRT__RUN_TAKEN };

typedef struct nrt__unit {
    _Atomic bool degraded;
    uint32_t nqueues;
    nrt__queue_t *queues;
} nrt__unit_t;

struct nrta_error_tracker {
    uint32_t magic;
    _Atomic uint32_t refs; /* user + queued requests */
    uint32_t lnc;
    bool user_destroyed;
    pthread_mutex_t lock;
    nrta_error_t *pending, *returned;
    size_t npending, cap_pending, nreturned, cap_returned;
    struct nrta_error_tracker *reg_prev, *reg_next;
};

/* Sets the units of core |lnc| up / tears them down (no requests may be in
 * flight: nrt__xu_quiesce first). */
NRT_STATUS nrt__units_create(uint32_t lnc, nrt__unit_t units[NRTA_XU_TYPE_NUM]);
void nrt__units_destroy(nrt__unit_t units[NRTA_XU_TYPE_NUM]);
/* Waits (bounded by |timeout_ns|) until every started queue is idle. */
void nrt__units_quiesce(nrt__unit_t units[NRTA_XU_TYPE_NUM], uint64_t deadline_ns);

/* Looks up the queue (logs + NRT_INVALID on a bad xu/queue). */
NRT_STATUS nrt__queue_get(uint32_t lnc, nrta_xu_t xu, int queue, const char *func, nrt__queue_t **out);

/* Submits |req| (references already taken; on failure the caller releases
 * them). Returns NRT_SUCCESS, NRT_QUEUE_FULL or NRT_EXEC_UNIT_UNRECOVERABLE. */
NRT_STATUS nrt__queue_submit(nrt__queue_t *q, const nrt__req_t *req, nrta_seq_t *out_seq);
/* Blocks until sequence number |num| of |q| has completed. */
void nrt__queue_wait(nrt__queue_t *q, uint64_t num);
/* Releases every reference a request holds. */
void nrt__req_release(nrt__req_t *req);

static inline nrta_seq_t nrt__seq_make(nrta_xu_id_t id, uint64_t num)
{
    return ((uint64_t)id << 48) | (num & NRTA_SEQ_NUM_MASK);
}

static inline nrta_xu_id_t nrt__xu_id_make(uint32_t lnc, uint32_t xu, uint32_t q)
{
    return (nrta_xu_id_t)((lnc << 8) | (xu << 5) | q);
}

/* Error trackers. */
void nrt__tracker_retain(nrta_error_tracker_t *t);
void nrt__tracker_release(nrta_error_tracker_t *t);
void nrt__tracker_record(nrta_error_tracker_t *t, nrta_seq_t seq, NRT_STATUS status);
bool nrt__tracker_check(const nrta_error_tracker_t *t, const char *what);
void nrt__tracker_close_all(void);

/* Fault injection: returns true (and the status/degrade to apply) when a
 * rule hits this request. Cheap when no rule exists. */
bool nrt__fault_match(uint32_t lnc, uint32_t xu, uint32_t q, uint64_t num, NRT_STATUS *status, bool *degrade);
NRT_STATUS nrt__fault_parse_env(const char *spec);
void nrt__fault_reset(void);

/* Tracing. */
extern _Atomic bool nrt__trace_on;
void nrt__trace_record(nrt__queue_t *q, const nrt__req_t *req, uint64_t num, uint64_t start, uint64_t end,
                       NRT_STATUS st);
void nrt__trace_free(nrt__queue_t *q);
NRT_STATUS nrt__trace_write_file(const char *path);

/* Watchdog (exec timeout). */
NRT_STATUS nrt__watchdog_start(void);
void nrt__watchdog_stop(void);

/* Creates the eventfd behind nrta_get_completion_handle. */
NRT_STATUS nrt__queue_completion_fd(nrt__queue_t *q, uint64_t num, int *out_fd);
