/*
 * src/xu/async.c - the public explicit-async API (nrta_*) and the
 * synchronous nrt_execute, which runs on the same COMPUTE queue so that it
 * is ordered with async executions of that core.
 *
 * A schedule call validates everything, takes references on what the
 * request touches (storage, model, tracker), and submits; if the queue is
 * full or the unit degraded it drops those references again, so a refused
 * call leaves no trace.
 *
 * Both async APIs (nrt/nrt_async.h) are served here on one engine: each
 * name that changed in 3.0 has two implementations, exported as
 * name@NRT_2.0.0 (2.28: error trackers, five units) and name@@NRT_3.0.0
 * (3.0: a status pointer per request, reads/writes/copies on TENSOR_OP, a
 * core index argument). The 3.0 status pointer is the op's |sync_status|:
 * the one completion path stores it before it publishes completion, as it
 * records a tracker entry. Events (nrta_event_register_*) are in wait.c.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "model/model.h"
#include "tensor/tensor.h"
#include "xu/xu.h"

static NRT_STATUS tracker_for(nrta_error_tracker_t *err, uint32_t lnc, const char *func)
{
    if (!err)
        return NRT_SUCCESS;
    if (!nrt__tracker_check(err, func))
        return NRT_INVALID;
    if (nrt__tracker_core(err) != lnc) {
        NRT__LOG(NRT__LOG_ERROR, "%s: error tracker belongs to core %u, the request runs on core %u", func,
                 nrt__tracker_core(err), lnc);
        return NRT_INVALID;
    }
    return NRT_SUCCESS;
}

static NRT_STATUS submit(nrt__queue_t *q, nrt__op_t *op, nrta_seq_t *out, const char *func)
{
    if (op->tracker)
        nrt__tracker_retain(op->tracker);
    if (NRT__UNLIKELY(atomic_load_explicit(&nrt__trace_on, memory_order_relaxed)))
        op->enq_ns = nrt__now_ns();
    NRT_STATUS st = nrt__queue_submit(q, op, out);
    if (NRT__UNLIKELY(st != NRT_SUCCESS)) {
        nrt__op_release(op);
        if (st == NRT_EXEC_UNIT_UNRECOVERABLE)
            NRT__LOG(NRT__LOG_ERROR, "%s: core %u unit %s is degraded", func, q->lnc, nrt__xu_names[q->xu]);
    }
    return st;
}

/* The core whose units serve |t|: its own, or core 0 for host memory (also
 * a host tensor allocated naming a core: that core only matters for
 * accounting, see nrt_tensor_allocate). */
static inline uint32_t tensor_core(const nrt_tensor_t *t)
{
    return t->core >= 0 && t->placement != NRT_TENSOR_PLACEMENT_HOST ? (uint32_t)t->core : 0;
}

/* What every schedule call checks first: the runtime runs, |req_sequence|
 * is given. */
static NRT_STATUS precheck(const nrta_seq_t *req_sequence, const char *func)
{
    NRT_STATUS st = nrt__rt_check(func);
    if (NRT__UNLIKELY(st != NRT_SUCCESS))
        return st;
    if (NRT__UNLIKELY(!req_sequence)) {
        NRT__LOG(NRT__LOG_ERROR, "%s: argument 'req_sequence' is NULL", func);
        return NRT_INVALID;
    }
    return NRT_SUCCESS;
}

/* The core a 3.0 tensor call names: valid, and the tensor's own core when
 * it has one (host memory can be moved by any core's units). */
static NRT_STATUS core_named(const nrt_tensor_t *t, int lnc_idx, const char *func, uint32_t *out)
{
    if (NRT__UNLIKELY(!nrt__core_check(lnc_idx, func)))
        return NRT_INVALID;
    if (NRT__UNLIKELY(t->core >= 0 && t->placement != NRT_TENSOR_PLACEMENT_HOST && t->core != lnc_idx)) {
        NRT__LOG(NRT__LOG_ERROR, "%s: tensor '%s' is on core %d, the request names core %d", func, t->name,
                 t->core, lnc_idx);
        return NRT_INVALID;
    }
    *out = (uint32_t)lnc_idx;
    return NRT_SUCCESS;
}

/* A read or write. 2.28 (lnc_idx < 0 and |ret| unused): the tensor's core,
 * TENSOR_READ / TENSOR_WRITE, tracker |err|. 3.0 (v3): core |lnc_idx|,
 * TENSOR_OP, status pointer |ret|. */
