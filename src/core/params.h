/*
 * src/core/params.h - the one table of environment settings (private).
 *
 * NRT__PARAM_MAP lists every variable OpenNRT reads or documents. It
 * generates the configuration reader (params.c, called from read_config()
 * in runtime.c), the table behind nrtx_param_get() that nrt-ls prints, and
 * the Markdown table in README.md and docs/CONFIG.md (nrt-ls --params-md;
 * the tools_params_md test fails when they drift apart). A new setting is
 * one line here, the code that uses its value, and its case in
 * format_value() (params.c; -Wswitch reports a missing one).
 *
 * X(name, type, min, max, def, reader, doc)
 *   name    the environment variable
 *   type    INT, SIZE, CORES, STRING or LOG_LEVEL (nrtx_param_type_t).
 *           params.c parses INT, SIZE and STRING; core lists and log
 *           levels are parsed by their own readers (below)
 *   min,max inclusive bounds: of the value (INT, SIZE), of each core id
 *           (CORES), of the level number (LOG_LEVEL); unused for STRING
 *   def     the default as text. For the variables params.c reads, it is
 *           parsed like a value, so it is always in range (test_params.c);
 *           elsewhere it is what an unset variable means ("all", "unset")
 *   reader  who reads it (nrt__param_reader_t, NRT__PARAM_BY_ prefix):
 *             CONFIG  nrt__params_read(), at nrt_init
 *             CORES   nrt__cores_from_env(), at nrt_init and by the core
 *                     count queries (it checks one against another)
 *             LOG     nrt__log_configure()
 *             FAULT   nrt__fault_parse_env(), at nrt_init
 *             MODEL   the example scale model; the library never reads it
 *   doc     one line for people; Markdown code spans allowed, no '|'
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h> /* environ, for nrt__params_warn_unknown */

#include "core/core.h"
#include "nrt/nrt_ext.h"

