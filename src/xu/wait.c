/*
 * src/xu/wait.c - waiting for a request: blocking waits of synchronous
 * callers (spin for the queue's window, then a futex on the low bits of
 * |completed|) and completion fds (eventfds signalled by the completion
 * path).
 *
 * The runtime keeps its own dup of each completion eventfd, so the caller
 * may close theirs at any time. Registering and signalling are a Dekker
 * handshake on |nwaiters| / |completed| (seq_cst), so the completion path
 * takes fd_lock only when fd waiters exist.
 *
 * The async API 3.0's events use the same list: a registration for one
 * request is a one-shot waiter on the caller's eventfd (our dup of it), a
 * registration for a whole queue a waiter that stays and adds the number
 * of new completions at every wake.
 *
 * Lock: fd_lock (per queue) guards the waiter list; a leaf lock, taken by
 * application threads and by whichever thread completes a request.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "xu/xu.h"

void nrt__queue_wait(nrt__queue_t *q, uint64_t num)
{
    uint64_t until = nrt__now_ns() + q->cfg.spin_ns;
    for (unsigned i = 0; atomic_load_explicit(&q->completed, memory_order_acquire) < num; i++) {
        if ((i & 63) == 0 && nrt__queue_help(q, num))
            continue;
        if ((i & 63) != 63 || nrt__now_ns() < until) {
            nrt__cpu_relax();
            continue;
        }
        atomic_fetch_add_explicit(&q->nwaiters, NRT__SYNC_WAITER, memory_order_seq_cst);
        for (;;) {
            /* Sleep on the value of |completed| we saw: the publisher
             * stores done_word before completed, so if it moved on, the
             * futex value differs and we do not sleep. */
            uint64_t c = atomic_load_explicit(&q->completed, memory_order_seq_cst);
            if (c >= num)
                break;
            nrt__futex_wait(&q->done_word, (uint32_t)c, 0);
        }
        atomic_fetch_sub_explicit(&q->nwaiters, NRT__SYNC_WAITER, memory_order_relaxed);
        break;
    }
}

/* Signals every fd waiter whose request has completed. */
static void fd_waiters_signal_locked(nrt__queue_t *q, uint64_t completed)
{
    NRT__ASSERT_HELD(&q->fd_lock);
    nrt__fd_waiter_t **pp = &q->fd_waiters;
    while (*pp) {
        nrt__fd_waiter_t *w = *pp;
        if (w->kind == NRT__FDW_EVERY) {
            /* Completions may be published by several threads: count
             * each once, whatever order the wakes come in. */
            if (completed > w->num) {
                eventfd_write(w->fd, completed - w->num);
                w->num = completed;
            }
            pp = &w->next;
        } else if (w->num <= completed) {
            eventfd_write(w->fd, 1);
            close(w->fd);
            *pp = w->next;
            free(w);
            atomic_fetch_sub_explicit(&q->nwaiters, 1, memory_order_relaxed);
        } else {
            pp = &w->next;
        }
    }
}

void nrt__queue_wake(nrt__queue_t *q, uint64_t completed, uint64_t waiters)
{
    if (waiters >> 32)
        nrt__futex_wake_all(&q->done_word);
    if (waiters & NRT__FD_WAITER_MASK) {
        nrt__mutex_lock(&q->fd_lock);
        fd_waiters_signal_locked(q, completed);
        nrt__mutex_unlock(&q->fd_lock);
    }
}

void nrt__queue_fds_flush(nrt__queue_t *q)
{
    /* Anything still waiting is released: nothing can complete now. */
    nrt__mutex_lock(&q->fd_lock);
    for (nrt__fd_waiter_t *w = q->fd_waiters, *n; w; w = n) {
        n = w->next;
        eventfd_write(w->fd, 1);
        close(w->fd);
        free(w);
    }
    q->fd_waiters = NULL;
    nrt__mutex_unlock(&q->fd_lock);
}

/* Adds |w| (fd and num set) to |q|'s waiters; signals it at once when its
 * request completed before the completer could see it. */
static void waiter_add(nrt__queue_t *q, nrt__fd_waiter_t *w)
{
    nrt__mutex_lock(&q->fd_lock);
    w->next = q->fd_waiters;
    q->fd_waiters = w;
    atomic_fetch_add_explicit(&q->nwaiters, 1, memory_order_seq_cst);
    uint64_t done = atomic_load_explicit(&q->completed, memory_order_seq_cst);
    if (done >= w->num)
        fd_waiters_signal_locked(q, done);
    nrt__mutex_unlock(&q->fd_lock);
}

