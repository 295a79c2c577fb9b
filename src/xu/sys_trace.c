/*
 * src/xu/sys_trace.c - nrt/nrt_sys_trace.h on the timeline recorder
 * (trace.c): a capture holds the recorder on and remembers, per queue, how
 * far its records have been fetched; a fetch turns the newer records into
 * start/stop event pairs (JSON, schema in docs/API.md) and moves the
 * cursors past them, so each event is fetched once.
 *
 * Records of one queue are appended in the order the requests ran (a queue
 * is a serial strand), so "the oldest N requests of a core" is a prefix of
 * every queue's pending records: a fetch merges the queues of a core by
 * start time and advances each cursor by what it took.
 *
 * Lock: S.lock serializes the calls of this file (it never nests another
 * lock). Workers append records without it; readers see a record once its
 * queue's trace_count (release) covers it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/lock.h"
#include "core/core.h"
#include "nrt/nrt_sys_trace.h"
#include "xu/profile.h"
#include "xu/xu.h"

#define DEFAULT_MAX_PER_NC 1000000ull
#define ALL_CORES UINT64_MAX

/* Event types and the op names (xu/op.h vtbl names) that produce them. */
enum { T_EXEC, T_READ, T_WRITE, T_COPY, T_CC, NTYPES };
static const char *const type_names[NTYPES] = {"nc_exec_running", "tensor_read", "tensor_write", "tensor_copy",
                                               "cc_exec"};

static int type_of_op(const char *op)
{
    if (!strcmp(op, "execute"))
        return T_EXEC;
    if (!strcmp(op, "read"))
        return T_READ;
    if (!strcmp(op, "write"))
        return T_WRITE;
    if (!strcmp(op, "copy"))
        return T_COPY;
    return T_CC; /* all-gather, all-reduce, reduce-scatter */
}

struct nrt_sys_trace_config {
    uint64_t max_per_nc;
    bool core[NRT__MAX_CORES];
    bool type[NTYPES];
};

struct nrt_sys_trace_fetch_options {
    uint64_t max_per_nc; /* 0: no limit */
    uint64_t nc_idx;     /* ALL_CORES: every core */
};

static struct {
    nrt__mutex_t lock;
    bool active;
    uint32_t gen; /* nrt__rt.gen of the capture */
    nrt_sys_trace_config_t cfg;
    uint64_t tracking_id; /* last one given */
    uint64_t cursor[NRT__MAX_CORES][NRTA_XU_TYPE_NUM][NRT__MAX_QUEUES];
} S = {.lock = NRT__MUTEX_INITIALIZER};

/*===------------------------------------------------------------------===*/
/* Configuration                                                          */
/*===------------------------------------------------------------------===*/

static void config_defaults(nrt_sys_trace_config_t *c)
{
    c->max_per_nc = DEFAULT_MAX_PER_NC;
    for (size_t i = 0; i < NRT__MAX_CORES; i++)
        c->core[i] = true;
    for (size_t i = 0; i < NTYPES; i++)
        c->type[i] = true;
}

NRT_API NRT_STATUS nrt_sys_trace_config_allocate(nrt_sys_trace_config_t **options)
{
    CHECK_NOT_NULL(options);
    *options = malloc(sizeof **options);
    if (!*options) {
        LOG_ERROR("out of memory");
        return NRT_RESOURCE;
    }
    config_defaults(*options);
    return NRT_SUCCESS;
}

NRT_API void nrt_sys_trace_config_set_defaults(nrt_sys_trace_config_t *options)
{
    if (!options) {
        LOG_ERROR("argument 'options' is NULL");
        return;
    }
    config_defaults(options);
}

NRT_API void nrt_sys_trace_config_free(nrt_sys_trace_config_t *options)
{
    free(options);
}

NRT_API void nrt_sys_trace_config_set_max_events_per_nc(nrt_sys_trace_config_t *options, uint64_t max_events_per_nc)
{
    if (!options) {
        LOG_ERROR("argument 'options' is NULL");
        return;
    }
    options->max_per_nc = max_events_per_nc ? max_events_per_nc : DEFAULT_MAX_PER_NC;
}

NRT_API void nrt_sys_trace_config_set_capture_enabled_for_nc(nrt_sys_trace_config_t *options, uint32_t nc_idx,
                                                             bool enabled)
{
    if (!options || nc_idx >= NRT__MAX_CORES) {
        LOG_ERROR("%s", !options ? "argument 'options' is NULL" : "nc_idx is out of range; ignored");
        return;
    }
    options->core[nc_idx] = enabled;
}

