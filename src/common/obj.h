/*
 * src/common/obj.h - the one object model behind every handle the
 * application holds: tensors, tensor sets, models, error trackers, and
 * later communicators, send/receive requests and collective contexts.
 *
 * Every handle starts with an nrt__obj_t header: its type, a reference
 * count, a "the application released its handle" flag and the registry
 * link that nrt_close walks. Ownership:
 *  - nrt__obj_create returns an object holding one reference: the
 *    application's handle. nrt__obj_user_release drops it exactly once;
 *    a second release of the same handle is refused (logged).
 *  - Anyone else that keeps the object (a queued request, a tensor set)
 *    holds a reference of its own: nrt__obj_retain / nrt__obj_release.
 *    The last release calls the type's destroy, on whatever thread it
 *    happens (a worker, a progress thread): destroy never takes the
 *    runtime lock.
 *  - nrt__obj_check refuses NULL, a handle of another type and a handle
 *    the application already released, with one log line naming the
 *    function: the single handle check every entry point uses.
 *
 * Memory is type-stable: an object's memory is recycled only for objects
 * of the same type and is never returned to the C library while the
 * process runs, so checking a handle the application already released (or
 * that was destroyed) reads valid memory and is reported, never a crash.
 * (A handle whose memory was reused by a newer object of the same type
 * names that newer object: the check cannot tell them apart.)
 */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum nrt__obj_kind {
    NRT__OBJ_TENSOR = 0,
    NRT__OBJ_TSET,
    NRT__OBJ_MODEL,
    NRT__OBJ_TRACKER,
    NRT__OBJ_COMM,       /* send/recv communicators (later) */
    NRT__OBJ_SR_REQUEST, /* send/recv requests (later) */
    NRT__OBJ_CC_CTX,     /* collective contexts (later) */
    NRT__OBJ_KIND_NUM
} nrt__obj_kind_t;

struct nrt__obj;

typedef struct nrt__obj_type {
    nrt__obj_kind_t kind;
    const char *name;         /* "tensor", "model", ... (log lines) */
    const char *released_as;  /* "freed", "unloaded", "destroyed" */
    size_t size;              /* bytes of the whole object */
    /* Frees what the object owns (not its memory). Called once, after the
     * last reference, on the releasing thread; takes no runtime lock. */
    void (*destroy)(struct nrt__obj *o);
    /* Still usable after the application released its handle while others
     * hold it (tensors: a tensor set keeps a freed tensor usable through
     * nrt_get_tensor_from_tensor_set). */
    bool usable_after_release;
} nrt__obj_type_t;

typedef struct nrt__obj {
    /* Atomic: a stale handle may be checked while another thread destroys
     * (or recycles) the object; the check then reads a defined value. */
    _Atomic uint32_t magic;
    const nrt__obj_type_t *type;
    _Atomic uint32_t refs;
    _Atomic bool released; /* the application's handle is gone */
    bool registered;       /* in the registry (under the registry lock) */
    struct nrt__obj *reg_prev, *reg_next;
} nrt__obj_t;

#define NRT__OBJ_MAGIC 0x4a424f4eu /* "NOBJ" */
#define NRT__OBJ_DEAD 0x44414544u  /* "DEAD": destroyed, memory parked */

/* Allocates a zeroed object of |type| (one reference: the application's),
 * registered for nrt_close. NULL when out of memory (logged). */
void *nrt__obj_create(const nrt__obj_type_t *type);

/* True when |h| is a live object of |type| whose handle the application
 * has not released (or, for types usable after release, that is still
 * referenced); else logs "<func>: ..." once and returns false. */
bool nrt__obj_check(const void *h, const nrt__obj_type_t *type, const char *func);

static inline void nrt__obj_retain(void *h)
{
    /* Relaxed: the caller already holds a reference (IREE's rule). */
    atomic_fetch_add_explicit(&((nrt__obj_t *)h)->refs, 1, memory_order_relaxed);
}

/* Drops one reference; the last one destroys the object. */
void nrt__obj_release(void *h);

/* Drops the application's reference, once: false (logged) when the handle
 * was already released. */
bool nrt__obj_user_release(void *h, const char *func);

/* nrt_close: drops the application's reference of every live object of
 * |kind| and unregisters them all. Objects still referenced by something
 * else (a request stuck past the exec timeout) live on until released. */
void nrt__obj_close_all(nrt__obj_kind_t kind);

/* fork() handlers (see runtime.c): prepare locks the registry, parent
 * unlocks it, the child forgets the parent's objects. */
void nrt__obj_fork_prepare(void);
void nrt__obj_fork_parent(void);
void nrt__obj_after_fork(void);
