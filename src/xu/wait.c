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
        if (w->num <= completed) {
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
    nrt__fd_waiter_t *w = malloc(sizeof *w);
    int mine = fcntl(efd, F_DUPFD_CLOEXEC, 0);
    if (!w || mine < 0) {
        LOG_ERROR("cannot create a completion handle: %s", w ? strerror(errno) : "out of memory");
        free(w);
        close(efd);
        if (mine >= 0)
            close(mine);
        return NRT_RESOURCE;
    }
    w->num = num;
    w->fd = mine;
    nrt__mutex_lock(&q->fd_lock);
    w->next = q->fd_waiters;
    q->fd_waiters = w;
    atomic_fetch_add_explicit(&q->nwaiters, 1, memory_order_seq_cst);
    /* The request may have completed before the completer could see us. */
    uint64_t done = atomic_load_explicit(&q->completed, memory_order_seq_cst);
    if (done >= num)
        fd_waiters_signal_locked(q, done);
    nrt__mutex_unlock(&q->fd_lock);
    *out_fd = efd;
    return NRT_SUCCESS;
}
