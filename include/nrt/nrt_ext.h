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

/* Execution units as this extension numbers them: the engine's five units
 * (the numbering of the 2.28 async API, equal to its NRTA_XU_* values).
 * Programs built with NRTA_API_VERSION=3, whose NRTA_XU_* values differ,
 * use these. */
#define NRTX_XU_TENSOR_READ 0
#define NRTX_XU_TENSOR_WRITE 1
#define NRTX_XU_TENSOR_OP 2
#define NRTX_XU_COMPUTE 3
#define NRTX_XU_COLLECTIVES 4

/* A rule: requests matching (lnc, xu (NRTX_XU_*), queue), each NRTX_ANY for "any", and
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
 * OPENNRT_FAULT (see docs/CONFIG.md). Rules (network rules too) are
 * cleared by nrtx_fault_clear and nrt_close. */
NRT_STATUS nrtx_fault_add(const nrtx_fault_t *fault);
NRT_STATUS nrtx_fault_clear(void);
/* A network rule (async send/recv): on core |lnc| (absolute id, or
 * NRTX_ANY), either the |transfer|-th transfer (1-based, counted per core
 * over sends, receives or both: |direction| 0 send, 1 receive, NRTX_ANY)
 * fails with |status| (NRT_FAILURE when 0), or, with |drop_after_bytes|, a
 * communicator's connection drops once it has moved that many bytes. Either
 * way the communicator fails for good and its peer sees the connection end,
 * as with a real network failure: pending requests on both sides fail.
 * Also settable through OPENNRT_FAULT, e.g.
 * "net=fail,lnc=0,dir=send,n=3,status=NRT_TIMEOUT;net=drop,bytes=1M". */
typedef struct nrtx_net_fault {
    int32_t lnc;
    int32_t direction;
    uint64_t transfer;
    uint64_t drop_after_bytes;
    NRT_STATUS status;
} nrtx_net_fault_t;

NRT_STATUS nrtx_net_fault_add(const nrtx_net_fault_t *fault);

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

/* The configuration nrt_init resolved from the environment (docs/CONFIG.md
 * names each variable). New fields are only ever added at the end. */
typedef struct nrtx_config {
    uint32_t num_cores;
    uint32_t queues[NRTA_XU_TYPE_NUM]; /* queues per unit */
    uint32_t queue_depth;              /* requests a queue holds (OPENNRT_QUEUE_DEPTH rounded up to a power of 2) */
    uint64_t mem_limit;                /* bytes per core */
    uint64_t spin_ns;                  /* worker spin window */
    uint32_t exec_timeout_s;           /* NEURON_RT_EXEC_TIMEOUT as set; see exec_timeout_ms for the one in force */
    bool nan_check;
    int log_level;
    uint32_t workers;         /* worker threads running the unit queues (OPENNRT_WORKERS, 0 resolved to the CPUs) */
    uint64_t exec_timeout_ms; /* exec timeout in force: OPENNRT_EXEC_TIMEOUT_MS if not 0, else
                               * NEURON_RT_EXEC_TIMEOUT * 1000; 0: disabled */
    uint64_t help_ns;         /* OPENNRT_HELP_US: pollers run queued requests shorter than this (0: never) */
} nrtx_config_t;

/* Copies the running runtime's configuration to |config|.
 * Returns NRT_UNINITIALIZED / NRT_CLOSED when not running, NRT_INVALID for
 * a NULL |config|. */
NRT_STATUS nrtx_get_config(nrtx_config_t *config);

/*===------------------------------------------------------------------===*/
/* Settings table                                                         */
/*===------------------------------------------------------------------===*/

/* Every environment variable OpenNRT reads, from the one table that also
 * generates the configuration reader and the table in docs/CONFIG.md.
 * Iterate with nrtx_param_count() and nrtx_param_get(); the order is the
 * documentation's. */

typedef enum {
    NRTX_PARAM_INT = 0,       /* decimal integer in [min, max] */
    NRTX_PARAM_SIZE = 1,      /* bytes with an optional K/M/G suffix ("16G"), in [min, max] */
    NRTX_PARAM_CORES = 2,     /* core ids and ranges ("0-3", "1,3"), each in [min, max] */
    NRTX_PARAM_STRING = 3,    /* free text: a path, fault rules */
    NRTX_PARAM_LOG_LEVEL = 4, /* OFF, ERROR, WARN, INFO, DEBUG, TRACE (any case); min, max are level numbers */
} nrtx_param_type_t;