static NRT_STATUS schedule_io(bool is_read, nrt_tensor_t *tensor, void *buf, uint64_t offset, uint64_t size,
                              bool v3, int lnc_idx, int queue, nrta_error_tracker_t *err, NRT_STATUS *ret,
                              nrta_seq_t *req_sequence, const char *func)
{
    NRT_STATUS st = precheck(req_sequence, func);
    if (NRT__UNLIKELY(st != NRT_SUCCESS))
        return st;
    if (NRT__UNLIKELY(!buf)) {
        NRT__LOG(NRT__LOG_ERROR, "%s: argument 'buf' is NULL", func);
        return NRT_INVALID;
    }
    /* The tensor's storage and address read as one and retained (checks
     * included): a buffer attached on another thread meanwhile cannot free
     * them (tensor.c). */
    nrt__storage_t *ts;
    char *td;
    st = nrt__tensor_use(tensor, offset, size, true, func, &ts, &td);
    if (NRT__UNLIKELY(st != NRT_SUCCESS))
        return st;
    uint32_t lnc = tensor_core(tensor);
    nrta_xu_t xu = is_read ? NRTA_XU_TENSOR_READ : NRTA_XU_TENSOR_WRITE;
    nrt__queue_t *q;
    if (v3) {
        xu = NRTA_XU_TENSOR_OP;
        st = core_named(tensor, lnc_idx, func, &lnc);
    }
    if (NRT__LIKELY(st == NRT_SUCCESS))
        st = nrt__queue_get(lnc, xu, queue, func, &q);
    if (NRT__LIKELY(st == NRT_SUCCESS))
        st = tracker_for(err, lnc, func);
    if (NRT__UNLIKELY(st != NRT_SUCCESS)) {
        nrt__storage_release(ts);
        return st;
    }
    nrt__op_t op = {.tracker = err, .sync_status = ret};
    if (is_read)
        nrt__op_read_init(&op, ts, td, buf, size);
    else
        nrt__op_write_init(&op, ts, td, buf, size);
    nrt__storage_release(ts); /* the op holds its own reference */
    return submit(q, &op, req_sequence, func);
}

NRT_VERSIONED NRT_STATUS nrt__a2_tensor_write(nrt_tensor_t *tensor, const void *buf, uint64_t offset, uint64_t size,
                                             int queue, nrta_error_tracker_t *err, nrta_seq_t *req_sequence)
{
    return schedule_io(false, tensor, (void *)(uintptr_t)buf, offset, size, false, -1, queue, err, NULL,
                       req_sequence, "nrta_tensor_write");
}
NRT_EXPORT_AS(nrt__a2_tensor_write, nrta_tensor_write, "NRT_2.0.0")

NRT_VERSIONED NRT_STATUS nrt__a3_tensor_write(nrt_tensor_t *tensor, const void *buf, uint64_t offset, uint64_t size,
                                             int lnc_idx, int queue, NRT_STATUS *exec_ret, nrta_seq_t *req_sequence)
{
    return schedule_io(false, tensor, (void *)(uintptr_t)buf, offset, size, true, lnc_idx, queue, NULL, exec_ret,
                       req_sequence, "nrta_tensor_write");
}
NRT_EXPORT_DEFAULT_AS(nrt__a3_tensor_write, nrta_tensor_write, "NRT_3.0.0")

NRT_VERSIONED NRT_STATUS nrt__a2_tensor_read(void *buf, nrt_tensor_t *tensor, uint64_t offset, uint64_t size,
                                            int queue, nrta_error_tracker_t *err, nrta_seq_t *req_sequence)
{
    return schedule_io(true, tensor, buf, offset, size, false, -1, queue, err, NULL, req_sequence,
                       "nrta_tensor_read");
}
NRT_EXPORT_AS(nrt__a2_tensor_read, nrta_tensor_read, "NRT_2.0.0")

NRT_VERSIONED NRT_STATUS nrt__a3_tensor_read(void *buf, nrt_tensor_t *tensor, uint64_t offset, uint64_t size,
                                            int lnc_idx, int queue, NRT_STATUS *exec_ret, nrta_seq_t *req_sequence)
{
    return schedule_io(true, tensor, buf, offset, size, true, lnc_idx, queue, NULL, exec_ret, req_sequence,
                       "nrta_tensor_read");
}
NRT_EXPORT_DEFAULT_AS(nrt__a3_tensor_read, nrta_tensor_read, "NRT_3.0.0")

