/*
 * nrt/nrt_async.h - the explicit async API (nrta_*), in both of Neuron's
 * versions, selected at compile time by NRTA_API_VERSION:
 *
 *   2 (default)  the API of Neuron 2.28 that the seeds describe: five
 *                execution units, errors collected by error trackers,
 *                completion handles (nrta_get_completion_handle);
 *   3            the async API 3.0 (Neuron 2.29+): three execution units
 *                (TENSOR_OP runs reads, writes and copies), a status
 *                pointer per request written when it completes, a core
 *                index in the tensor calls, completion events on the
 *                caller's eventfd (nrta_event_register_*). Build a 3.0
 *                program unchanged with -DNRTA_API_VERSION=3.
 *
 * One engine serves both: the 3.0 units are the 2.28 units TENSOR_OP,
 * COMPUTE and COLLECTIVES (same queues, same sequence ids, so the two kinds
 * of call can be mixed in one process). The library exports both variants
 * of each name that changed, as glibc keeps old and new versions of one
 * symbol: name@NRT_2.0.0 is the 2.28 variant, name@@NRT_3.0.0 the 3.0 one
 * (the default, which dlsym() returns: dlvsym(h, name, "NRT_2.0.0") gives
 * the 2.28 one). This header binds each call to the variant of the API it
 * was compiled for, so a binary built either way loads here and against the
 * real runtime of its version. See docs/API.md "Async API versions".
 *
 * Every logical core has five execution units (XUs). TENSOR_READ,
 * TENSOR_WRITE and TENSOR_OP have OPENNRT_QUEUES queues each (default 4,
 * see docs/CONFIG.md); COMPUTE and COLLECTIVES have queue 0 only. Each
 * queue runs its requests one at a time in submit order; queues and units
 * run in parallel.
 *
 * Schedule calls never block: they validate their arguments (returning the
 * error synchronously, with nothing queued), then enqueue the request and
 * return its sequence id, or NRT_QUEUE_FULL with nothing changed. Errors
 * found while a request runs are recorded (error tracker / status pointer)
 * before the request is reported complete.
 *
 * Sequence ids (OpenNRT encoding of the top 16 bits, the "XU id"):
 *     bits 15..8  logical core (0..255)
 *     bits  7..5  execution unit (the five units of the 2.28 numbering)
 *     bits  4..0  queue (0..31)
 * The low 48 bits count accepted requests of that queue, from 1, by 1.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "nrt/nrt.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef NRTA_API_VERSION
#define NRTA_API_VERSION 2
#endif
#if NRTA_API_VERSION != 2 && NRTA_API_VERSION != 3
#error "nrt/nrt_async.h: NRTA_API_VERSION must be 2 (Neuron 2.28 async API, the default) or 3 (async API 3.0)"
#endif

/* Binds a declaration to one version of a symbol the library exports in
 * two variants (GNU C and C++: gcc, clang). The call refers to a local
 * alias that the assembler renames to name@NODE. */
#if defined(__GNUC__) && !defined(NRT__BUILDING_LIBNRT)
#define NRTA__VERSIONED(name, tag) __asm__("nrta__ref" #tag "_" #name)
#define NRTA__BIND(name, tag, node) __asm__(".symver nrta__ref" #tag "_" #name ", " #name "@" node);
#else
#define NRTA__VERSIONED(name, tag)
#define NRTA__BIND(name, tag, node)
#endif
#if NRTA_API_VERSION == 3
#define NRTA__V(name) NRTA__VERSIONED(name, 3)
#define NRTA__B(name) NRTA__BIND(name, 3, "NRT_3.0.0")
#else
#define NRTA__V(name) NRTA__VERSIONED(name, 2)
#define NRTA__B(name) NRTA__BIND(name, 2, "NRT_2.0.0")
#endif

#if NRTA_API_VERSION == 3
/* Execution units of the async API 3.0. */
typedef enum {
    NRTA_XU_TENSOR_OP = 0, /* reads, writes and copies */
    NRTA_XU_COMPUTE,
    NRTA_XU_COLLECTIVES,
    NRTA_XU_TYPE_NUM
} nrta_xu_t;
#else
typedef enum {
    NRTA_XU_TENSOR_READ = 0,
    NRTA_XU_TENSOR_WRITE,
    NRTA_XU_TENSOR_OP,
    NRTA_XU_COMPUTE,
    NRTA_XU_COLLECTIVES,
    NRTA_XU_TYPE_NUM
} nrta_xu_t;
#endif

/* Top 16 bits: execution unit id; low 48 bits: sequence number. */
typedef uint64_t nrta_seq_t;
typedef uint16_t nrta_xu_id_t;

#define NRTA_SEQ_NUM_MAX ((1ull << 48) - 1)
#define NRTA_SEQ_NUM_MASK NRTA_SEQ_NUM_MAX
#define NRTA_SEQ_GET_SEQ_NUM(seq_id) ((seq_id) & NRTA_SEQ_NUM_MASK)
#define NRTA_SEQ_GET_XU_ID(seq_id) ((nrta_xu_id_t)((seq_id) >> 48))

