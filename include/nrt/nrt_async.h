/*
 * nrt/nrt_async.h - the explicit async API (nrta_*).
 *
 * Every logical core has five execution units (XUs). TENSOR_READ,
 * TENSOR_WRITE and TENSOR_OP have OPENNRT_QUEUES queues each (default 4,
 * see docs/CONFIG.md); COMPUTE and COLLECTIVES have queue 0 only. Each queue runs its requests
 * one at a time in submit order; queues and units run in parallel.
 *
 * Schedule calls never block: they validate their arguments (returning the
 * error synchronously, with nothing queued), then enqueue the request and
 * return its sequence id, or NRT_QUEUE_FULL with nothing changed. Errors
 * found while a request runs are recorded in its error tracker before the
 * request is reported complete.
 *
 * Sequence ids (OpenNRT encoding of the top 16 bits, the "XU id"):
 *     bits 15..8  logical core (0..255)
 *     bits  7..5  execution unit (nrta_xu_t)
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

typedef enum {
    NRTA_XU_TENSOR_READ = 0,
    NRTA_XU_TENSOR_WRITE,
    NRTA_XU_TENSOR_OP,
    NRTA_XU_COMPUTE,
    NRTA_XU_COLLECTIVES,
    NRTA_XU_TYPE_NUM
} nrta_xu_t;

/* Top 16 bits: execution unit id; low 48 bits: sequence number. */
typedef uint64_t nrta_seq_t;
typedef uint16_t nrta_xu_id_t;

#define NRTA_SEQ_NUM_MAX ((1ull << 48) - 1)
#define NRTA_SEQ_NUM_MASK NRTA_SEQ_NUM_MAX
#define NRTA_SEQ_GET_SEQ_NUM(seq_id) ((seq_id) & NRTA_SEQ_NUM_MASK)
#define NRTA_SEQ_GET_XU_ID(seq_id) ((nrta_xu_id_t)((seq_id) >> 48))

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
                             nrta_error_tracker_t *err, nrta_seq_t *req_sequence);

/* As nrta_tensor_write, from |tensor| into host |buf|, on TENSOR_READ. */
NRT_STATUS nrta_tensor_read(void *buf, nrt_tensor_t *tensor, uint64_t offset, uint64_t size, int queue,
                            nrta_error_tracker_t *err, nrta_seq_t *req_sequence);

/* Copies between two tensors of one core on its TENSOR_OP unit
 * (NRT_INVALID if the cores differ). */
NRT_STATUS nrta_tensor_copy(nrt_tensor_t *src, uint64_t src_offset, nrt_tensor_t *dst, uint64_t dst_offset,
                            uint64_t size, int queue, nrta_error_tracker_t *err, nrta_seq_t *req_sequence);

/* Runs |model| on the COMPUTE unit of its core. |queue| must be 0. The sets
 * are checked now (NRT_EXEC_BAD_INPUT / NRT_INVALID); the tensors they hold
 * at schedule time are the ones used. */
NRT_STATUS nrta_execute_schedule(nrt_model_t *model, const nrt_tensor_set_t *input, nrt_tensor_set_t *output,
                                 int queue, nrta_error_tracker_t *err, nrta_seq_t *req_sequence);

/* Collectives (COLLECTIVES unit). */
NRT_STATUS nrta_cc_prepare(nrt_cc_comm_t *comm, nrt_tensor_list_t *input, nrt_tensor_list_t *output,
                           nrt_dtype_t dtype, nrt_op_type_t op, nrt_cc_op_type_t cc_op, nrt_cc_context_t **cc_ctx);
/* The context is freed by the runtime after the operation runs. */
NRT_STATUS nrta_cc_schedule(nrt_cc_context_t **cc_ctx, int queue, nrta_error_tracker_t *err,
                            nrta_seq_t *req_sequence);

/* *is_completed = whether request |seq| has completed (successfully or not).
 * Returns NRT_SUCCESS for any issued id, NRT_INVALID for one never issued.
 * Lock-free, no syscall. */
NRT_STATUS nrta_is_completed(nrta_seq_t seq, bool *is_completed);

/* The id of the last completed request of (lnc, xu, queue); before any
 * completion: sequence number 0 with that queue's XU id. */
NRT_STATUS nrta_get_sequence(uint32_t lnc, nrta_xu_t xu, int queue, nrta_seq_t *seq);

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

#ifdef __cplusplus
}
#endif