/* A copy between two tensors of one core, on its TENSOR_OP unit (3.0: core
 * |lnc_idx|, which must be both tensors' core when they have one). */
static NRT_STATUS schedule_copy(nrt_tensor_t *src, uint64_t src_offset, nrt_tensor_t *dst, uint64_t dst_offset,
                                uint64_t size, bool v3, int lnc_idx, int queue, nrta_error_tracker_t *err,
                                NRT_STATUS *ret, nrta_seq_t *req_sequence)
{
    static const char func[] = "nrta_tensor_copy";
    NRT_STATUS st = precheck(req_sequence, func);
    if (NRT__UNLIKELY(st != NRT_SUCCESS))
        return st;
    nrt__storage_t *ss, *ds;
    char *sd, *dd;
    st = nrt__tensor_use(src, src_offset, size, true, func, &ss, &sd);
    if (st != NRT_SUCCESS)
        return st;
    st = nrt__tensor_use(dst, dst_offset, size, true, func, &ds, &dd);
    if (st != NRT_SUCCESS) {
        nrt__storage_release(ss);
        return st;
    }
    uint32_t lnc = tensor_core(src);
    if (v3) {
        st = core_named(src, lnc_idx, func, &lnc);
        if (st == NRT_SUCCESS)
            st = core_named(dst, lnc_idx, func, &lnc);
    } else if (tensor_core(src) != tensor_core(dst)) {
        NRT__LOG(NRT__LOG_ERROR, "%s: tensors '%s' (core %d) and '%s' (core %d) are not on one core", func,
                 src->name, src->core, dst->name, dst->core);
        st = NRT_INVALID;
    }
    nrt__queue_t *q;
    if (st == NRT_SUCCESS)
        st = nrt__queue_get(lnc, NRTA_XU_TENSOR_OP, queue, func, &q);
    if (st == NRT_SUCCESS)
        st = tracker_for(err, lnc, func);
    if (st != NRT_SUCCESS) {
        nrt__storage_release(ss);
        nrt__storage_release(ds);
        return st;
    }
    nrt__op_t op = {.tracker = err, .sync_status = ret};
    nrt__op_copy_init(&op, ss, sd, ds, dd, size);
    nrt__storage_release(ss); /* the op holds its own references */
    nrt__storage_release(ds);
    return submit(q, &op, req_sequence, func);
}

NRT_VERSIONED NRT_STATUS nrt__a2_tensor_copy(nrt_tensor_t *src, uint64_t src_offset, nrt_tensor_t *dst,
                                            uint64_t dst_offset, uint64_t size, int queue, nrta_error_tracker_t *err,
                                            nrta_seq_t *req_sequence)
{
    return schedule_copy(src, src_offset, dst, dst_offset, size, false, -1, queue, err, NULL, req_sequence);
}
NRT_EXPORT_AS(nrt__a2_tensor_copy, nrta_tensor_copy, "NRT_2.0.0")

NRT_VERSIONED NRT_STATUS nrt__a3_tensor_copy(nrt_tensor_t *src, uint64_t src_offset, nrt_tensor_t *dst,
                                            uint64_t dst_offset, uint64_t size, int lnc_idx, int queue,
                                            NRT_STATUS *exec_ret, nrta_seq_t *req_sequence)
{
    return schedule_copy(src, src_offset, dst, dst_offset, size, true, lnc_idx, queue, NULL, exec_ret, req_sequence);
}
NRT_EXPORT_DEFAULT_AS(nrt__a3_tensor_copy, nrta_tensor_copy, "NRT_3.0.0")

static NRT_STATUS schedule_exec(nrt_model_t *model, const nrt_tensor_set_t *input, nrt_tensor_set_t *output,
                                int queue, nrta_error_tracker_t *err, NRT_STATUS *ret, nrta_seq_t *req_sequence)
{
    static const char func[] = "nrta_execute_schedule";
    NRT_STATUS st = precheck(req_sequence, func);
    if (NRT__UNLIKELY(st != NRT_SUCCESS))
        return st;
    if (!nrt__model_check(model, func))
        return NRT_INVALID;
    nrt__queue_t *q;
    st = nrt__queue_get((uint32_t)model->core, NRTA_XU_COMPUTE, queue, func, &q);
    if (st == NRT_SUCCESS)
        st = tracker_for(err, (uint32_t)model->core, func);
    if (st != NRT_SUCCESS)
        return st;
    nrt__op_t op = {.tracker = err, .sync_status = ret};
    st = nrt__op_exec_init(&op, model, input, output, func);
    if (st != NRT_SUCCESS)
        return st;
    return submit(q, &op, req_sequence, func);
}

