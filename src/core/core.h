/*
 * src/core/core.h - the runtime singleton: state (never initialized /
 * running / closing / closed), configuration and logical cores (private).
 * Live objects are registered by the object model (common/obj.h).
 *
 * Lock table (every lock of libnrt; take them only in this order, top to
 * bottom; nrt__mutex_t asserts ownership in Debug/ASan/TSan builds):
 *
 *   lock              guards                          taken by
 *   ----------------  ------------------------------  ---------------------
 *   nrt__rt.lock      init/close, |cfg|, the cores    application threads in
 *                                                     nrt_init / nrt_close
 *                                                     only; never by workers,
 *                                                     the watchdog or progress
 *                                                     threads (asserted on the
 *                                                     completion path)
 *   pool.spawn_lock   starting worker threads         submitters, monitor,
 *     (xu/sched.c)                                    nrt_close
 *   fault lock        fault rules (xu/fault.c)        anyone (leaf)
 *   q->fd_lock        a queue's fd waiter list        application, completers
 *     (xu/wait.c)                                     (leaf)
 *   tracker lock      a tracker's error lists         application, completers
 *     (xu/tracker.c)                                  (leaf)
 *   reg_lock          object registry, free lists     anyone (leaf; object
 *     (common/obj.c)                                  destroy runs outside it)
 *   wd.lock           watchdog start/stop             nrt_init / nrt_close,
 *     (xu/watchdog.c)                                 the watchdog (leaf; the
 *                                                     scan runs outside it)
 *   sr_lock           send/recv init/close, the       application threads in
 *     (sendrecv/sr_api.c)  core table                 sendrecv init/close,
 *                                                     nrt_close (unlocked rt)
 *   ctl.lock          send/recv control plane         the control thread (while
 *     (sendrecv/sr_ctl.c)                             it handles events), init,
 *                                                     close, connect/accept
 *   core->lock        a send/recv core's comm table,  posters, progress, the
 *     (sendrecv/sr.h)  retry and copy lists           control thread
 *   W.lock            the collectives world: members, join, the control thread
 *     (coll/coll_world.c)  groups, the member table   (while it handles a message),
 *                                                     a collective looking up
 *                                                     its group (leaf but for
 *                                                     opening an endpoint)
 *   ep->ops_lock      an endpoint's posted-op list    posters, pollers (leaf)
 *     (net/ofi/ofi.h)
 *   net fault lock    network fault rules             posters, completers (leaf)
 *   trace rec_lock    send/recv trace records         completers (leaf)
 *
 * No lock is held across user code (kernels) or across a wait for a
 * request: nrt_close drops nrt__rt.lock while queued work drains.
 */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/common.h"
#include "common/lock.h"
#include "nrt/nrt_ext.h"
#include "xu/xu.h"

#define NRT__MAX_CORES 64

/* FORKED: this process is a fork() child of one whose runtime ran; the
 * runtime's threads do not exist here. Calls are refused until nrt_init. */
enum { NRT__RT_NEVER = 0, NRT__RT_RUNNING = 1, NRT__RT_CLOSED = 2, NRT__RT_CLOSING = 3, NRT__RT_FORKED = 4 };

typedef struct nrt__lnc {
    uint32_t index;    /* logical index, 0..num_cores-1 */
    uint32_t phys;     /* id as named in NEURON_RT_VISIBLE_CORES */
    _Atomic uint64_t mem_used;
    _Atomic uint32_t nmodels;
    nrt__unit_t units[NRTA_XU_TYPE_NUM];
} nrt__lnc_t;

typedef struct nrt__runtime {
    _Atomic int state;
    _Atomic uint32_t gen; /* bumped at every nrt_init */
    nrt__mutex_t lock; /* init/close (see the lock table) */
    nrtx_config_t cfg;
    uint64_t exec_timeout_ns;
    char trace_path[4096];
    nrt__lnc_t cores[NRT__MAX_CORES];
} nrt__runtime_t;

extern nrt__runtime_t nrt__rt;

/* Returns NRT_SUCCESS when running, else logs and returns
 * NRT_UNINITIALIZED / NRT_CLOSED. */
NRT_STATUS nrt__rt_check(const char *func);

#define CHECK_RUNNING()                                                        \
    do {                                                                       \
        NRT_STATUS rt_st_ = nrt__rt_check(__func__);                           \
        if (NRT__UNLIKELY(rt_st_ != NRT_SUCCESS))                              \
            return rt_st_;                                                     \
    } while (0)

/* Validates a core index (logs and returns false if out of range). */
bool nrt__core_check(int64_t lnc, const char *func);

/* Memory accounting against core |lnc|'s limit. */
NRT_STATUS nrt__mem_reserve(uint32_t lnc, uint64_t bytes);
void nrt__mem_unreserve(uint32_t lnc, uint32_t gen, uint64_t bytes);

/* Reads the core-count environment; shared by init and the count queries. */
NRT_STATUS nrt__cores_from_env(uint32_t *phys, uint32_t *count, uint32_t *total);

#define CHECK_CORE(lnc)                                                        \
    do {                                                                       \
        if (NRT__UNLIKELY(!nrt__core_check((lnc), __func__)))                  \
            return NRT_INVALID;                                                \
    } while (0)

/* Teardown helpers nrt_close calls (each module owns its kind). */
void nrt__tracker_close_all(void);
void nrt__tensor_close_all(void);
void nrt__model_close_all(void);
void nrt__sr_close_all(void); /* src/sendrecv/sr_api.c */
void nrt__sr_after_fork(void); /* src/sendrecv/sr_api.c: forget the parent's send/recv */
void nrt__cc_shutdown(void);  /* src/coll/coll_api.c */
void nrt__cc_after_fork(void); /* src/coll/coll_world.c: forget the parent's world */
NRT_STATUS nrt__cc_read_cfg(void);