/* The core whose units a 3.0 tensor call names for |tensor|: the core it
 * was allocated on (host and attached tensors allocated without a core: 0).
 * Both API versions. NRT_INVALID on a NULL, freed or foreign handle. */
NRT_STATUS nrt_tensor_get_lnc_index(const nrt_tensor_t *tensor, int *lnc_idx);

#if NRTA_API_VERSION == 3

/* Enqueues a copy of |size| bytes from host |buf| into |tensor| at |offset|
 * on queue |queue| of the TENSOR_OP unit of core |lnc_idx| (the tensor's
 * core; host tensors: any core). |buf| must stay valid until the request
 * completes. When it completes, its status is stored in *exec_ret (may be
 * NULL: failures are then logged) before nrta_is_completed / the events
 * report it: *exec_ret must stay valid until then; it is not written at
 * schedule time.
 * Returns NRT_SUCCESS and *req_sequence, NRT_QUEUE_FULL (nothing queued:
 * wait for a completion and retry), NRT_INVALID (bad argument, core, queue,
 * bounds), NRT_EXEC_UNIT_UNRECOVERABLE (unit degraded),
 * NRT_UNINITIALIZED/NRT_CLOSED. */
NRT_STATUS nrta_tensor_write(nrt_tensor_t *tensor, const void *buf, uint64_t offset, uint64_t size, int lnc_idx,
                             int queue, NRT_STATUS *exec_ret, nrta_seq_t *req_sequence) NRTA__V(nrta_tensor_write);
/* As nrta_tensor_write, from |tensor| into host |buf|. */
NRT_STATUS nrta_tensor_read(void *buf, nrt_tensor_t *tensor, uint64_t offset, uint64_t size, int lnc_idx,
                            int queue, NRT_STATUS *exec_ret, nrta_seq_t *req_sequence) NRTA__V(nrta_tensor_read);
/* Copies between two tensors of core |lnc_idx| on its TENSOR_OP unit. */
NRT_STATUS nrta_tensor_copy(nrt_tensor_t *src, uint64_t src_offset, nrt_tensor_t *dst, uint64_t dst_offset,
                            uint64_t size, int lnc_idx, int queue, NRT_STATUS *exec_ret,
                            nrta_seq_t *req_sequence) NRTA__V(nrta_tensor_copy);
/* Runs |model| on the COMPUTE unit of its core; |queue| must be 0. */
NRT_STATUS nrta_execute_schedule(nrt_model_t *model, const nrt_tensor_set_t *input, nrt_tensor_set_t *output,
                                 int queue, NRT_STATUS *exec_ret,
                                 nrta_seq_t *req_sequence) NRTA__V(nrta_execute_schedule);
NRT_STATUS nrta_cc_prepare(nrt_cc_comm_t *comm, nrt_tensor_list_t *input, nrt_tensor_list_t *output,
                           nrt_dtype_t dtype, nrt_op_type_t op, nrt_cc_op_type_t cc_op,
                           nrt_cc_context_t **cc_ctx) NRTA__V(nrta_cc_prepare);
NRT_STATUS nrta_cc_schedule(nrt_cc_context_t **cc_ctx, int queue, NRT_STATUS *exec_ret,
                            nrta_seq_t *req_sequence) NRTA__V(nrta_cc_schedule);
NRT_STATUS nrta_is_completed(nrta_seq_t seq, bool *is_completed) NRTA__V(nrta_is_completed);
NRT_STATUS nrta_get_sequence(uint32_t lnc_idx, nrta_xu_t xu_type, int queue,
                             nrta_seq_t *seq) NRTA__V(nrta_get_sequence);

/* Completion events on the caller's eventfd (Neuron 2.30). The runtime
 * keeps its own duplicate of |efd|, so the caller may close theirs at any
 * time; each signal adds to the eventfd counter.
 * seq_id: adds 1 to |efd| once request |seq| completes (at once if it
 * already has). Several eventfds may wait for one request. efd < 0 drops
 * every registration of |seq| that has not fired.
 * xu: adds the number of newly completed requests to |efd| after every
 * completion on (lnc, xu, queue); one eventfd per queue (a new one replaces
 * the old); efd < 0 unregisters.
 * Returns NRT_SUCCESS, NRT_INVALID (unknown seq / core / unit / queue, an
 * efd that is not open), NRT_RESOURCE (out of fds or memory). */
NRT_STATUS nrta_event_register_seq_id_completion(nrta_seq_t seq, int efd);
NRT_STATUS nrta_event_register_xu_completion(uint32_t lnc, nrta_xu_t xu, int queue, int efd);

#else /* NRTA_API_VERSION == 2 */

typedef struct nrta_error {
    nrta_seq_t seq_id;   /* the failed request */
    uint64_t error_code; /* its NRT_STATUS */
} nrta_error_t;

#ifdef __cplusplus
static_assert(sizeof(nrta_error_t) == 16, "nrta_error_t must be 16 bytes");
#else
_Static_assert(sizeof(nrta_error_t) == 16, "nrta_error_t must be 16 bytes");
#endif

typedef struct nrta_error_tracker nrta_error_tracker_t;