NRT_VERSIONED NRT_STATUS nrt__a2_execute_schedule(nrt_model_t *model, const nrt_tensor_set_t *input,
                                                 nrt_tensor_set_t *output, int queue, nrta_error_tracker_t *err,
                                                 nrta_seq_t *req_sequence)
{
    return schedule_exec(model, input, output, queue, err, NULL, req_sequence);
}
NRT_EXPORT_AS(nrt__a2_execute_schedule, nrta_execute_schedule, "NRT_2.0.0")

NRT_VERSIONED NRT_STATUS nrt__a3_execute_schedule(nrt_model_t *model, const nrt_tensor_set_t *input,
                                                 nrt_tensor_set_t *output, int queue, NRT_STATUS *exec_ret,
                                                 nrta_seq_t *req_sequence)
{
    return schedule_exec(model, input, output, queue, NULL, exec_ret, req_sequence);
}
NRT_EXPORT_DEFAULT_AS(nrt__a3_execute_schedule, nrta_execute_schedule, "NRT_3.0.0")

/* nrt_execute: runs on COMPUTE queue 0 of the model's core, so it is
 * ordered with async executions there. When that queue is idle the kernel
 * runs right here on the calling thread (no hand-off); else the request
 * queues behind the others and we wait for it. */
static NRT_STATUS execute_sync(nrt_model_t *model, const nrt_tensor_set_t *input_set, nrt_tensor_set_t *output_set,
                               const char *func)
{
    nrt__queue_t *q = &nrt__rt.cores[model->core].units[NRTA_XU_COMPUTE].queues[0];
    NRT_STATUS result = NRT_FAILURE;
    nrt__op_t op = {.sync_status = &result};
    NRT_STATUS st = nrt__op_exec_init(&op, model, input_set, output_set, func);
    if (st != NRT_SUCCESS)
        return st;
    nrta_seq_t seq;
    bool ran = false;
    for (;;) {
        st = nrt__queue_submit_inline(q, &op, &seq, &ran);
        if (st != NRT_QUEUE_FULL)
            break;
        /* The queue is full of async work: wait for its oldest request,
         * unless everything completed meanwhile (then retry at once). */
        uint64_t next = atomic_load_explicit(&q->completed, memory_order_acquire) + 1;
        if (next <= nrt__ring_tail(&q->ring))
            nrt__queue_wait(q, next);
    }
    if (st != NRT_SUCCESS) {
        nrt__op_release(&op);
        NRT__LOG(NRT__LOG_ERROR, "%s: core %d COMPUTE unit is degraded", func, model->core);
        return st;
    }
    if (!ran)
        nrt__queue_wait(q, NRTA_SEQ_GET_SEQ_NUM(seq));
    if (result != NRT_SUCCESS)
        NRT__LOG(NRT__LOG_ERROR, "%s: model '%s' failed with %s", func, model->desc->name,
                 nrt_get_status_as_str(result));
    return result;
}

static NRT_STATUS execute_n(nrt_model_t *model, const nrt_tensor_set_t *input_set, nrt_tensor_set_t *output_set,
                            int repeat_count, const char *func)
{
    NRT_STATUS st = nrt__rt_check(func);
    if (st != NRT_SUCCESS)
        return st;
    if (!nrt__model_check(model, func))
        return NRT_INVALID;
    if (repeat_count < 1) {
        NRT__LOG(NRT__LOG_ERROR, "%s: repeat_count %d is below 1", func, repeat_count);
        return NRT_INVALID;
    }
    for (int i = 0; i < repeat_count && st == NRT_SUCCESS; i++)
        st = execute_sync(model, input_set, output_set, func);
    return st;
}

NRT_API NRT_STATUS nrt_execute(nrt_model_t *model, const nrt_tensor_set_t *input_set, nrt_tensor_set_t *output_set)
{
    return execute_n(model, input_set, output_set, 1, __func__);
}

NRT_API NRT_STATUS nrt_execute_repeat(nrt_model_t *model, const nrt_tensor_set_t *input_set,
                                      nrt_tensor_set_t *output_set, int repeat_count)
{
    return execute_n(model, input_set, output_set, repeat_count, __func__);
}

