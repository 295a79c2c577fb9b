/*
 * src/xu/trace.c - timeline traces: each worker appends one record per
 * request (queue, kind, size, enqueue/start/end) to its own chunked
 * buffer, so recording takes no lock; nrtx_trace_write / nrt_close turn
 * the records into Chrome trace-event JSON (one process per core, one
 * thread per unit queue, one complete event per request) that Perfetto
 * and chrome://tracing open. Process ids are core + 1 and thread ids
 * unit * 32 + queue + 1 (Perfetto treats pid 0 and tid 0 as special).
 *
 * The OPENNRT_TRACE file is written at nrt_close, and also at exit when
 * the program ends without nrt_close (a failing run that exits early):
 * then whatever was recorded until that moment, workers possibly still
 * running (each record is published by its count, so a reader sees whole
 * records only).
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

static uint32_t queue_tid(uint32_t xu, uint32_t index)
{
    return xu * NRT__MAX_QUEUES + index + 1;
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
            r->name, r->size, r->seq_num, r->name, nrt__trace_pid(q->lnc),
            queue_tid(q->xu, q->index), (double)(r->start_ns - t0) / 1e3,
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
                uint32_t tid = queue_tid(xu, i);
                sep(f, &first);
                fprintf(f, "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%u,\"tid\":%u,\"args\":{\"name\":\"%s q%u\"}}",
                        nrt__trace_pid(c), tid, unit_names[xu], i);
                sep(f, &first);
                fprintf(f, "{\"name\":\"thread_sort_index\",\"ph\":\"M\",\"pid\":%u,\"tid\":%u,\"args\":{\"sort_index\":%u}}",
                        nrt__trace_pid(c), tid, tid);
            }
        }
        if (used) {
            sep(f, &first);
            fprintf(f, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%u,\"args\":{\"name\":\"lnc %u\"}}",
                    nrt__trace_pid(c), c);
            sep(f, &first);
            fprintf(f, "{\"name\":\"process_sort_index\",\"ph\":\"M\",\"pid\":%u,\"args\":{\"sort_index\":%u}}",
                    nrt__trace_pid(c), nrt__trace_pid(c));
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

/* At exit (also dlclose of the library): a program that ends without
 * nrt_close still gets its OPENNRT_TRACE file. The runtime lock keeps
 * nrt_close from starting meanwhile; when it is already closing, it
 * writes the file itself. */
__attribute__((destructor)) static void trace_flush_at_exit(void)
{
    if (atomic_load_explicit(&nrt__rt.state, memory_order_acquire) != NRT__RT_RUNNING)
        return;
    nrt__mutex_lock(&nrt__rt.lock);
    if (atomic_load_explicit(&nrt__rt.state, memory_order_acquire) == NRT__RT_RUNNING && nrt__rt.trace_path[0] &&
        nrt__trace_write_file(nrt__rt.trace_path) == NRT_SUCCESS)
        LOG_INFO("trace written to %s at exit (nrt_close was not called)", nrt__rt.trace_path);
    nrt__mutex_unlock(&nrt__rt.lock);
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
