/*
 * src/xu/tracker.c - error trackers.
 *
 * Workers append (sequence id, status) under the tracker's mutex, only for
 * failed requests, before the request is published complete.
 * nrta_error_tracker_get_list swaps the pending buffer with the one it
 * hands out, so the caller's array stays valid and unshared until its next
 * get_list (or destroy). A tracker is reference counted: the user handle
 * plus every queued request that names it.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "xu/xu.h"

bool nrt__tracker_check(const nrta_error_tracker_t *t, const char *what)
{
    if (NRT__UNLIKELY(!t || t->magic != NRT__TRACKER_MAGIC || t->user_destroyed)) {
        LOG_ERROR("%s: %p is not a live error tracker", what, (const void *)t);
        return false;
    }
    return true;
}

void nrt__tracker_retain(nrta_error_tracker_t *t)
{
    atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
}

void nrt__tracker_release(nrta_error_tracker_t *t)
{
    if (atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) != 1)
        return;
    pthread_mutex_destroy(&t->lock);
    free(t->pending);
    free(t->returned);
    t->magic = 0;
    free(t);
}

void nrt__tracker_record(nrta_error_tracker_t *t, nrta_seq_t seq, NRT_STATUS status)
{
    pthread_mutex_lock(&t->lock);
    if (t->user_destroyed) {
        pthread_mutex_unlock(&t->lock);
        LOG_ERROR("request 0x%016llx failed with %s (its error tracker was destroyed)", (unsigned long long)seq,
                  nrt_get_status_as_str(status));
        return;
    }
    if (t->npending == t->cap_pending) {
        size_t cap = t->cap_pending ? t->cap_pending * 2 : 16;
        nrta_error_t *p = realloc(t->pending, cap * sizeof *p);
        if (!p) {
            pthread_mutex_unlock(&t->lock);
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
    pthread_mutex_unlock(&t->lock);
    LOG_DEBUG("request 0x%016llx failed with %s", (unsigned long long)seq, nrt_get_status_as_str(status));
}

NRT_API NRT_STATUS nrta_error_tracker_create(uint32_t lnc_idx, nrta_error_tracker_t **error_tracker)
{
    CHECK_RUNNING();
    CHECK_NOT_NULL(error_tracker);
    *error_tracker = NULL;
    CHECK_CORE(lnc_idx);
    nrta_error_tracker_t *t = calloc(1, sizeof *t);
    if (!t) {
        LOG_ERROR("out of host memory");
        return NRT_FAIL_HOST_MEM_ALLOC;
    }
    t->magic = NRT__TRACKER_MAGIC;
    atomic_init(&t->refs, 1);
    t->lnc = lnc_idx;
    pthread_mutex_init(&t->lock, NULL);
    pthread_mutex_lock(&nrt__rt.lock);
    NRT__REG_ADD(nrt__rt.trackers, t);
    pthread_mutex_unlock(&nrt__rt.lock);
    *error_tracker = t;
    return NRT_SUCCESS;
}

static void destroy_locked(nrta_error_tracker_t *t)
{
    NRT__REG_DEL(nrt__rt.trackers, t);
    pthread_mutex_lock(&t->lock);
    t->user_destroyed = true;
    pthread_mutex_unlock(&t->lock);
    nrt__tracker_release(t);
}

NRT_API void nrta_error_tracker_destroy(nrta_error_tracker_t *error_tracker)
{
    if (nrt__rt_check(__func__) != NRT_SUCCESS || !error_tracker)
        return; /* NULL is a no-op, like free(NULL) */
    pthread_mutex_lock(&nrt__rt.lock);
    if (!nrt__tracker_check(error_tracker, __func__)) {
        pthread_mutex_unlock(&nrt__rt.lock);
        return;
    }
    destroy_locked(error_tracker);
    pthread_mutex_unlock(&nrt__rt.lock);
}

void nrt__tracker_close_all(void)
{
    while (nrt__rt.trackers)
        destroy_locked(nrt__rt.trackers);
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
    pthread_mutex_lock(&t->lock);
    nrta_error_t *ret = t->pending;
    size_t cap = t->cap_pending;
    t->pending = t->returned;
    t->cap_pending = t->cap_returned;
    t->returned = ret;
    t->cap_returned = cap;
    t->nreturned = t->npending;
    t->npending = 0;
    pthread_mutex_unlock(&t->lock);
    *list = t->nreturned ? t->returned : NULL;
    *error_count = t->nreturned;
    return NRT_SUCCESS;
}