/*===------------------------------------------------------------------===*/
/* Completion queries                                                     */
/*===------------------------------------------------------------------===*/

/* Decodes |seq| into its queue; false (logged) when it names no queue or
 * a number that was never issued. */
static bool seq_decode(nrta_seq_t seq, nrt__queue_t **out, const char *func)
{
    nrta_xu_id_t id = NRTA_SEQ_GET_XU_ID(seq);
    uint64_t num = NRTA_SEQ_GET_SEQ_NUM(seq);
    uint32_t lnc = id >> 8, xu = (id >> 5) & 7, qi = id & 31;
    if (NRT__LIKELY(lnc < nrt__rt.cfg.num_cores && xu < NRTA_XU_TYPE_NUM &&
                    qi < nrt__rt.cores[lnc].units[xu].nqueues)) {
        nrt__queue_t *q = &nrt__rt.cores[lnc].units[xu].queues[qi];
        if (NRT__LIKELY(num >= 1 && num <= nrt__ring_tail(&q->ring))) {
            *out = q;
            return true;
        }
    }
    NRT__LOG(NRT__LOG_ERROR, "%s: sequence id 0x%016llx was never issued", func, (unsigned long long)seq);
    return false;
}

/* Same in both API versions: one implementation, exported at both nodes. */
NRT_VERSIONED NRT_STATUS nrt__a_is_completed(nrta_seq_t seq, bool *is_completed)
{
    static const char func[] = "nrta_is_completed";
    NRT_STATUS st = nrt__rt_check(func);
    if (NRT__UNLIKELY(st != NRT_SUCCESS))
        return st;
    if (NRT__UNLIKELY(!is_completed)) {
        NRT__LOG(NRT__LOG_ERROR, "%s: argument 'is_completed' is NULL", func);
        return NRT_INVALID;
    }
    *is_completed = false;
    nrt__queue_t *q;
    if (!seq_decode(seq, &q, func))
        return NRT_INVALID;
    /* Acquire: pairs with the worker's publish, so the request's results
     * and tracker entry are visible once this reads true. */
    uint64_t num = NRTA_SEQ_GET_SEQ_NUM(seq);
    if (atomic_load_explicit(&q->completed, memory_order_acquire) < num)
        nrt__queue_help(q, num); /* short requests no worker took yet run right here */
    *is_completed = atomic_load_explicit(&q->completed, memory_order_acquire) >= num;
    return NRT_SUCCESS;
}
NRT_EXPORT_AS(nrt__a_is_completed, nrta_is_completed, "NRT_2.0.0")
NRT_EXPORT_DEFAULT_AS(nrt__a_is_completed, nrta_is_completed, "NRT_3.0.0")

/* The unit of the 2.28 numbering that unit |xu3| of the 3.0 API names. */
NRT_STATUS nrt__xu_from_v3(int xu3, const char *func, nrta_xu_t *out)
{
    static const nrta_xu_t map[] = {NRTA_XU_TENSOR_OP, NRTA_XU_COMPUTE, NRTA_XU_COLLECTIVES};
    if (NRT__UNLIKELY(xu3 < 0 || xu3 >= (int)(sizeof map / sizeof map[0]))) {
        NRT__LOG(NRT__LOG_ERROR, "%s: execution unit %d does not exist (async API 3.0: 0 TENSOR_OP, 1 COMPUTE, "
                 "2 COLLECTIVES)", func, xu3);
        return NRT_INVALID;
    }
    *out = map[xu3];
    return NRT_SUCCESS;
}

/* |xu|: the engine's numbering, or the 3.0 API's when |v3|. */
static NRT_STATUS get_sequence(uint32_t lnc, int xu, bool v3, int queue, nrta_seq_t *seq)
{
    static const char func[] = "nrta_get_sequence";
    NRT_STATUS st = nrt__rt_check(func);
    if (NRT__UNLIKELY(st != NRT_SUCCESS))
        return st;
    if (NRT__UNLIKELY(!seq)) {
        NRT__LOG(NRT__LOG_ERROR, "%s: argument 'seq' is NULL", func);
        return NRT_INVALID;
    }
    if (NRT__UNLIKELY(!nrt__core_check(lnc, func)))
        return NRT_INVALID;
    nrta_xu_t unit = (nrta_xu_t)xu;
    if (v3 && (st = nrt__xu_from_v3(xu, func, &unit)) != NRT_SUCCESS)
        return st;
    nrt__queue_t *q;
    st = nrt__queue_get(lnc, unit, queue, func, &q);
    if (st != NRT_SUCCESS)
        return st;
    *seq = nrt__seq_make(q->xu_id, atomic_load_explicit(&q->completed, memory_order_acquire));
    return NRT_SUCCESS;
}