#define NRT__PARAM_MAP(X)                                                                                              \
    X(NEURON_RT_VISIBLE_CORES, CORES, 0, NRT__MAX_CORES - 1, "all", CORES,                                             \
      "physical cores this process uses, as ids and ranges (`0-3`, `1,3`), each below `OPENNRT_TOTAL_CORES`; "         \
      "wins over `NEURON_RT_NUM_CORES`")                                                                               \
    X(NEURON_RT_NUM_CORES, INT, 1, NRT__MAX_CORES, "all", CORES,                                                       \
      "use the first N cores (at most `OPENNRT_TOTAL_CORES`)")                                                         \
    X(OPENNRT_TOTAL_CORES, INT, 1, NRT__MAX_CORES, "16", CORES,                                                        \
      "logical cores the simulated machine has; visible cores default to all of them")                                 \
    X(OPENNRT_QUEUES, INT, 1, NRT__MAX_QUEUES, "4", CONFIG,                                                            \
      "queues of each of TENSOR_READ, TENSOR_WRITE, TENSOR_OP; COMPUTE and COLLECTIVES have 1")                        \
    X(OPENNRT_QUEUE_DEPTH, INT, 1, 1u << 20, "64", CONFIG,                                                             \
      "slots per queue (rounded up to a power of two); a full queue returns `NRT_QUEUE_FULL`")                         \
    X(OPENNRT_WORKERS, INT, 0, 256, "0", CONFIG,                                                                       \
      "worker threads that run the execution-unit queues, started as work arrives; `0`: one per online CPU "           \
      "(at most 256)")                                                                                                 \
    X(OPENNRT_SPIN_US, INT, 0, 1000000, "50", CONFIG,                                                                  \
      "microseconds an idle worker (and a blocking waiter) spins before it sleeps")                                    \
    X(OPENNRT_HELP_US, INT, 0, 1000000, "20", CONFIG,                                                                  \
      "a thread polling or waiting for a request runs that queue's requests itself when no worker took them yet "     \
      "and they take under this many microseconds on average; `0` disables")                                           \
    X(OPENNRT_MEM_LIMIT, SIZE, 1, UINT64_MAX, "16G", CONFIG,                                                           \
      "device memory per logical core (bytes, `K`/`M`/`G` suffixes); over it: `NRT_RESOURCE`")                         \
    X(NEURON_RT_EXEC_TIMEOUT, INT, 0, 86400 * 365, "30", CONFIG,                                                       \
      "exec timeout in seconds: a request running longer fails with `NRT_TIMEOUT` and degrades its unit; "             \
      "`0` disables")                                                                                                  \
    X(OPENNRT_EXEC_TIMEOUT_MS, INT, 0, UINT32_MAX, "0", CONFIG,                                                        \
      "exec timeout in milliseconds; when not `0` it overrides `NEURON_RT_EXEC_TIMEOUT`")                              \
    X(OPENNRT_NAN_CHECK, INT, 0, 1, "0", CONFIG,                                                                       \
      "`1`: a model output holding NaN/Inf completes with `NRT_EXEC_COMPLETED_WITH_NUM_ERR`")                          \
    X(NEURON_RT_LOG_LEVEL, LOG_LEVEL, 0, 5, "ERROR", LOG,                                                              \
      "log lines written to stderr, from `OFF` (none) through `ERROR`, `WARN`, `INFO`, `DEBUG` to `TRACE` (all)")      \
    X(OPENNRT_TRACE, STRING, 0, 0, "unset", CONFIG,                                                                    \
      "record a timeline of every request and write it to this file (Chrome trace JSON) at `nrt_close` or exit")       \
    X(OPENNRT_FAULT, STRING, 0, 0, "unset", FAULT,                                                                     \
      "fault-injection rules, e.g. `xu=compute,seq=5,status=1004;xu=write,prob=0.01,seed=7` (docs/CONFIG.md)")         \
    X(NEURON_RT_ASYNC_SENDRECV_BOOTSTRAP_PORT, INT, 1, 65535, "45645", SENDRECV,                                     \
      "async send/recv: the TCP port of each host's rendezvous (one process per host serves it; the same on "       \
      "every host)")                                                                                                 \
    X(NEURON_RT_ASYNC_SENDRECV_EXPERIMENTAL_ENABLED, INT, 0, 1, "unset", SENDRECV,                                  \
      "accepted for compatibility with the Neuron runtime; async send/recv works without it")                       \
    X(OPENNRT_SR_CONNECT_TIMEOUT_MS, INT, 1, UINT32_MAX, "30000", SENDRECV,                                          \
      "async send/recv: a communicator not connected after this many milliseconds fails and "                       \
      "`nrt_async_sendrecv_test_comm` returns `NRT_TIMEOUT`")                                                         \
    X(OPENNRT_SR_PEER_TIMEOUT_MS, INT, 100, 3600000, "1500", SENDRECV,                                               \
      "async send/recv: a peer host that stops answering (TCP keep-alive) fails its communicators after about "     \
      "this long; a peer process that dies is noticed at once")                                                      \
    X(OPENNRT_SR_TRANSPORT, STRING, 0, 0, "auto", SENDRECV,                                                          \
      "async send/recv path between processes: `auto` or `tcp` (libfabric tcp;ofi_rxm), `shm` (libfabric shm, "     \
      "processes of one host; see docs/API.md); cores of one process copy directly unless `tcp` or `shm` is set")   \
    X(OPENNRT_SR_SPIN_US, INT, 0, 1000000, "50", SENDRECV,                                                           \
      "async send/recv: microseconds a core's progress thread polls after the last completion before it naps")      \
    X(NEURON_RT_ROOT_COMM_ID, STRING, 0, 0, "127.0.0.1:62182", COLL,                                                \
      "collectives: where the members of a world meet, `<ipv4>:<port>`, `[<ipv6>]:<port>` or `<host>:<port>`; "    \
      "global id 0's process listens there (not used when every member is a core of one process)")                 \
    X(OPENNRT_CC_TRANSPORT, STRING, 0, 0, "tcp", COLL,                                                              \
      "collectives between processes: `tcp` (libfabric tcp;ofi_rxm) or `shm` (libfabric shm, one host only)")     \
    X(OPENNRT_CC_ALLREDUCE, STRING, 0, 0, "auto", COLL,                                                             \
      "all-reduce algorithm by size, e.g. `direct:0-65536;ring:65537-max`; `direct` applies only when every "      \
      "member is a core of this process (docs/COLLECTIVES.md)")                                                     \
    X(OPENNRT_CC_ALLGATHER, STRING, 0, 0, "auto", COLL,                                                             \
      "all-gather algorithm by size, as `OPENNRT_CC_ALLREDUCE`")                                                    \
    X(OPENNRT_CC_REDUCESCATTER, STRING, 0, 0, "auto", COLL,                                                         \
      "reduce-scatter algorithm by size, as `OPENNRT_CC_ALLREDUCE`")                                                \
    X(OPENNRT_CC_WARN_MS, INT, 10, 3600000, "5000", COLL,                                                            \
      "collectives: a member waiting this long for others logs a warning naming them, and again every period")     \
    X(OPENNRT_SCALE_PASSES, INT, 1, 999, "1", MODEL,                                                                   \
      "example `scale` model only: repeat its pass N times")

