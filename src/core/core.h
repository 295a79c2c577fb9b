/*
 * src/core/core.h - the runtime singleton: state (never initialized /
 * running / closed), configuration, logical cores and the registry of live
 * objects that nrt_close releases (private).
 *
 * Lock order: nrt__rt.lock, then a tracker's or queue's own lock.
 */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/common.h"
#include "nrt/nrt_ext.h"
#include "xu/xu.h"

#define NRT__MAX_CORES 64

enum { NRT__RT_NEVER = 0, NRT__RT_RUNNING = 1, NRT__RT_CLOSED = 2 };

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
    pthread_mutex_t lock; /* registry, init/close */
    nrtx_config_t cfg;
    uint64_t exec_timeout_ns;
    char trace_path[4096];
    nrt__lnc_t cores[NRT__MAX_CORES];
    /* Registries of live objects (under lock). */
    nrt_tensor_t *tensors;
    nrt__tset_t *tsets;
    nrt_model_t *models;
    nrta_error_tracker_t *trackers;
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

/* Registry helpers (doubly linked lists, caller holds nrt__rt.lock). */
#define NRT__REG_ADD(head, obj)                                                \
    do {                                                                       \
        (obj)->reg_prev = NULL;                                                \
        (obj)->reg_next = (head);                                              \
        if (head)                                                              \
            (head)->reg_prev = (obj);                                          \
        (head) = (obj);                                                        \
    } while (0)
#define NRT__REG_DEL(head, obj)                                                \
    do {                                                                       \
        if ((obj)->reg_prev)                                                   \
            (obj)->reg_prev->reg_next = (obj)->reg_next;                       \
        else                                                                   \
            (head) = (obj)->reg_next;                                          \
        if ((obj)->reg_next)                                                   \
            (obj)->reg_next->reg_prev = (obj)->reg_prev;                       \
        (obj)->reg_prev = (obj)->reg_next = NULL;                              \
    } while (0)

#define CHECK_CORE(lnc)                                                        \
    do {                                                                       \
        if (NRT__UNLIKELY(!nrt__core_check((lnc), __func__)))                  \
            return NRT_INVALID;                                                \
    } while (0)