/* Enqueues a copy of |size| bytes from host |buf| into |tensor| at |offset|
 * on the TENSOR_WRITE unit of the tensor's core, queue |queue|. |buf| must
 * stay valid until the request completes. |err| (may be NULL: errors are
 * then only logged) must belong to the tensor's core. Host tensors use the
 * units of core 0.
 * Returns NRT_SUCCESS and *req_sequence, NRT_QUEUE_FULL, NRT_INVALID (bad
 * argument, queue, bounds, tracker of another core),
 * NRT_EXEC_UNIT_UNRECOVERABLE (unit degraded), NRT_UNINITIALIZED/CLOSED. */
NRT_STATUS nrta_tensor_write(nrt_tensor_t *tensor, const void *buf, uint64_t offset, uint64_t size, int queue,
                             nrta_error_tracker_t *err, nrta_seq_t *req_sequence) NRTA__V(nrta_tensor_write);

/* As nrta_tensor_write, from |tensor| into host |buf|, on TENSOR_READ. */
NRT_STATUS nrta_tensor_read(void *buf, nrt_tensor_t *tensor, uint64_t offset, uint64_t size, int queue,
                            nrta_error_tracker_t *err, nrta_seq_t *req_sequence) NRTA__V(nrta_tensor_read);

/* Copies between two tensors of one core on its TENSOR_OP unit
 * (NRT_INVALID if the cores differ). */
NRT_STATUS nrta_tensor_copy(nrt_tensor_t *src, uint64_t src_offset, nrt_tensor_t *dst, uint64_t dst_offset,
                            uint64_t size, int queue, nrta_error_tracker_t *err,
                            nrta_seq_t *req_sequence) NRTA__V(nrta_tensor_copy);

/* Runs |model| on the COMPUTE unit of its core. |queue| must be 0. The sets
 * are checked now (NRT_EXEC_BAD_INPUT / NRT_INVALID); the tensors they hold
 * at schedule time are the ones used. */
NRT_STATUS nrta_execute_schedule(nrt_model_t *model, const nrt_tensor_set_t *input, nrt_tensor_set_t *output,
                                 int queue, nrta_error_tracker_t *err,
                                 nrta_seq_t *req_sequence) NRTA__V(nrta_execute_schedule);

/* Collectives (COLLECTIVES unit). */
NRT_STATUS nrta_cc_prepare(nrt_cc_comm_t *comm, nrt_tensor_list_t *input, nrt_tensor_list_t *output,
                           nrt_dtype_t dtype, nrt_op_type_t op, nrt_cc_op_type_t cc_op,
                           nrt_cc_context_t **cc_ctx) NRTA__V(nrta_cc_prepare);
/* The context is freed by the runtime after the operation runs. */
NRT_STATUS nrta_cc_schedule(nrt_cc_context_t **cc_ctx, int queue, nrta_error_tracker_t *err,
                            nrta_seq_t *req_sequence) NRTA__V(nrta_cc_schedule);

/* *is_completed = whether request |seq| has completed (successfully or not).
 * Returns NRT_SUCCESS for any issued id, NRT_INVALID for one never issued.
 * Lock-free, no syscall. */
NRT_STATUS nrta_is_completed(nrta_seq_t seq, bool *is_completed) NRTA__V(nrta_is_completed);

/* The id of the last completed request of (lnc, xu, queue); before any
 * completion: sequence number 0 with that queue's XU id. */
NRT_STATUS nrta_get_sequence(uint32_t lnc, nrta_xu_t xu, int queue, nrta_seq_t *seq) NRTA__V(nrta_get_sequence);

/* A new file descriptor that poll/epoll/select report readable once |seq|
 * has completed (at once if it already has). The caller must close() it. */
NRT_STATUS nrta_get_completion_handle(nrta_seq_t seq, int *fd);

/* Error trackers. A tracker collects the errors of the requests it was
 * passed to. nrta_error_tracker_get_list() drains: it returns the errors
 * recorded since the previous call, in completion order; the array is
 * owned by the tracker and stays valid until the next get_list or destroy
 * of that tracker. One thread at a time may call get_list on a tracker.
 * Destroying a tracker that in-flight requests reference is safe; their
 * errors are then only logged. */
NRT_STATUS nrta_error_tracker_create(uint32_t lnc_idx, nrta_error_tracker_t **error_tracker);
void nrta_error_tracker_destroy(nrta_error_tracker_t *error_tracker);
NRT_STATUS nrta_error_tracker_get_list(nrta_error_tracker_t *error_tracker, const nrta_error_t **list,
                                       size_t *error_count);

#endif /* NRTA_API_VERSION */

/* The two-variant names, bound to this compilation's version. */
NRTA__B(nrta_tensor_write)
NRTA__B(nrta_tensor_read)
NRTA__B(nrta_tensor_copy)
NRTA__B(nrta_execute_schedule)
NRTA__B(nrta_cc_prepare)
NRTA__B(nrta_cc_schedule)
NRTA__B(nrta_is_completed)
NRTA__B(nrta_get_sequence)

#ifdef __cplusplus
}
#endif