static int type_index(const char *name)
{
    for (int i = 0; i < NTYPES; i++)
        if (!strcmp(name, type_names[i]))
            return i;
    return -1;
}

NRT_API NRT_STATUS nrt_sys_trace_config_set_capture_enabled_for_event_type(nrt_sys_trace_config_t *options,
                                                                           const char *event_type, bool enabled)
{
    CHECK_NOT_NULL(options);
    CHECK_NOT_NULL(event_type);
    int i = type_index(event_type);
    CHECK_ARG(i >= 0, NRT_INVALID, "unknown event type '%s' (nrt_sys_trace_get_event_types lists them)", event_type);
    options->type[i] = enabled;
    return NRT_SUCCESS;
}

/* Allocated copies of the names |which| enables (NULL: all). */
static NRT_STATUS list_types(const bool *which, const char ***out, size_t *count, const char *func)
{
    if (!out || !count) {
        NRT__LOG(NRT__LOG_ERROR, "%s: argument '%s' is NULL", func, !out ? "event_types" : "count");
        return NRT_INVALID;
    }
    *out = NULL;
    *count = 0;
    const char **v = calloc(NTYPES, sizeof *v);
    size_t n = 0;
    for (size_t i = 0; v && i < NTYPES; i++) {
        if (which && !which[i])
            continue;
        char *s = strdup(type_names[i]);
        if (!s) {
            nrt_sys_trace_free_event_types(v, n);
            v = NULL;
            break;
        }
        v[n++] = s;
    }
    if (!v) {
        NRT__LOG(NRT__LOG_ERROR, "%s: out of memory", func);
        return NRT_RESOURCE;
    }
    *out = v;
    *count = n;
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_sys_trace_get_event_types(const char ***event_types, size_t *count)
{
    return list_types(NULL, event_types, count, __func__);
}

NRT_API void nrt_sys_trace_free_event_types(const char **event_types, size_t count)
{
    if (!event_types)
        return;
    for (size_t i = 0; i < count; i++)
        free((void *)event_types[i]);
    free((void *)event_types);
}

NRT_API NRT_STATUS nrt_sys_trace_config_get_enabled_event_types(nrt_sys_trace_config_t *options,
                                                                const char ***event_types, size_t *count)
{
    CHECK_NOT_NULL(options);
    return list_types(options->type, event_types, count, __func__);
}

/*===------------------------------------------------------------------===*/
/* Fetch options                                                          */
/*===------------------------------------------------------------------===*/

NRT_API NRT_STATUS nrt_sys_trace_fetch_options_allocate(nrt_sys_trace_fetch_options_t **options)
{
    CHECK_NOT_NULL(options);
    *options = malloc(sizeof **options);
    if (!*options) {
        LOG_ERROR("out of memory");
        return NRT_RESOURCE;
    }
    nrt_sys_trace_fetch_options_set_defaults(*options);
    return NRT_SUCCESS;
}

NRT_API void nrt_sys_trace_fetch_options_set_defaults(nrt_sys_trace_fetch_options_t *options)
{
    if (!options) {
        LOG_ERROR("argument 'options' is NULL");
        return;
    }
    options->max_per_nc = 0;
    options->nc_idx = ALL_CORES;
}

NRT_API void nrt_sys_trace_fetch_options_free(nrt_sys_trace_fetch_options_t *options)
{
    free(options);
}

NRT_API void nrt_sys_trace_fetch_options_set_max_events_per_nc(nrt_sys_trace_fetch_options_t *options,
                                                               uint64_t max_events_per_nc)
{
    if (!options) {
        LOG_ERROR("argument 'options' is NULL");
        return;
    }
    options->max_per_nc = max_events_per_nc;
}

NRT_API void nrt_sys_trace_fetch_options_set_nc_idx(nrt_sys_trace_fetch_options_t *options, uint64_t nc_idx)
{
    if (!options) {
        LOG_ERROR("argument 'options' is NULL");
        return;
    }
    options->nc_idx = nc_idx; /* checked against the cores at fetch */
}

/*===------------------------------------------------------------------===*/
/* Capture                                                                */
/*===------------------------------------------------------------------===*/

/* True while a capture of this nrt_init runs (S.lock held). */
static bool capturing(void)
{
    return S.active && S.gen == atomic_load_explicit(&nrt__rt.gen, memory_order_relaxed);
}

static uint64_t queue_count(const nrt__queue_t *q)
{
    /* Acquire: the records below the count are written. */
    return atomic_load_explicit(&q->trace_count, memory_order_acquire);
}

/* Moves every cursor of core |c| to the queue's current end. */
static void skip_to_end(uint32_t c)
{
    for (uint32_t xu = 0; xu < NRTA_XU_TYPE_NUM; xu++) {
        const nrt__unit_t *u = &nrt__rt.cores[c].units[xu];
        for (uint32_t i = 0; i < u->nqueues && i < NRT__MAX_QUEUES; i++)
            S.cursor[c][xu][i] = queue_count(&u->queues[i]);
    }
}

NRT_API NRT_STATUS nrt_sys_trace_start(nrt_sys_trace_config_t *options)
{
    CHECK_RUNNING();
    nrt__mutex_lock(&S.lock);
    if (capturing()) {
        nrt__mutex_unlock(&S.lock);
        LOG_ERROR("a system trace capture is already running (nrt_sys_trace_stop first)");
        return NRT_INVALID;
    }
    if (options)
        S.cfg = *options;
    else
        config_defaults(&S.cfg);
    S.active = true;
    S.gen = atomic_load_explicit(&nrt__rt.gen, memory_order_relaxed);
    S.tracking_id = 0;
    for (uint32_t c = 0; c < nrt__rt.cfg.num_cores; c++)
        skip_to_end(c);
    nrt__recorder_hold(NRT__REC_SYS_TRACE);
    nrt__mutex_unlock(&S.lock);
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_sys_trace_stop(void)
{
    CHECK_RUNNING();
    nrt__mutex_lock(&S.lock);
    bool was = capturing();
    S.active = false;
    nrt__mutex_unlock(&S.lock);
    if (!was) {
        LOG_INFO("no system trace capture is running; nothing to stop");
        return NRT_SUCCESS;
    }
    nrt__recorder_release(NRT__REC_SYS_TRACE);
    return NRT_SUCCESS;
}

/*===------------------------------------------------------------------===*/
/* Fetch                                                                  */
/*===------------------------------------------------------------------===*/

static const nrt__trace_rec_t *rec_at(const nrt__queue_t *q, uint64_t k)
{
    return &q->trace_chunks[k / NRT__TRACE_CHUNK][k % NRT__TRACE_CHUNK];
}

/* The queue of core |c| whose next pending record (below end[]) started
 * first, or NULL when none is pending. */
static const nrt__queue_t *oldest(uint32_t c, const uint64_t end[NRTA_XU_TYPE_NUM][NRT__MAX_QUEUES])
{
    const nrt__queue_t *best = NULL;
    uint64_t best_ns = UINT64_MAX;
    for (uint32_t xu = 0; xu < NRTA_XU_TYPE_NUM; xu++) {
        const nrt__unit_t *u = &nrt__rt.cores[c].units[xu];
        for (uint32_t i = 0; i < u->nqueues && i < NRT__MAX_QUEUES; i++) {
            uint64_t k = S.cursor[c][xu][i];
            if (k >= end[xu][i])
                continue;
            uint64_t ns = rec_at(&u->queues[i], k)->start_ns;
            if (!best || ns < best_ns) {
                best = &u->queues[i];
                best_ns = ns;
            }
        }
    }
    return best;
}

static bool wanted(const nrt__trace_rec_t *r)
{
    return S.cfg.type[type_of_op(r->name)];
}

static void emit_pair(FILE *f, bool *first, const nrt__queue_t *q, const nrt__trace_rec_t *r)
{
    static const char *const unit_names[NRTA_XU_TYPE_NUM] = {"TENSOR_READ", "TENSOR_WRITE", "TENSOR_OP", "COMPUTE",
                                                             "COLLECTIVES"};
    uint64_t id = ++S.tracking_id;
    nrta_seq_t seq = nrt__seq_make(q->xu_id, r->seq_num);
    const char *type = type_names[type_of_op(r->name)];
    for (int stop = 0; stop < 2; stop++) {
        uint64_t ts = stop ? r->end_ns : r->start_ns;
        fprintf(f,
                "%s\n{\"event_type\":\"%s\",\"phase\":\"%s\",\"tracking_id\":%" PRIu64 ",\"nc_idx\":%u,"
                "\"lnc_idx\":%u,\"timestamp_ns\":%" PRIu64 ",\"data\":{\"nc_timestamp_ns\":%" PRIu64
                ",\"exec_id\":%" PRIu64 ",\"device_core_idx\":%u,\"op\":\"%s\",\"unit\":\"%s\",\"queue\":%u,"
                "\"seq\":\"0x%016" PRIx64 "\",\"size\":%" PRIu64 ",\"enqueue_ns\":%" PRIu64 ",\"status\":\"%s\"}}",
                *first ? "" : ",", type, stop ? "stop" : "start", id, q->lnc, q->lnc, ts, ts, r->seq_num,
                nrt__rt.cores[q->lnc].phys, r->name, unit_names[q->xu], q->index, seq, r->size, r->enq_ns,
                nrt_get_status_as_str((NRT_STATUS)r->status));
        *first = false;
    }
}

/* Emits the pending requests of core |c| (after dropping what exceeds the
 * capture limit), at most |limit| of them (0: all); returns how many were
 * dropped. */
static uint64_t fetch_core(FILE *f, bool *first, uint32_t c, uint64_t limit)
{
    uint64_t end[NRTA_XU_TYPE_NUM][NRT__MAX_QUEUES] = {{0}};
    uint64_t pending = 0;
    for (uint32_t xu = 0; xu < NRTA_XU_TYPE_NUM; xu++) {
        const nrt__unit_t *u = &nrt__rt.cores[c].units[xu];
        for (uint32_t i = 0; i < u->nqueues && i < NRT__MAX_QUEUES; i++) {
            end[xu][i] = queue_count(&u->queues[i]);
            if (S.cursor[c][xu][i] > end[xu][i])
                S.cursor[c][xu][i] = end[xu][i]; /* the queue was cleared */
            for (uint64_t k = S.cursor[c][xu][i]; k < end[xu][i]; k++)
                pending += wanted(rec_at(&u->queues[i], k));
        }
    }
    if (!S.cfg.core[c]) {
        skip_to_end(c);
        return 0;
    }
    /* Over the capture limit: the oldest go, as in a ring that wrapped. */
    uint64_t drop = pending > S.cfg.max_per_nc ? pending - S.cfg.max_per_nc : 0, dropped = 0, taken = 0;
    for (;;) {
        const nrt__queue_t *q = oldest(c, end);
        if (!q)
            break;
        const nrt__trace_rec_t *r = rec_at(q, S.cursor[c][q->xu][q->index]);
        if (wanted(r)) {
            if (dropped < drop) {
                dropped++;
            } else {
                if (limit && taken == limit)
                    break;
                emit_pair(f, first, q, r);
                taken++;
            }
        }
        S.cursor[c][q->xu][q->index]++;
    }
    return dropped;
}

NRT_API NRT_STATUS nrt_sys_trace_fetch_events(char **buffer, size_t *written_size,
                                              const nrt_sys_trace_fetch_options_t *options)
{
    CHECK_NOT_NULL(buffer);
    *buffer = NULL;
    CHECK_NOT_NULL(written_size);
    *written_size = 0;
    CHECK_RUNNING();
    nrt_sys_trace_fetch_options_t o;
    if (options)
        o = *options;
    else
        nrt_sys_trace_fetch_options_set_defaults(&o);
    uint32_t ncores = nrt__rt.cfg.num_cores;
    CHECK_ARG(o.nc_idx == ALL_CORES || o.nc_idx < ncores, NRT_INVALID, "nc_idx %" PRIu64 " is not a core (%u cores)",
              o.nc_idx, ncores);
    nrt__mutex_lock(&S.lock);
    if (!capturing()) {
        nrt__mutex_unlock(&S.lock);
        LOG_ERROR("no system trace capture is running (nrt_sys_trace_start first)");
        return NRT_INVALID;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        nrt__mutex_unlock(&S.lock);
        LOG_ERROR("out of memory");
        return NRT_RESOURCE;
    }
    uint64_t dropped = 0;
    bool first = true;
    fputs("{\"version\":1,\"runtime\":\"OpenNRT " NRTX_VERSION_STRING "\",\"clock\":\"CLOCK_MONOTONIC\",\"events\":[",
          f);
    for (uint32_t c = 0; c < ncores; c++)
        if (o.nc_idx == ALL_CORES || o.nc_idx == c)
            dropped += fetch_core(f, &first, c, o.max_per_nc);
    fprintf(f, "%s],\"dropped_events\":%" PRIu64 "}", first ? "" : "\n", dropped);
    uint64_t cap = S.cfg.max_per_nc;
    nrt__mutex_unlock(&S.lock);
    if (fclose(f) != 0 || !buf) {
        free(buf);
        LOG_ERROR("out of memory");
        return NRT_RESOURCE;
    }
    if (dropped)
        LOG_WARN("%" PRIu64 " events dropped: more than max_events_per_nc (%" PRIu64 ") between two fetches", dropped,
                 cap);
    *buffer = buf;
    *written_size = len;
    return NRT_SUCCESS;
}

NRT_API void nrt_sys_trace_buffer_free(char *buffer)
{
    free(buffer);
}
