/*
 * src/xu/trace.c - timeline traces: each worker appends one record per
 * request (queue, kind, size, enqueue/start/end) to its own chunked
 * buffer, so recording takes no lock; nrtx_trace_write / nrt_close turn
 * the records into Chrome trace-event JSON (one process per core, one
 * thread per unit queue, one complete event per request) that Perfetto
 * and chrome://tracing open.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "xu/xu.h"

_Atomic bool nrt__trace_on;

static const char *const unit_names[NRTA_XU_TYPE_NUM] = {"TENSOR_READ", "TENSOR_WRITE", "TENSOR_OP", "COMPUTE",
                                                         "COLLECTIVES"};

void nrt__trace_record(nrt__queue_t *q, const nrt__op_t *op, uint64_t num, uint64_t start, uint64_t end,
                       NRT_STATUS st)
{
    uint64_t n = atomic_load_explicit(&q->trace_count, memory_order_relaxed);
    uint64_t c = n / NRT__TRACE_CHUNK;
    if (c >= NRT__TRACE_MAX_CHUNKS)
        return; /* full: 16M records per queue */
    if (!q->trace_chunks) {
        q->trace_chunks = calloc(NRT__TRACE_MAX_CHUNKS, sizeof *q->trace_chunks);
        if (!q->trace_chunks)
            return;
    }
    if (!q->trace_chunks[c]) {
        q->trace_chunks[c] = malloc(NRT__TRACE_CHUNK * sizeof(nrt__trace_rec_t));
        if (!q->trace_chunks[c])
            return;
    }
    nrt__trace_rec_t *r = &q->trace_chunks[c][n % NRT__TRACE_CHUNK];
    r->seq_num = num;
    r->size = op->size;
    r->enq_ns = op->enq_ns ? op->enq_ns : start;
    r->start_ns = start;
    r->end_ns = end;
    r->status = (uint32_t)st;
    r->name = op->vtbl->name;
    /* Release: a writer that reads the count sees the record. */
    atomic_store_explicit(&q->trace_count, n + 1, memory_order_release);
}

void nrt__trace_free(nrt__queue_t *q)
{
    if (!q->trace_chunks)
        return;
    for (uint64_t c = 0; c < NRT__TRACE_MAX_CHUNKS; c++)
        free(q->trace_chunks[c]);
    free(q->trace_chunks);
    q->trace_chunks = NULL;
    atomic_store_explicit(&q->trace_count, 0, memory_order_relaxed);
}

typedef struct {
    FILE *f;
    uint64_t t0; /* earliest enqueue time */
    bool first;  /* no event written yet */
} emit_ctx_t;

typedef void (*rec_fn)(emit_ctx_t *c, const nrt__queue_t *q, const nrt__trace_rec_t *r);

static void for_each_record(emit_ctx_t *ctx, rec_fn fn)
{
    for (uint32_t c = 0; c < nrt__rt.cfg.num_cores; c++)
        for (uint32_t xu = 0; xu < NRTA_XU_TYPE_NUM; xu++) {
            const nrt__unit_t *u = &nrt__rt.cores[c].units[xu];
            for (uint32_t i = 0; i < u->nqueues; i++) {
                const nrt__queue_t *q = &u->queues[i];
                uint64_t n = atomic_load_explicit(&q->trace_count, memory_order_acquire);
                for (uint64_t k = 0; k < n; k++)
                    fn(ctx, q, &q->trace_chunks[k / NRT__TRACE_CHUNK][k % NRT__TRACE_CHUNK]);
            }
        }
}

static void min_time(emit_ctx_t *c, const nrt__queue_t *q, const nrt__trace_rec_t *r)
{
    (void)q;
    if (r->enq_ns < c->t0)
        c->t0 = r->enq_ns;
}

static void sep(FILE *f, bool *first)
{
    fputs(*first ? "\n" : ",\n", f);
    *first = false;
}

static void emit_event(emit_ctx_t *c, const nrt__queue_t *q, const nrt__trace_rec_t *r)
{
    FILE *f = c->f;
    uint64_t t0 = c->t0;
    sep(f, &c->first);
    nrta_seq_t seq = nrt__seq_make(q->xu_id, r->seq_num);
    fprintf(f,
            "{\"name\":\"%s %" PRIu64 "B #%" PRIu64 "\",\"cat\":\"%s\",\"ph\":\"X\",\"pid\":%u,\"tid\":%u,"
            "\"ts\":%.3f,\"dur\":%.3f,\"args\":{\"seq\":\"0x%016" PRIx64 "\",\"seq_num\":%" PRIu64
            ",\"size\":%" PRIu64 ",\"queued_us\":%.3f,\"status\":\"%s\"}}",
            r->name, r->size, r->seq_num, r->name, q->lnc,
            q->xu * NRT__MAX_QUEUES + q->index, (double)(r->start_ns - t0) / 1e3,
            (double)(r->end_ns - r->start_ns) / 1e3, seq, r->seq_num, r->size,
            (double)(r->start_ns - r->enq_ns) / 1e3, nrt_get_status_as_str((NRT_STATUS)r->status));
}

NRT_STATUS nrt__trace_write_file(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        LOG_ERROR("cannot write trace file '%s': %m", path);
        return NRT_FAILURE;
    }
    emit_ctx_t ctx = {f, UINT64_MAX, true};
    for_each_record(&ctx, min_time);
    nrt__sr_trace_min(&ctx.t0);
    bool first = true;
    fputs("{\"displayTimeUnit\":\"ns\",\"otherData\":{\"runtime\":\"OpenNRT " NRTX_VERSION_STRING "\"},"
          "\"traceEvents\":[",
          f);
    for (uint32_t c = 0; c < nrt__rt.cfg.num_cores; c++) {
        bool used = false;
        for (uint32_t xu = 0; xu < NRTA_XU_TYPE_NUM; xu++) {
            const nrt__unit_t *u = &nrt__rt.cores[c].units[xu];
            for (uint32_t i = 0; i < u->nqueues; i++) {
                const nrt__queue_t *q = &u->queues[i];
                if (!atomic_load_explicit(&q->trace_count, memory_order_acquire))
                    continue;
                used = true;
                uint32_t tid = xu * NRT__MAX_QUEUES + i;
                sep(f, &first);
                fprintf(f, "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%u,\"tid\":%u,\"args\":{\"name\":\"%s q%u\"}}",
                        c, tid, unit_names[xu], i);
                sep(f, &first);
                fprintf(f, "{\"name\":\"thread_sort_index\",\"ph\":\"M\",\"pid\":%u,\"tid\":%u,\"args\":{\"sort_index\":%u}}",
                        c, tid, tid);
            }
        }
        if (used) {
            sep(f, &first);
            fprintf(f, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%u,\"args\":{\"name\":\"lnc %u\"}}", c, c);
        }
    }
    ctx.first = first;
    for_each_record(&ctx, emit_event);
    nrt__sr_trace_emit(f, ctx.t0, &ctx.first);
    fputs("\n]}\n", f);
    if (fclose(f) != 0) {
        LOG_ERROR("error writing trace file '%s'", path);
        return NRT_FAILURE;
    }
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrtx_trace_start(void)
{
    CHECK_RUNNING();
    atomic_store_explicit(&nrt__trace_on, true, memory_order_relaxed);
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrtx_trace_stop(void)
{
    CHECK_RUNNING();
    atomic_store_explicit(&nrt__trace_on, false, memory_order_relaxed);
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrtx_trace_write(const char *path)
{
    CHECK_RUNNING();
    CHECK_NOT_NULL(path);
    return nrt__trace_write_file(path);
}
