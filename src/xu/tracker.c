/*
 * src/xu/tracker.c - error trackers.
 *
 * The completing thread appends (sequence id, status) under the tracker's
 * mutex, only for failed requests, before the request is published
 * complete. nrta_error_tracker_get_list swaps the pending buffer with the
 * one it hands out, so the caller's array stays valid and unshared until
 * its next get_list (or destroy). A tracker is a handle of the object
 * model: the user's handle plus every queued request that names it hold a
 * reference.
 *
 * Lock: a tracker's |lock| is a leaf lock (nothing is taken under it),
 * taken by application threads and by completing threads.
 */
#include <stdlib.h>
#include <string.h>

#include "common/obj.h"
#include "core/core.h"
#include "xu/xu.h"

struct nrta_error_tracker {
    nrt__obj_t obj;
    uint32_t lnc;
    nrt__mutex_t lock;
    nrta_error_t *pending, *returned;
    size_t npending, cap_pending, nreturned, cap_returned;
};

static void tracker_destroy(nrt__obj_t *o)
{
    nrta_error_tracker_t *t = (nrta_error_tracker_t *)o;
    nrt__mutex_destroy(&t->lock);
    free(t->pending);
    free(t->returned);
}

static const nrt__obj_type_t tracker_type = {
    NRT__OBJ_TRACKER, "error tracker", "destroyed", sizeof(nrta_error_tracker_t), tracker_destroy, false,
};

bool nrt__tracker_check(const nrta_error_tracker_t *t, const char *func)
{
    return nrt__obj_check(t, &tracker_type, func);
}

uint32_t nrt__tracker_core(const nrta_error_tracker_t *t)
{
    return t->lnc;
}

void nrt__tracker_retain(nrta_error_tracker_t *t)
{
    nrt__obj_retain(t);
}

void nrt__tracker_release(nrta_error_tracker_t *t)
{
    nrt__obj_release(t);
}

void nrt__tracker_record(nrta_error_tracker_t *t, nrta_seq_t seq, NRT_STATUS status)
{
    nrt__mutex_lock(&t->lock);
    if (atomic_load_explicit(&t->obj.released, memory_order_relaxed)) {
        nrt__mutex_unlock(&t->lock);
        LOG_ERROR("request 0x%016llx failed with %s (its error tracker was destroyed)", (unsigned long long)seq,
                  nrt_get_status_as_str(status));
        return;
    }
    if (t->npending == t->cap_pending) {
        size_t cap = t->cap_pending ? t->cap_pending * 2 : 16;
        nrta_error_t *p = realloc(t->pending, cap * sizeof *p);
        if (!p) {
            nrt__mutex_unlock(&t->lock);
            LOG_ERROR("out of memory recording error %s of request 0x%016llx", nrt_get_status_as_str(status),
                      (unsigned long long)seq);
            return;
        }
        t->pending = p;
        t->cap_pending = cap;
    }
    t->pending[t->npending].seq_id = seq;
    t->pending[t->npending].error_code = (uint64_t)status;
    t->npending++;
    nrt__mutex_unlock(&t->lock);
    LOG_DEBUG("request 0x%016llx failed with %s", (unsigned long long)seq, nrt_get_status_as_str(status));
}

NRT_API NRT_STATUS nrta_error_tracker_create(uint32_t lnc_idx, nrta_error_tracker_t **error_tracker)
{
    CHECK_RUNNING();
    CHECK_NOT_NULL(error_tracker);
    *error_tracker = NULL;
    CHECK_CORE(lnc_idx);
    nrta_error_tracker_t *t = nrt__obj_create(&tracker_type);
    if (!t)
        return NRT_FAIL_HOST_MEM_ALLOC;
    t->lnc = lnc_idx;
    nrt__mutex_init(&t->lock);
    *error_tracker = t;
    return NRT_SUCCESS;
}

NRT_API void nrta_error_tracker_destroy(nrta_error_tracker_t *error_tracker)
{
    if (nrt__rt_check(__func__) != NRT_SUCCESS || !error_tracker)
        return; /* NULL is a no-op, like free(NULL) */
    if (!nrt__tracker_check(error_tracker, __func__))
        return;
    /* Under the lock: a completing thread either records before the flag
     * flips or sees it and logs instead. */
    nrt__mutex_lock(&error_tracker->lock);
    bool was = atomic_exchange_explicit(&error_tracker->obj.released, true, memory_order_relaxed);
    nrt__mutex_unlock(&error_tracker->lock);
    if (was) {
        LOG_ERROR("error tracker %p was already destroyed", (void *)error_tracker);
        return;
    }
    nrt__obj_release(error_tracker);
}

void nrt__tracker_close_all(void)
{
    nrt__obj_close_all(NRT__OBJ_TRACKER);
}

NRT_API NRT_STATUS nrta_error_tracker_get_list(nrta_error_tracker_t *error_tracker, const nrta_error_t **list,
                                               size_t *error_count)
{
    CHECK_RUNNING();
    CHECK_NOT_NULL(list);
    CHECK_NOT_NULL(error_count);
    *list = NULL;
    *error_count = 0;
    if (!nrt__tracker_check(error_tracker, __func__))
        return NRT_INVALID;
    nrta_error_tracker_t *t = error_tracker;
    nrt__mutex_lock(&t->lock);
    nrta_error_t *ret = t->pending;
    size_t cap = t->cap_pending;
    t->pending = t->returned;
    t->cap_pending = t->cap_returned;
    t->returned = ret;
    t->cap_returned = cap;
    t->nreturned = t->npending;
    t->npending = 0;
    nrt__mutex_unlock(&t->lock);
    *list = t->nreturned ? t->returned : NULL;
    *error_count = t->nreturned;
    return NRT_SUCCESS;
}