/* Frees the waiters of |q| of |kind| (for NRT__FDW_EVENT: those of request
 * |num|), their dups closed, not signalled. */
static void waiters_drop(nrt__queue_t *q, int kind, uint64_t num)
{
    nrt__mutex_lock(&q->fd_lock);
    nrt__fd_waiter_t **pp = &q->fd_waiters;
    while (*pp) {
        nrt__fd_waiter_t *w = *pp;
        if (w->kind == kind && (kind == NRT__FDW_EVERY || w->num == num)) {
            close(w->fd);
            *pp = w->next;
            free(w);
            atomic_fetch_sub_explicit(&q->nwaiters, 1, memory_order_relaxed);
        } else {
            pp = &w->next;
        }
    }
    nrt__mutex_unlock(&q->fd_lock);
}

/* A waiter holding our own dup of |fd| (NULL, logged, when |fd| is not
 * open or resources run out). */
static nrt__fd_waiter_t *waiter_new(int fd, int kind, uint64_t num, const char *func, NRT_STATUS *st)
{
    int mine = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (mine < 0) {
        int e = errno;
        *st = e == EBADF ? NRT_INVALID : NRT_RESOURCE;
        NRT__LOG(NRT__LOG_ERROR, "%s: cannot use file descriptor %d: %s", func, fd, strerror(e));
        return NULL;
    }
    nrt__fd_waiter_t *w = malloc(sizeof *w);
    if (!w) {
        close(mine);
        *st = NRT_RESOURCE;
        NRT__LOG(NRT__LOG_ERROR, "%s: out of memory", func);
        return NULL;
    }
    w->num = num;
    w->fd = mine;
    w->kind = kind;
    w->next = NULL;
    *st = NRT_SUCCESS;
    return w;
}

NRT_STATUS nrt__queue_completion_fd(nrt__queue_t *q, uint64_t num, int *out_fd)
{
    int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (efd < 0) {
        LOG_ERROR("eventfd failed: %s", strerror(errno));
        return NRT_RESOURCE;
    }
    if (atomic_load_explicit(&q->completed, memory_order_acquire) >= num) {
        eventfd_write(efd, 1);
        *out_fd = efd;
        return NRT_SUCCESS;
    }
    NRT_STATUS st;
    nrt__fd_waiter_t *w = waiter_new(efd, NRT__FDW_HANDLE, num, "nrta_get_completion_handle", &st);
    if (!w) {
        close(efd);
        return st;
    }
    waiter_add(q, w);
    *out_fd = efd;
    return NRT_SUCCESS;
}

NRT_STATUS nrt__queue_event_seq(nrt__queue_t *q, uint64_t num, int efd, const char *func)
{
    if (efd < 0) {
        waiters_drop(q, NRT__FDW_EVENT, num);
        return NRT_SUCCESS;
    }
    if (atomic_load_explicit(&q->completed, memory_order_acquire) >= num) {
        if (fcntl(efd, F_GETFD) < 0) {
            NRT__LOG(NRT__LOG_ERROR, "%s: file descriptor %d is not open", func, efd);
            return NRT_INVALID;
        }
        eventfd_write(efd, 1);
        return NRT_SUCCESS;
    }
    NRT_STATUS st;
    nrt__fd_waiter_t *w = waiter_new(efd, NRT__FDW_EVENT, num, func, &st);
    if (w)
        waiter_add(q, w);
    return st;
}

NRT_STATUS nrt__queue_event_every(nrt__queue_t *q, int efd, const char *func)
{
    waiters_drop(q, NRT__FDW_EVERY, 0);
    if (efd < 0)
        return NRT_SUCCESS;
    NRT_STATUS st;
    nrt__fd_waiter_t *w = waiter_new(efd, NRT__FDW_EVERY, 0, func, &st);
    if (!w)
        return st;
    /* Counts completions from now on. Count ourselves in before reading
     * |completed| (Dekker with the completer, which stores |completed| then
     * reads |nwaiters|): a completion this read misses finds us counted
     * and wakes, and its wake waits for fd_lock, so |num| is set by then. */
    nrt__mutex_lock(&q->fd_lock);
    atomic_fetch_add_explicit(&q->nwaiters, 1, memory_order_seq_cst);
    w->num = atomic_load_explicit(&q->completed, memory_order_seq_cst);
    w->next = q->fd_waiters;
    q->fd_waiters = w;
    nrt__mutex_unlock(&q->fd_lock);
    return NRT_SUCCESS;
}
