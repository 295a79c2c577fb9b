/*
 * nrt/nrt_ext.h - OpenNRT extensions beyond the Neuron Runtime API:
 * fault injection, timeline traces, configuration and unit statistics.
 * Prefix nrtx_. Everything here is thread-safe.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nrt/nrt_async.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NRTX_VERSION_STRING "0.1.0"

/* Returns "0.1.0"-style version of the library. */
const char *nrtx_version(void);

/*===------------------------------------------------------------------===*/
/* Fault injection                                                        */
/*===------------------------------------------------------------------===*/

#define NRTX_ANY (-1)

/* A rule: requests matching (lnc, xu, queue), each NRTX_ANY for "any", and
 * either sequence number |seq_num| (> 0) or, when seq_num is 0, each with
 * |probability| (0..1] drawn from a generator seeded by |seed|, fail with
 * |status| instead of running. If |degrade| is set the failure is fatal and
 * degrades the unit (status defaults to NRT_EXEC_HW_ERR_NC_UE then). At most
 * |max_hits| requests are hit (0: unlimited). */
typedef struct nrtx_fault {
    int32_t lnc;
    int32_t xu;
    int32_t queue;
    uint64_t seq_num;
    double probability;
    uint64_t seed;
    NRT_STATUS status;
    bool degrade;
    uint32_t max_hits;
} nrtx_fault_t;

/* Adds a rule (at most 64). Also settable before nrt_init through
 * OPENNRT_FAULT (see docs/CONFIG.md). Rules are cleared by nrt_close. */
NRT_STATUS nrtx_fault_add(const nrtx_fault_t *fault);
NRT_STATUS nrtx_fault_clear(void);
/* Number of requests hit by fault rules since nrt_init. */
NRT_STATUS nrtx_fault_hits(uint64_t *hits);

/*===------------------------------------------------------------------===*/
/* Timeline traces                                                        */
/*===------------------------------------------------------------------===*/

/* Starts recording every request (queue, kind, size, enqueue/start/end
 * times). Also enabled by OPENNRT_TRACE=FILE, which writes FILE at
 * nrt_close. */
NRT_STATUS nrtx_trace_start(void);
/* Stops recording (records are kept). */
NRT_STATUS nrtx_trace_stop(void);
/* Writes the records as Chrome trace-event JSON to |path|. */
NRT_STATUS nrtx_trace_write(const char *path);

/*===------------------------------------------------------------------===*/
/* Configuration and statistics                                           */
/*===------------------------------------------------------------------===*/

typedef struct nrtx_config {
    uint32_t num_cores;
    uint32_t queues[NRTA_XU_TYPE_NUM]; /* queues per unit */
    uint32_t queue_depth;              /* requests a queue holds (OPENNRT_QUEUE_DEPTH rounded up to a power of 2) */
    uint64_t mem_limit;                /* bytes per core */
    uint64_t spin_ns;                  /* worker spin window */
    uint32_t exec_timeout_s;
    bool nan_check;
    int log_level;
} nrtx_config_t;

NRT_STATUS nrtx_get_config(nrtx_config_t *config);

typedef struct nrtx_queue_stats {
    uint64_t submitted;  /* last accepted sequence number */
    uint64_t completed;  /* last completed sequence number */
    uint64_t errors;     /* requests completed with an error */
    uint64_t busy_ns;    /* time spent running requests */
    bool degraded;       /* the unit is degraded */
} nrtx_queue_stats_t;

NRT_STATUS nrtx_get_queue_stats(uint32_t lnc, nrta_xu_t xu, int queue, nrtx_queue_stats_t *stats);

/* Returns the physical core ids (as in NEURON_RT_VISIBLE_CORES) of the
 * visible cores: out[i] for logical core i, for i < min(n, count). */
NRT_STATUS nrtx_get_visible_cores(uint32_t *out, uint32_t n, uint32_t *count);

#ifdef __cplusplus
}
#endif
