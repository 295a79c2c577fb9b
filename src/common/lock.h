/*
 * src/common/lock.h - mutexes that know their owner, so that code can say
 * which locks it expects to hold (or not to hold) and debug and sanitizer
 * builds check it (NRT_LOCK_ASSERT, set by CMake for Debug, ASan and TSan
 * builds). Release builds compile the checks out.
 *
 * The lock table (every lock, its order, what it guards and which threads
 * may take it) is in src/core/core.h and docs/INTERNALS.md.
 */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct nrt__mutex {
    pthread_mutex_t m;
#ifdef NRT_LOCK_ASSERT
    _Atomic(unsigned long) owner; /* pthread_self() of the holder, 0: free */
#endif
} nrt__mutex_t;

#ifdef NRT_LOCK_ASSERT
#define NRT__MUTEX_INITIALIZER {PTHREAD_MUTEX_INITIALIZER, 0}
#else
#define NRT__MUTEX_INITIALIZER {PTHREAD_MUTEX_INITIALIZER}
#endif

static inline void nrt__mutex_init(nrt__mutex_t *l)
{
    pthread_mutex_init(&l->m, NULL);
#ifdef NRT_LOCK_ASSERT
    atomic_init(&l->owner, 0);
#endif
}

static inline void nrt__mutex_destroy(nrt__mutex_t *l)
{
    pthread_mutex_destroy(&l->m);
}

static inline void nrt__mutex_lock(nrt__mutex_t *l)
{
    pthread_mutex_lock(&l->m);
#ifdef NRT_LOCK_ASSERT
    /* Relaxed: only the holder writes it, and only the calling thread's
     * own identity is ever compared. */
    atomic_store_explicit(&l->owner, (unsigned long)pthread_self(), memory_order_relaxed);
#endif
}

static inline void nrt__mutex_unlock(nrt__mutex_t *l)
{
#ifdef NRT_LOCK_ASSERT
    atomic_store_explicit(&l->owner, 0, memory_order_relaxed);
#endif
    pthread_mutex_unlock(&l->m);
}

#ifdef NRT_LOCK_ASSERT
static inline bool nrt__mutex_held(nrt__mutex_t *l)
{
    return atomic_load_explicit(&l->owner, memory_order_relaxed) == (unsigned long)pthread_self();
}
#define NRT__ASSERT_HELD(l)                                                    \
    do {                                                                       \
        if (!nrt__mutex_held(l)) {                                             \
            fprintf(stderr, "libnrt: %s:%d: lock %s not held\n", __FILE__, __LINE__, #l); \
            abort();                                                           \
        }                                                                      \
    } while (0)
#define NRT__ASSERT_NOT_HELD(l)                                                \
    do {                                                                       \
        if (nrt__mutex_held(l)) {                                              \
            fprintf(stderr, "libnrt: %s:%d: lock %s held where it must not be\n", __FILE__, __LINE__, #l); \
            abort();                                                           \
        }                                                                      \
    } while (0)
#else
#define NRT__ASSERT_HELD(l) ((void)(l))
#define NRT__ASSERT_NOT_HELD(l) ((void)(l))
#endif