NRT_VERSIONED NRT_STATUS nrt__a2_get_sequence(uint32_t lnc, nrta_xu_t xu, int queue, nrta_seq_t *seq)
{
    return get_sequence(lnc, (int)xu, false, queue, seq);
}
NRT_EXPORT_AS(nrt__a2_get_sequence, nrta_get_sequence, "NRT_2.0.0")

NRT_VERSIONED NRT_STATUS nrt__a3_get_sequence(uint32_t lnc_idx, int xu_type, int queue, nrta_seq_t *seq)
{
    return get_sequence(lnc_idx, xu_type, true, queue, seq);
}
NRT_EXPORT_DEFAULT_AS(nrt__a3_get_sequence, nrta_get_sequence, "NRT_3.0.0")

NRT_API NRT_STATUS nrt_tensor_get_lnc_index(const nrt_tensor_t *tensor, int *lnc_idx)
{
    CHECK_RUNNING();
    CHECK_NOT_NULL(lnc_idx);
    if (!nrt__tensor_check(tensor, __func__))
        return NRT_INVALID;
    *lnc_idx = tensor->core >= 0 ? tensor->core : 0;
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrta_get_completion_handle(nrta_seq_t seq, int *fd)
{
    CHECK_RUNNING();
    CHECK_NOT_NULL(fd);
    *fd = -1;
    nrt__queue_t *q;
    if (!seq_decode(seq, &q, __func__))
        return NRT_INVALID;
    return nrt__queue_completion_fd(q, NRTA_SEQ_GET_SEQ_NUM(seq), fd);
}

/* Async API 3.0 completion events (exported at NRT_3.0.0 only; declared in
 * nrt/nrt_async.h when NRTA_API_VERSION is 3, hence the prototypes here). */
NRT_API NRT_STATUS nrta_event_register_seq_id_completion(nrta_seq_t seq, int efd);
NRT_API NRT_STATUS nrta_event_register_xu_completion(uint32_t lnc, int xu, int queue, int efd);

NRT_API NRT_STATUS nrta_event_register_seq_id_completion(nrta_seq_t seq, int efd)
{
    CHECK_RUNNING();
    nrt__queue_t *q;
    if (!seq_decode(seq, &q, __func__))
        return NRT_INVALID;
    return nrt__queue_event_seq(q, NRTA_SEQ_GET_SEQ_NUM(seq), efd, __func__);
}

NRT_API NRT_STATUS nrta_event_register_xu_completion(uint32_t lnc, int xu, int queue, int efd)
{
    CHECK_RUNNING();
    CHECK_CORE(lnc);
    nrta_xu_t unit;
    NRT_STATUS st = nrt__xu_from_v3(xu, __func__, &unit);
    if (st != NRT_SUCCESS)
        return st;
    nrt__queue_t *q;
    st = nrt__queue_get(lnc, unit, queue, __func__, &q);
    if (st != NRT_SUCCESS)
        return st;
    return nrt__queue_event_every(q, efd, __func__);
}

NRT_API NRT_STATUS nrtx_get_queue_stats(uint32_t lnc, nrta_xu_t xu, int queue, nrtx_queue_stats_t *stats)
{
    CHECK_RUNNING();
    CHECK_NOT_NULL(stats);
    CHECK_CORE(lnc);
    nrt__queue_t *q;
    NRT_STATUS st = nrt__queue_get(lnc, xu, queue, __func__, &q);
    if (st != NRT_SUCCESS)
        return st;
    /* Completed first: both only grow, so the snapshot never shows more
     * completed than submitted. */
    stats->completed = atomic_load_explicit(&q->completed, memory_order_acquire);
    stats->submitted = nrt__ring_tail(&q->ring);
    stats->errors = atomic_load_explicit(&q->errors, memory_order_relaxed);
    stats->busy_ns = atomic_load_explicit(&q->busy_ns, memory_order_relaxed);
    stats->degraded = atomic_load_explicit(&q->unit->degraded, memory_order_relaxed);
    return NRT_SUCCESS;
}
