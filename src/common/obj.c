/*
 * src/common/obj.c - handle headers, reference counts, the registry of live
 * objects and type-stable memory (see obj.h).
 *
 * Lock: reg_lock guards the registry lists and the free lists. It is a
 * leaf lock: nothing else is taken while it is held, so any thread
 * (application, worker, progress thread) may take it.
 */
#include "common/obj.h"

#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "common/lock.h"

static nrt__mutex_t reg_lock = NRT__MUTEX_INITIALIZER;
static nrt__obj_t *registry[NRT__OBJ_KIND_NUM];
static nrt__obj_t *free_list[NRT__OBJ_KIND_NUM]; /* parked memory, by type */

static void reg_add_locked(nrt__obj_t *o)
{
    NRT__ASSERT_HELD(&reg_lock);
    nrt__obj_t **head = &registry[o->type->kind];
    o->reg_prev = NULL;
    o->reg_next = *head;
    if (*head)
        (*head)->reg_prev = o;
    *head = o;
    o->registered = true;
}

static void reg_del_locked(nrt__obj_t *o)
{
    NRT__ASSERT_HELD(&reg_lock);
    if (!o->registered)
        return;
    if (o->reg_prev)
        o->reg_prev->reg_next = o->reg_next;
    else
        registry[o->type->kind] = o->reg_next;
    if (o->reg_next)
        o->reg_next->reg_prev = o->reg_prev;
    o->reg_prev = o->reg_next = NULL;
    o->registered = false;
}

void *nrt__obj_create(const nrt__obj_type_t *type)
{
    nrt__mutex_lock(&reg_lock);
    nrt__obj_t *o = free_list[type->kind];
    if (o)
        free_list[type->kind] = o->reg_next;
    nrt__mutex_unlock(&reg_lock);
    bool fresh = !o;
    if (fresh) {
        o = aligned_alloc(NRT__CACHELINE, (type->size + NRT__CACHELINE - 1) & ~(size_t)(NRT__CACHELINE - 1));
        if (!o) {
            LOG_ERROR("out of host memory creating a %s", type->name);
            return NULL;
        }
    }
    /* Memory is recycled only for the same type, so |type| never changes:
     * a stale-handle check may read it concurrently. Zero the rest. */
    atomic_store_explicit(&o->magic, 0, memory_order_relaxed);
    size_t keep = offsetof(nrt__obj_t, type) + sizeof o->type;
    memset((char *)o + keep, 0, type->size - keep);
    if (fresh)
        o->type = type;
    atomic_init(&o->refs, 1);
    atomic_init(&o->released, false);
    atomic_store_explicit(&o->magic, NRT__OBJ_MAGIC, memory_order_release);
    nrt__mutex_lock(&reg_lock);
    reg_add_locked(o);
    nrt__mutex_unlock(&reg_lock);
    return o;
}

bool nrt__obj_check(const void *h, const nrt__obj_type_t *type, const char *func)
{
    const nrt__obj_t *o = h;
    if (NRT__UNLIKELY(!o)) {
        NRT__LOG(NRT__LOG_ERROR, "%s: %s handle is NULL", func, type->name);
        return false;
    }
    /* Acquire: pairs with the release in create, so |type| is set up. */
    uint32_t magic = atomic_load_explicit(&((nrt__obj_t *)o)->magic, memory_order_acquire);
    if (NRT__UNLIKELY(magic != NRT__OBJ_MAGIC)) {
        if (magic == NRT__OBJ_DEAD && o->type == type)
            NRT__LOG(NRT__LOG_ERROR, "%s: %s %p was already %s", func, type->name, h, type->released_as);
        else
            NRT__LOG(NRT__LOG_ERROR, "%s: handle %p is not a %s", func, h, type->name);
        return false;
    }
    if (NRT__UNLIKELY(o->type != type)) {
        NRT__LOG(NRT__LOG_ERROR, "%s: handle %p is a %s, not a %s", func, h, o->type->name, type->name);
        return false;
    }
    /* Relaxed: a handle released concurrently with its use is a caller
     * error; this only catches the sequential case. */
    if (NRT__UNLIKELY(atomic_load_explicit(&o->released, memory_order_relaxed)) && !type->usable_after_release) {
        NRT__LOG(NRT__LOG_ERROR, "%s: %s %p was already %s", func, type->name, h, type->released_as);
        return false;
    }
    return true;
}

