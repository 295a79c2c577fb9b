/*
 * src/common/ring.h - a bounded multi-producer ring of fixed-size slots
 * (Dmitry Vyukov's bounded queue), consumed in order by one owner at a time.
 *
 * Contract:
 *  - |depth| is a power of two >= 2; each slot is |stride| bytes, the first
 *    16 of which are the slot's sequence word (the payload follows, 16-byte
 *    aligned).
 *  - Producers (any thread): nrt__ring_reserve claims position p with one
 *    CAS when slot[p].seq == p; the producer fills the payload and calls
 *    nrt__ring_publish (seq = p + 1). A full ring (slot p not freed yet)
 *    returns NULL and changes nothing. Positions are handed out in the
 *    order of the successful CAS, so position order is publication order
 *    for the consumer.
 *  - Consumer (one owner at a time; ownership is passed by the caller with
 *    acquire/release): nrt__ring_peek(p) returns the payload once it is
 *    published; nrt__ring_free(p) hands the slot back to producers for
 *    position p + depth. Slots may be freed out of order (a slot whose
 *    request is still in use by someone else is simply freed later).
 *  - Producer and consumer indices sit on separate cache lines; the consumer
 *    index is not part of the ring (its owner keeps it where it likes).
 *
 * Memory orders: publish is seq_cst because the users pair it with a Dekker
 * check of a "consumer asleep / idle" flag; peek is acquire (pairs with
 * publish); free is release (pairs with the producer's acquire in reserve).
 */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NRT__RING_CACHELINE 64
#define NRT__RING_HDR 16 /* sequence word, padded so payloads are 16-aligned */

typedef struct nrt__ring {
    /* Producer side: written by every reserve. */
    _Alignas(NRT__RING_CACHELINE) _Atomic uint64_t tail;
    /* Read-mostly: written once at init. */
    _Alignas(NRT__RING_CACHELINE) unsigned char *slots;
    uint64_t mask, depth;
    size_t stride;
} nrt__ring_t;

/* Sets |r| up with |depth| (power of two >= 2) slots of |payload| bytes.
 * Returns false when out of memory. */
static inline bool nrt__ring_init(nrt__ring_t *r, uint64_t depth, size_t payload)
{
    size_t stride = (NRT__RING_HDR + payload + 15) & ~(size_t)15;
    atomic_store_explicit(&r->tail, 0, memory_order_relaxed); /* may be read concurrently (0 either way) */
    r->slots = aligned_alloc(NRT__RING_CACHELINE, ((depth * stride) + NRT__RING_CACHELINE - 1) &
                                                      ~(size_t)(NRT__RING_CACHELINE - 1));
    if (!r->slots)
        return false;
    memset(r->slots, 0, depth * stride);
    r->depth = depth;
    r->mask = depth - 1;
    r->stride = stride;
    for (uint64_t i = 0; i < depth; i++)
        atomic_init((_Atomic uint64_t *)(void *)(r->slots + i * stride), i);
    return true;
}

static inline void nrt__ring_deinit(nrt__ring_t *r)
{
    free(r->slots);
    r->slots = NULL;
}

static inline _Atomic uint64_t *nrt__ring_seq(const nrt__ring_t *r, uint64_t pos)
{
    return (_Atomic uint64_t *)(void *)(r->slots + (pos & r->mask) * r->stride);
}

static inline void *nrt__ring_payload(const nrt__ring_t *r, uint64_t pos)
{
    return r->slots + (pos & r->mask) * r->stride + NRT__RING_HDR;
}

/* Claims the next position; NULL when the ring is full. */
static inline void *nrt__ring_reserve(nrt__ring_t *r, uint64_t *out_pos)
{
    uint64_t pos = atomic_load_explicit(&r->tail, memory_order_relaxed);
    for (;;) {
        /* Acquire: the consumer freed this slot after it was done with it. */
        uint64_t s = atomic_load_explicit(nrt__ring_seq(r, pos), memory_order_acquire);
        int64_t diff = (int64_t)(s - pos);
        if (diff == 0) {
            if (atomic_compare_exchange_weak_explicit(&r->tail, &pos, pos + 1, memory_order_relaxed,
                                                      memory_order_relaxed)) {
                *out_pos = pos;
                return nrt__ring_payload(r, pos);
            }
        } else if (diff < 0) {
            return NULL;
        } else {
            pos = atomic_load_explicit(&r->tail, memory_order_relaxed);
        }
    }
}

/* Claims exactly position |pos| (the caller's idea of the next one): NULL
 * when the ring moved on or that slot is not free. For callers that bound
 * what is outstanding themselves (a depth of one). */
static inline void *nrt__ring_reserve_at(nrt__ring_t *r, uint64_t pos)
{
    if (atomic_load_explicit(nrt__ring_seq(r, pos), memory_order_acquire) != pos)
        return NULL;
    uint64_t expected = pos;
    if (!atomic_compare_exchange_strong_explicit(&r->tail, &expected, pos + 1, memory_order_relaxed,
                                                 memory_order_relaxed))
        return NULL;
    return nrt__ring_payload(r, pos);
}

/* Makes position |pos| visible to the consumer. */
static inline void nrt__ring_publish(nrt__ring_t *r, uint64_t pos)
{
    /* seq_cst: release for the consumer, and ordered before the caller's
     * following load of its "consumer idle" flag (Dekker). */
    atomic_store_explicit(nrt__ring_seq(r, pos), pos + 1, memory_order_seq_cst);
}

/* The payload at |pos| once published, else NULL. */
static inline void *nrt__ring_peek(const nrt__ring_t *r, uint64_t pos)
{
    if (atomic_load_explicit(nrt__ring_seq(r, pos), memory_order_acquire) != pos + 1)
        return NULL;
    return nrt__ring_payload(r, pos);
}

/* Like nrt__ring_peek, seq_cst: for the consumer's re-check after it
 * announced that it goes idle (Dekker with nrt__ring_publish). */
static inline bool nrt__ring_ready_sc(const nrt__ring_t *r, uint64_t pos)
{
    return atomic_load_explicit(nrt__ring_seq(r, pos), memory_order_seq_cst) == pos + 1;
}

/* Hands slot |pos| back to producers (for position pos + depth). */
static inline void nrt__ring_free(nrt__ring_t *r, uint64_t pos)
{
    /* Release: everything the consumer did with the slot happens before a
     * producer reuses it. */
    atomic_store_explicit(nrt__ring_seq(r, pos), pos + r->depth, memory_order_release);
}

/* Positions handed out so far. */
static inline uint64_t nrt__ring_tail(const nrt__ring_t *r)
{
    return atomic_load_explicit(&r->tail, memory_order_acquire);
}