#define NRTX_PARAM_VALUE_MAX 1024

typedef struct nrtx_param {
    const char *name;      /* the variable, e.g. "OPENNRT_QUEUES" (static) */
    nrtx_param_type_t type;
    const char *type_name; /* "integer", "size", "core list", "string", "log level" (static) */
    uint64_t min, max;     /* bounds (see nrtx_param_type_t); 0, 0 for STRING */
    char range[48];        /* the bounds as text: "1..32", ">= 1", "OFF..TRACE"; "" for STRING */
    const char *def;       /* what an unset variable means, as text: "4", "16G", "all", "unset" (static) */
    const char *doc;       /* one line; may hold Markdown code spans (static) */
    bool set;              /* the variable is set and not empty in the environment now */
    bool library;          /* read by libnrt; false for variables only the example models read */
    /* The value in force while the runtime is running, as text in the
     * variable's own syntax ("4", "16G", "0-1", "ERROR"); "" for an unset
     * string and whenever the runtime is not running. A longer value is
     * truncated. */
    char value[NRTX_PARAM_VALUE_MAX];
} nrtx_param_t;

/* Stores the number of entries in |count|. Callable at any time, also
 * before nrt_init. Returns NRT_INVALID for a NULL |count|. */
NRT_STATUS nrtx_param_count(uint32_t *count);

/* Fills |param| with entry |index| (0 <= index < nrtx_param_count()).
 * Callable at any time; |value| is filled only while the runtime is
 * running. Returns NRT_INVALID for a NULL |param| or an index out of
 * range. */
NRT_STATUS nrtx_param_get(uint32_t index, nrtx_param_t *param);

typedef struct nrtx_queue_stats {
    uint64_t submitted;  /* last accepted sequence number */
    uint64_t completed;  /* last completed sequence number */
    uint64_t errors;     /* requests completed with an error */
    uint64_t busy_ns;    /* time spent running requests */
    bool degraded;       /* the unit is degraded */
} nrtx_queue_stats_t;

/* |xu|: NRTX_XU_* (with the 2.28 API, NRTA_XU_* are the same values). */
#if defined(NRTA_API_VERSION) && NRTA_API_VERSION == 3
NRT_STATUS nrtx_get_queue_stats(uint32_t lnc, int xu, int queue, nrtx_queue_stats_t *stats);
#else
NRT_STATUS nrtx_get_queue_stats(uint32_t lnc, nrta_xu_t xu, int queue, nrtx_queue_stats_t *stats);
#endif

/* Returns the physical core ids (as in NEURON_RT_VISIBLE_CORES) of the
 * visible cores: out[i] for logical core i, for i < min(n, count). */
NRT_STATUS nrtx_get_visible_cores(uint32_t *out, uint32_t n, uint32_t *count);

/*===------------------------------------------------------------------===*/
/* Async send/receive: what a communicator is doing                       */
/*===------------------------------------------------------------------===*/

struct nrt_async_sendrecv_comm;

typedef struct nrtx_sendrecv_comm_info {
    /* The data path, once connected: "local" (cores of one process),
     * "shm" (libfabric shm, processes of one host) or "tcp;ofi_rxm"
     * (libfabric over TCP); "" while connecting. */
    char transport[32];
    char peer[80];        /* "<peer ip>/lnc <peer lnc>", as given to connect/accept */
    bool is_send;         /* made by connect (true) or accept (false) */
    bool connected;       /* test_comm would report done */
    bool failed;          /* failed for good (peer gone, timeout, injected fault) */
    uint32_t pending;     /* requests posted and not yet reported done */
    uint64_t bytes;       /* payload bytes of the transfers completed so far */
} nrtx_sendrecv_comm_info_t;

/* Fills |info| for |comm|. Never blocks. NRT_INVALID_HANDLE for a stale or
 * wrong handle, NRT_INVALID for a NULL |info|. */
NRT_STATUS nrtx_async_sendrecv_comm_info(struct nrt_async_sendrecv_comm *comm, nrtx_sendrecv_comm_info_t *info);

#ifdef __cplusplus
}
#endif