void nrt__obj_release(void *h)
{
    nrt__obj_t *o = h;
    /* acq_rel: the last releaser sees every write made under the other
     * references before it destroys. */
    if (atomic_fetch_sub_explicit(&o->refs, 1, memory_order_acq_rel) != 1)
        return;
    nrt__mutex_lock(&reg_lock);
    reg_del_locked(o);
    nrt__mutex_unlock(&reg_lock);
    if (o->type->destroy)
        o->type->destroy(o);
    nrt__mutex_lock(&reg_lock);
    atomic_store_explicit(&o->magic, NRT__OBJ_DEAD, memory_order_relaxed);
    o->reg_next = free_list[o->type->kind];
    free_list[o->type->kind] = o;
    nrt__mutex_unlock(&reg_lock);
}

bool nrt__obj_user_release(void *h, const char *func)
{
    nrt__obj_t *o = h;
    if (atomic_exchange_explicit(&o->released, true, memory_order_relaxed)) {
        NRT__LOG(NRT__LOG_ERROR, "%s: %s %p was already %s", func, o->type->name, h, o->type->released_as);
        return false;
    }
    nrt__obj_release(o);
    return true;
}

/* Takes a reference unless the count already reached zero (the object is
 * being destroyed on another thread). */
static bool try_retain(nrt__obj_t *o)
{
    uint32_t n = atomic_load_explicit(&o->refs, memory_order_relaxed);
    while (n) {
        if (atomic_compare_exchange_weak_explicit(&o->refs, &n, n + 1, memory_order_relaxed, memory_order_relaxed))
            return true;
    }
    return false;
}

void nrt__obj_close_all(nrt__obj_kind_t kind)
{
    nrt__mutex_lock(&reg_lock);
    for (nrt__obj_t *o; (o = registry[kind]) != NULL;) {
        reg_del_locked(o);
        if (!try_retain(o))
            continue;
        nrt__mutex_unlock(&reg_lock);
        if (!atomic_exchange_explicit(&o->released, true, memory_order_relaxed))
            nrt__obj_release(o);
        nrt__obj_release(o);
        nrt__mutex_lock(&reg_lock);
    }
    nrt__mutex_unlock(&reg_lock);
}

void nrt__obj_fork_prepare(void)
{
    /* Hold the registry across fork() so the child never inherits a list
     * caught in the middle of an update. */
    nrt__mutex_lock(&reg_lock);
}

void nrt__obj_fork_parent(void)
{
    nrt__mutex_unlock(&reg_lock);
}

void nrt__obj_after_fork(void)
{
    /* In a forked child every object belongs to the parent's runtime: forget
     * them (their memory stays valid) so that a fresh nrt_init starts with an
     * empty registry. One thread runs now, so plain writes are safe. */
    nrt__mutex_init(&reg_lock);
    for (int k = 0; k < NRT__OBJ_KIND_NUM; k++) {
        for (nrt__obj_t *o = registry[k]; o; o = o->reg_next)
            o->registered = false;
        registry[k] = NULL;
    }
}

/* At unload, hand parked memory back (keeps leak checkers quiet). A worker
 * left inside a kernel past the exec timeout may still be releasing
 * objects while the process exits: take the lists under the lock. */
__attribute__((destructor)) static void free_parked(void)
{
    nrt__obj_t *lists[NRT__OBJ_KIND_NUM];
    nrt__mutex_lock(&reg_lock);
    for (int k = 0; k < NRT__OBJ_KIND_NUM; k++) {
        lists[k] = free_list[k];
        free_list[k] = NULL;
    }
    nrt__mutex_unlock(&reg_lock);
    for (int k = 0; k < NRT__OBJ_KIND_NUM; k++)
        for (nrt__obj_t *o = lists[k], *n; o; o = n) {
            n = o->reg_next;
            free(o);
        }
}