typedef enum {
#define NRT__PARAM_ID_(name, type, min, max, def, reader, doc) NRT__P_##name,
    NRT__PARAM_MAP(NRT__PARAM_ID_)
#undef NRT__PARAM_ID_
    NRT__P_COUNT
} nrt__param_id_t;

typedef enum {
    NRT__PARAM_BY_CONFIG,
    NRT__PARAM_BY_CORES,
    NRT__PARAM_BY_LOG,
    NRT__PARAM_BY_FAULT,
    NRT__PARAM_BY_MODEL,
    NRT__PARAM_BY_SENDRECV, /* read at nrt_async_sendrecv_init */
    NRT__PARAM_BY_COLL,     /* read at nrt_init by the collectives (src/coll/coll_api.c) */
} nrt__param_reader_t;

typedef struct nrt__param_def {
    const char *name;
    nrtx_param_type_t type;
    uint64_t min, max;
    const char *def;
    nrt__param_reader_t reader;
    const char *doc;
} nrt__param_def_t;

/* The table, indexed by nrt__param_id_t. */
extern const nrt__param_def_t nrt__params[NRT__P_COUNT];

/* Values of the CONFIG variables, as nrt__params_read() found them. */
typedef struct nrt__param_values {
    uint64_t u[NRT__P_COUNT];    /* INT and SIZE: the value, else its default */
    const char *s[NRT__P_COUNT]; /* STRING: the environment's text, NULL when unset */
} nrt__param_values_t;

/* Returns the entry named |name| exactly, or NULL. */
const nrt__param_def_t *nrt__param_find(const char *name);

/* Parses |s| as a value of the INT or SIZE entry |p| and checks its range.
 * False (nothing stored) on junk, out of range, or another type. */
bool nrt__param_parse(const nrt__param_def_t *p, const char *s, uint64_t *out);

/* Reads the INT or SIZE variable |id|: its default when unset or empty.
 * A bad value logs one ERROR line naming the variable and the accepted
 * values, stores the default and returns false. */
bool nrt__param_read_u64(nrt__param_id_t id, uint64_t *out);

/* Reads every CONFIG entry into |out|. Every bad value logs its own line
 * (so one run shows them all); returns false if any was bad. */
bool nrt__params_read(nrt__param_values_t *out);

/* The worker count OPENNRT_WORKERS=|requested| means: itself, or for 0
 * the online CPUs, within [1, 256]. */
uint32_t nrt__params_workers(uint64_t requested);

/* The table entry whose name is closest to the |len| bytes at |name|
 * (Levenshtein distance; the first of equals); the distance goes to
 * |out_distance| if not NULL. */
const nrt__param_def_t *nrt__param_closest(const char *name, size_t len, size_t *out_distance);

/* Logs one WARN line for each OPENNRT_* variable in |env| (an environ-like,
 * NULL-terminated array) that the table does not know, naming the closest
 * known one. Returns how many it found. */
size_t nrt__params_warn_unknown(char *const *env);

/* Records what only init knows (the total core count, the fault rules'
 * text) for nrtx_param_get's values. Caller holds nrt__rt.lock, before the
 * runtime is published as running. */
void nrt__params_snapshot(uint32_t total_cores);
